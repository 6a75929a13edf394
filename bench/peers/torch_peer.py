"""Times one case with PyTorch on the CPU in its own process (same model as the suite).

    python bench/peers/torch_peer.py CASE THREADS SECONDS MAX_WARMUP_SECONDS
"""

import json
import os
import resource
import sys
import time

import torch
from torch_model import build

name, threads, seconds, max_warmup = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
cases = json.load(open(os.path.join(os.path.dirname(__file__), "..", "cases.json")))["cases"]
c = next(k for k in cases if k["name"] == name)
torch.set_num_threads(threads)
model, x, y, loss_fn, opt = build(c)


# bench/run.ts --precision medium: PyTorch's CPU autocast to bfloat16 (the anchor for
# seqtorch's bf16 products); otherwise float32.
BF16 = os.environ.get("SEQTORCH_BENCH_PRECISION") == "medium"


def autocast():
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=BF16)


def train_step():
    opt.zero_grad()
    with autocast():
        loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
    return loss.item()


def forward():
    with torch.no_grad(), autocast():
        model(x)


def time_runs(fn, secs, min_runs):
    t = time.perf_counter()
    fn()
    warm = (time.perf_counter() - t) * 1000
    if warm > max_warmup * 1000:
        return [warm], True
    runs = []
    deadline = time.perf_counter() + secs
    while (len(runs) < min_runs or time.perf_counter() < deadline) and len(runs) < 200:
        t = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t) * 1000)
    return runs, False


train, partial = time_runs(train_step, seconds, 5)
fwd, _ = time_runs(forward, seconds / 2, 5)
print(json.dumps({"peer": "pytorch", "case": name, "threads": torch.get_num_threads(), "train": train, "forward": fwd,
                  "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  **({"partial": True} if partial else {})}))
