"""PyTorch's GPU anchors for every case of bench/cases.json: the same model and training step as
the CPU suite (forward, loss, backward, Adam), cuDNN, fp32 with TF32 off and again with TF32 on.

    python bench/gpu/torch_cuda.py [--device cuda] [--steps 50] [--cases a,b]

Prints one JSON object: per case and TF32 setting, median/min ms per training step and per
no-grad forward (synchronised), and peak GPU memory. `tools/gpu_check.sh run` runs it; with
`--device cpu --steps 2` it checks its own logic on a machine without a GPU.
"""

import argparse
import json
import os
import statistics
import time

import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "peers"))
from torch_model import build  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--device", default="cuda")
ap.add_argument("--steps", type=int, default=50)
ap.add_argument("--cases", default="")
args = ap.parse_args()
dev = torch.device(args.device)
cases = json.load(open(os.path.join(os.path.dirname(__file__), "..", "cases.json")))["cases"]
if args.cases:
    cases = [c for c in cases if c["name"] in args.cases.split(",")]


def sync():
    if dev.type == "cuda":
        torch.cuda.synchronize()


def timed(fn, steps):
    for _ in range(3):
        fn()
    sync()
    runs = []
    for _ in range(steps):
        t = time.perf_counter()
        fn()
        sync()
        runs.append((time.perf_counter() - t) * 1000)
    return {"medianMs": statistics.median(runs), "minMs": min(runs)}


report = {"torch": torch.__version__, "device": str(dev), "cudnn": torch.backends.cudnn.version() if dev.type == "cuda" else None,
          "gpu": torch.cuda.get_device_name(dev) if dev.type == "cuda" else None, "cases": []}
for c in cases:
    for tf32 in (False, True):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
        if dev.type == "cuda":
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats(dev)
        model, x, y, loss_fn, opt = build(c, dev)

        def train_step():
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()

        def forward():
            with torch.no_grad():
                model(x)

        train = timed(train_step, args.steps)
        fwd = timed(forward, args.steps)
        peak = torch.cuda.max_memory_allocated(dev) / 2**20 if dev.type == "cuda" else None
        report["cases"].append({"case": c["name"], "tf32": tf32, "train": train, "forward": fwd, "peakGpuMb": peak})
        del model, x, y, opt
print(json.dumps(report, indent=1))
