"""Makes the streaming benchmark's models with PyTorch: the same weights as a safetensors state
dict (for seqtorch) and as a one-step ONNX graph (for onnxruntime-node), plus the inputs.

    python tools/make_streaming_models.py OUT_DIR TOKENS

Writes, per model (lstm: LSTM(64 -> 128); gru: GRU(128 -> 256, 2 layers)):
  OUT_DIR/<model>.safetensors   PyTorch's state dict (weight_ih_l0, ...)
  OUT_DIR/<model>.onnx          one time step: x [1, B, I], h [L, B, H] (, c) -> y, h' (, c'), any B
  OUT_DIR/<model>.inputs.bin    TOKENS x I float32 values, one row per token
and OUT_DIR/models.json describing them.
"""

import json
import os
import sys

import torch
from safetensors.torch import save_file

out_dir, tokens = sys.argv[1], int(sys.argv[2])
os.makedirs(out_dir, exist_ok=True)
MODELS = {
    "lstm": {"cell": "LSTM", "input": 64, "hidden": 128, "layers": 1},
    "gru": {"cell": "GRU", "input": 128, "hidden": 256, "layers": 2},
}


class Step(torch.nn.Module):
    """One time step of a recurrent layer with its state as explicit inputs and outputs."""

    def __init__(self, rnn, lstm):
        super().__init__()
        self.rnn, self.lstm = rnn, lstm

    def forward(self, x, h, c=None):
        if self.lstm:
            y, (h2, c2) = self.rnn(x, (h, c))
            return y, h2, c2
        y, h2 = self.rnn(x, h)
        return y, h2


for i, (name, m) in enumerate(MODELS.items()):
    torch.manual_seed(100 + i)
    cls = torch.nn.LSTM if m["cell"] == "LSTM" else torch.nn.GRU
    rnn = cls(m["input"], m["hidden"], num_layers=m["layers"]).eval()
    save_file({k: v.contiguous() for k, v in rnn.state_dict().items()}, os.path.join(out_dir, f"{name}.safetensors"))
    lstm = m["cell"] == "LSTM"
    x = torch.randn(1, 1, m["input"])
    h = torch.zeros(m["layers"], 1, m["hidden"])
    args = (x, h, torch.zeros_like(h)) if lstm else (x, h)
    names_in = ["x", "h", "c"] if lstm else ["x", "h"]
    names_out = ["y", "h_out", "c_out"] if lstm else ["y", "h_out"]
    # The batch (streams served together) is free: dimension 1 of every input and output.
    batch_axis = {n: {1: "batch"} for n in names_in + names_out}
    torch.onnx.export(Step(rnn, lstm), args, os.path.join(out_dir, f"{name}.onnx"), input_names=names_in,
                      output_names=names_out, dynamic_axes=batch_axis, opset_version=17, dynamo=False)
    torch.manual_seed(200 + i)
    torch.randn(tokens, m["input"]).numpy().tofile(os.path.join(out_dir, f"{name}.inputs.bin"))

json.dump({"tokens": tokens, "models": MODELS}, open(os.path.join(out_dir, "models.json"), "w"), indent=1)
