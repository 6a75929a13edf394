"""Per-step latency of a recurrent layer in PyTorch (CPU, no_grad), state carried between calls,
BATCH streams a step (default 1).

    python bench/streaming/torch_peer.py MODEL_DIR MODEL THREADS WARMUP [BATCH]

Prints one JSON line: {"peer", "model", "latencies_us": [...], "last": [...]}.
"""

import json
import os
import sys
import time

import numpy as np
import torch
from safetensors.torch import load_file

model_dir, name, threads, warmup = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
batch = int(sys.argv[5]) if len(sys.argv) > 5 else 1
torch.set_num_threads(threads)
meta = json.load(open(os.path.join(model_dir, "models.json")))
m, tokens = meta["models"][name], meta["tokens"]
lstm = m["cell"] == "LSTM"
cls = torch.nn.LSTM if lstm else torch.nn.GRU
rnn = cls(m["input"], m["hidden"], num_layers=m["layers"]).eval()
rnn.load_state_dict(load_file(os.path.join(model_dir, f"{name}.safetensors")))
xs = np.fromfile(os.path.join(model_dir, f"{name}.inputs.bin"), dtype=np.float32).reshape(tokens, m["input"])
blocks = tokens // batch  # step t reads rows of block t % blocks, as the other peers do

lat = []
with torch.no_grad():
    state = None
    for t in range(warmup + tokens):
        block = xs[(t % blocks) * batch:(t % blocks + 1) * batch]
        start = time.perf_counter_ns()
        x = torch.from_numpy(block).view(1, batch, -1)
        y, state = rnn(x, state)
        out = y.numpy().ravel().copy()
        if t >= warmup:
            lat.append((time.perf_counter_ns() - start) / 1000)
        if t == warmup - 1:
            state = None  # the timed run starts from a zero state, like the other peers
print(json.dumps({"peer": "pytorch", "version": torch.__version__, "model": name, "latencies_us": lat, "last": out[:8].tolist()}))
