"""Writes PyTorch reference fixtures for seqtorch's tests into __test__/fixtures/.

    python3 -m venv tools/.venv && tools/.venv/bin/pip install torch numpy
    tools/.venv/bin/python tools/make_fixtures.py

Recurrent layers (rnn.json): random configurations across RNN (tanh/relu), LSTM and GRU,
1-3 layers, bidirectional or not, batch-first or not, with and without bias, initial states,
projections (LSTM), unbatched input and packed variable-length batches, plus the three cells.
Each case stores the parameters under PyTorch's names, the inputs, the outputs and final states,
and the gradient of a weighted loss with respect to the input, the initial states and every
parameter. The reference runs in float64 on float32-representable inputs, so the stored values
are the exact answers the float32 implementation is compared with.

CI never runs this script: the fixtures are committed.
"""

import json
import os
import random

import numpy as np
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

OUT_DIR = os.path.join(os.path.dirname(__file__), "..", "__test__", "fixtures")


def f32_tensor(shape, rng, scale=1.0):
    """Random float32 values, returned as float64 for the reference computation."""
    data = (rng.standard_normal(shape) * scale).astype(np.float32)
    return torch.tensor(data, dtype=torch.float64)


def dump(t):
    t = t.detach().to(torch.float64)
    # 9 significant digits: exact for float32 inputs, far inside the tolerances for results.
    return {"shape": list(t.shape), "data": [float(f"{v:.9g}") for v in t.reshape(-1).tolist()]}


def make_layer_case(idx, rng, wide=None):
    mode = ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"][idx % 4] if wide is None else wide["mode"]
    cls = {"RNN_TANH": torch.nn.RNN, "RNN_RELU": torch.nn.RNN, "LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU}[mode]
    input_size = int(rng.integers(1, 6))
    hidden_size = int(rng.integers(2, 7))
    num_layers = int(rng.integers(1, 4))
    bidirectional = bool(rng.integers(0, 2))
    batch_first = bool(rng.integers(0, 2))
    bias = bool(rng.random() < 0.8)
    proj_size = int(rng.integers(1, hidden_size)) if mode == "LSTM" and rng.random() < 0.35 else 0
    with_states = bool(rng.integers(0, 2))
    layout = ["padded", "padded", "unbatched", "packed"][int(rng.integers(0, 4))]
    if wide is not None:
        # Sizes at which the step products take the register-tiled kernel (k >= 64).
        input_size, hidden_size, proj_size = wide["input"], wide["hidden"], wide.get("proj", 0)
        num_layers, bidirectional, batch_first, bias, with_states = 1, True, True, True, True
        layout = wide["layout"]
    kwargs = dict(num_layers=num_layers, bias=bias, batch_first=batch_first, bidirectional=bidirectional)
    if mode.startswith("RNN"):
        kwargs["nonlinearity"] = "tanh" if mode == "RNN_TANH" else "relu"
    if proj_size:
        kwargs["proj_size"] = proj_size
    torch.manual_seed(1000 + idx)
    layer = cls(input_size, hidden_size, **kwargs).double()
    # Re-draw parameters from float32 values so the fixture is exactly representable.
    with torch.no_grad():
        for p in layer.parameters():
            p.copy_(f32_tensor(p.shape, rng, 0.5))

    steps = int(rng.integers(1, 6))
    batch = int(rng.integers(1, 4)) if layout != "unbatched" else 1
    dirs = 2 if bidirectional else 1
    out_size = proj_size or hidden_size
    if layout == "unbatched":
        x_shape = [steps, input_size]
        state_shape = lambda size: [num_layers * dirs, size]
    else:
        x_shape = [batch, steps, input_size] if batch_first else [steps, batch, input_size]
        state_shape = lambda size: [num_layers * dirs, batch, size]
    x = f32_tensor(x_shape, rng).requires_grad_(True)
    lengths, enforce_sorted = None, True
    if layout == "packed":
        lengths = [int(v) for v in rng.integers(1, steps + 1, size=batch)]
        lengths[int(rng.integers(0, batch))] = steps
        enforce_sorted = bool(rng.integers(0, 2))
        if enforce_sorted:
            lengths.sort(reverse=True)

    h0 = f32_tensor(state_shape(out_size), rng, 0.5).requires_grad_(True) if with_states else None
    c0 = f32_tensor(state_shape(hidden_size), rng, 0.5).requires_grad_(True) if with_states and mode == "LSTM" else None
    hx = (h0, c0) if mode == "LSTM" and with_states else h0

    if layout == "packed":
        packed = pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
        out_packed, state = layer(packed, hx)
        out, _ = pad_packed_sequence(out_packed, batch_first=batch_first, total_length=steps)
    else:
        out, state = layer(x, hx)
    h_n, c_n = (state if mode == "LSTM" else (state, None))

    w_out = f32_tensor(list(out.shape), rng)
    w_h = f32_tensor(list(h_n.shape), rng)
    loss = (out * w_out).sum() + (h_n * w_h).sum()
    w_c = None
    if c_n is not None:
        w_c = f32_tensor(list(c_n.shape), rng)
        loss = loss + (c_n * w_c).sum()
    loss.backward()

    case = {
        "name": f"{mode.lower()}-{idx}",
        "kind": "layer",
        "mode": mode,
        "inputSize": input_size,
        "hiddenSize": hidden_size,
        "numLayers": num_layers,
        "bias": bias,
        "batchFirst": batch_first,
        "bidirectional": bidirectional,
        "projSize": proj_size,
        "layout": layout,
        "lengths": lengths,
        "enforceSorted": enforce_sorted,
        "input": dump(x),
        "h0": dump(h0) if h0 is not None else None,
        "c0": dump(c0) if c0 is not None else None,
        "params": {name: dump(p) for name, p in layer.named_parameters()},
        "weights": {"output": dump(w_out), "hN": dump(w_h), "cN": dump(w_c) if w_c is not None else None},
        "expected": {"output": dump(out), "hN": dump(h_n), "cN": dump(c_n) if c_n is not None else None},
        "grads": {
            "input": dump(x.grad),
            "h0": dump(h0.grad) if h0 is not None else None,
            "c0": dump(c0.grad) if c0 is not None else None,
            "params": {name: dump(p.grad) for name, p in layer.named_parameters()},
        },
    }
    return case


def make_cell_case(idx, rng):
    mode = ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"][idx % 4]
    input_size = int(rng.integers(1, 6))
    hidden_size = int(rng.integers(2, 7))
    bias = bool(rng.random() < 0.8)
    unbatched = bool(rng.random() < 0.3)
    batch = int(rng.integers(1, 4))
    if mode.startswith("RNN"):
        cell = torch.nn.RNNCell(input_size, hidden_size, bias=bias, nonlinearity="tanh" if mode == "RNN_TANH" else "relu")
    elif mode == "LSTM":
        cell = torch.nn.LSTMCell(input_size, hidden_size, bias=bias)
    else:
        cell = torch.nn.GRUCell(input_size, hidden_size, bias=bias)
    cell = cell.double()
    with torch.no_grad():
        for p in cell.parameters():
            p.copy_(f32_tensor(p.shape, rng, 0.5))
    x_shape = [input_size] if unbatched else [batch, input_size]
    h_shape = [hidden_size] if unbatched else [batch, hidden_size]
    x = f32_tensor(x_shape, rng).requires_grad_(True)
    with_states = bool(rng.integers(0, 2))
    h0 = f32_tensor(h_shape, rng, 0.5).requires_grad_(True) if with_states else None
    c0 = f32_tensor(h_shape, rng, 0.5).requires_grad_(True) if with_states and mode == "LSTM" else None
    if mode == "LSTM":
        h1, c1 = cell(x, (h0, c0) if with_states else None)
    else:
        h1, c1 = cell(x, h0), None
    w_h = f32_tensor(list(h1.shape), rng)
    loss = (h1 * w_h).sum()
    w_c = None
    if c1 is not None:
        w_c = f32_tensor(list(c1.shape), rng)
        loss = loss + (c1 * w_c).sum()
    loss.backward()
    return {
        "name": f"{mode.lower()}-cell-{idx}",
        "kind": "cell",
        "mode": mode,
        "inputSize": input_size,
        "hiddenSize": hidden_size,
        "bias": bias,
        "input": dump(x),
        "h0": dump(h0) if h0 is not None else None,
        "c0": dump(c0) if c0 is not None else None,
        "params": {name: dump(p) for name, p in cell.named_parameters()},
        "weights": {"hN": dump(w_h), "cN": dump(w_c) if w_c is not None else None},
        "expected": {"hN": dump(h1), "cN": dump(c1) if c1 is not None else None},
        "grads": {
            "input": dump(x.grad),
            "h0": dump(h0.grad) if h0 is not None else None,
            "c0": dump(c0.grad) if c0 is not None else None,
            "params": {name: dump(p.grad) for name, p in cell.named_parameters()},
        },
    }


def main():
    rng = np.random.default_rng(20261127)
    random.seed(0)
    cases = [make_layer_case(i, rng) for i in range(48)] + [make_cell_case(i, rng) for i in range(12)]
    os.makedirs(OUT_DIR, exist_ok=True)
    wide = [
        make_layer_case(100, rng, {"mode": "LSTM", "input": 8, "hidden": 80, "proj": 64, "layout": "padded"}),
        make_layer_case(101, rng, {"mode": "GRU", "input": 8, "hidden": 64, "layout": "packed"}),
        make_layer_case(102, rng, {"mode": "RNN_TANH", "input": 8, "hidden": 96, "layout": "padded"}),
    ]
    with open(os.path.join(OUT_DIR, "rnn_wide.json"), "w") as f:
        json.dump({"generator": "tools/make_fixtures.py", "torch": torch.__version__, "cases": wide}, f)
    path = os.path.join(OUT_DIR, "rnn.json")
    with open(path, "w") as f:
        json.dump({"generator": "tools/make_fixtures.py", "torch": torch.__version__, "cases": cases}, f)
    layouts = {}
    for c in cases:
        key = c.get("layout", "cell")
        layouts[key] = layouts.get(key, 0) + 1
    print(f"wrote {len(cases)} cases to {path}: {layouts}")


if __name__ == "__main__":
    main()
