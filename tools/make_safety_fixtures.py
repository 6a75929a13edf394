"""Writes the reference values of the edge cases seqtorch must match (issue: nothing a caller does
crashes Node or silently corrupts results) into __test__/fixtures/:

safety.json
    relu at NaN and -0.0 (output and gradient); clamp at NaN, -0.0, infinities and its bounds,
    one-sided, with crossed, equal and NaN bounds, and on random values (output, and gradient
    for an upstream gradient that is infinite or NaN where clamped); cross-entropy and NLL when every target is
    ignored, or the kept targets weigh nothing (loss and input gradient, every reduction, with
    weights and label smoothing); clip_grad_norm_ for norm types 0, -inf, inf, 1, 2 and -1 (total
    norm and clipped gradients); MinMaxScaler and StandardScaler on columns that are constant
    or nearly so (scikit-learn's thresholds).
edge.safetensors
    int64 values at the type's limits, a tensor named __proto__, a zero-size tensor with a
    dimension of 2^40 (written by the safetensors package from PyTorch tensors).

    python3 -m venv tools/.venv && tools/.venv/bin/pip install torch numpy safetensors scikit-learn
    tools/.venv/bin/python tools/make_safety_fixtures.py

Non-finite numbers are stored as the strings "NaN", "Infinity" and "-Infinity" (JSON has no
such numbers), and -0.0 as "-0". CI never runs this script: the fixtures are committed.
"""

import json
import math
import os

import numpy as np
import torch
from safetensors.torch import save_file
from sklearn.preprocessing import MinMaxScaler, StandardScaler

OUT = os.path.join(os.path.dirname(__file__), "..", "__test__", "fixtures")


def num(x):
    x = float(x)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0 and math.copysign(1.0, x) < 0:
        return "-0"
    return x


def dump(t):
    t = torch.as_tensor(t).detach().to(torch.float64)
    return {"shape": list(t.shape), "data": [num(v) for v in t.reshape(-1).tolist()]}


def relu_case():
    x = torch.tensor([float("nan"), -0.0, 0.0, -1.5, 2.0, float("inf"), float("-inf")], requires_grad=True)
    y = torch.relu(x)
    y.backward(torch.ones_like(y))
    return {"input": dump(x), "output": dump(y), "grad": dump(x.grad)}


def clamp_cases():
    specials = [float("nan"), -2.0, -1.0, -0.0, 0.0, 0.5, 1.0, 2.0, float("inf"), float("-inf")]
    torch.manual_seed(5)
    random = torch.randn(12, dtype=torch.float32).tolist()
    bounds = [(-1.0, 1.0), (None, 1.0), (-1.0, None), (1.0, -1.0), (0.0, 0.0), (float("nan"), 1.0), (-1.0, float("nan")), (float("-inf"), float("inf"))]
    cases = []
    for values, name in [(specials, "specials"), (random, "random")]:
        for lo, hi in bounds + ([(-0.5, 0.7)] if name == "random" else []):
            x = torch.tensor(values, dtype=torch.float32, requires_grad=True)
            y = torch.clamp(x, min=lo, max=hi)
            # An upstream gradient that is not all ones, infinite where x = 2 and NaN where x = -2.
            up = torch.linspace(0.5, 2.0, len(values))
            up[torch.tensor(values) == 2.0] = float("inf")
            up[torch.tensor(values) == -2.0] = float("nan")
            y.backward(up)
            cases.append({"name": f"{name} clamp({lo}, {hi})", "min": None if lo is None else num(lo), "max": None if hi is None else num(hi),
                          "input": dump(x), "upstream": dump(up), "output": dump(y), "grad": dump(x.grad)})
    return cases


def class_loss_cases():
    torch.manual_seed(11)
    logits = torch.randn(4, 3, dtype=torch.float32).to(torch.float64)
    cases = []
    specs = [
        ("cross_entropy all ignored", "cross_entropy", [-100, -100, -100, -100], None, 0.0),
        ("cross_entropy all ignored, smoothing", "cross_entropy", [-100, -100, -100, -100], None, 0.2),
        ("cross_entropy all ignored, weights", "cross_entropy", [-100, -100, -100, -100], [1.0, 2.0, 0.5], 0.0),
        ("nll all ignored", "nll", [-100, -100, -100, -100], None, 0.0),
        ("cross_entropy kept targets weigh nothing", "cross_entropy", [1, 1, -100, 1], [1.0, 0.0, 2.0], 0.0),
        ("nll kept targets weigh nothing", "nll", [1, -100, 1, 1], [1.0, 0.0, 2.0], 0.0),
        ("cross_entropy some ignored", "cross_entropy", [0, -100, 2, 1], [1.0, 2.0, 0.5], 0.1),
    ]
    for name, kind, target, weight, smoothing in specs:
        for reduction in ["mean", "sum", "none"]:
            x = logits.clone().requires_grad_(True)
            t = torch.tensor(target)
            w = None if weight is None else torch.tensor(weight, dtype=torch.float64)
            if kind == "cross_entropy":
                loss = torch.nn.functional.cross_entropy(x, t, weight=w, reduction=reduction, label_smoothing=smoothing)
            else:
                loss = torch.nn.functional.nll_loss(x, t, weight=w, reduction=reduction)
            loss.backward(torch.ones_like(loss))
            cases.append({
                "name": f"{name} ({reduction})",
                "kind": kind,
                "reduction": reduction,
                "input": dump(x),
                "target": target,
                "weight": weight,
                "labelSmoothing": smoothing,
                "loss": dump(loss),
                "grad": dump(x.grad),
            })
    return cases


def clip_cases():
    cases = []
    grads = [[1.0, 0.0, -2.0], [0.0, 0.0], [0.5, -3.0, 0.25, 0.0]]
    for norm_type in [0.0, float("-inf"), float("inf"), 1.0, 2.0, -1.0]:
        for max_norm in [0.1, 100.0]:
            params = [torch.zeros(len(g), requires_grad=True) for g in grads]
            for p, g in zip(params, grads):
                p.grad = torch.tensor(g)
            total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
            cases.append({
                "normType": num(norm_type),
                "maxNorm": max_norm,
                "grads": grads,
                "total": num(total),
                "after": [[num(v) for v in p.grad.tolist()] for p in params],
            })
    return cases


def scaler_cases():
    # Column 0: an ordinary spread; column 1: constant; column 2: a range of 1e-16 (below
    # scikit-learn's 10 * float64 epsilon); column 3: tiny but above it. Values are float32
    # representable, as seqtorch holds them.
    x = np.array([
        [0.5, 3.0, 1e-16, 1e-12],
        [2.0, 3.0, 2e-16, 3e-12],
        [-1.0, 3.0, 1.5e-16, 2e-12],
    ], dtype=np.float32).astype(np.float64)
    new = np.array([[1.0, 3.0, 1.2e-16, 2.5e-12], [4.0, 2.0, 5e-16, 0.0]], dtype=np.float32).astype(np.float64)
    out = []
    for name, scaler in [("minmax", MinMaxScaler()), ("standard", StandardScaler()),
                         ("standard-nomean", StandardScaler(with_mean=False))]:
        fit = scaler.fit_transform(x)
        out.append({
            "name": name,
            "fit": x.tolist(),
            "new": new.tolist(),
            "fitTransform": fit.tolist(),
            "transform": scaler.transform(new).tolist(),
            "scale": scaler.scale_.tolist(),
        })
    return out


def edge_checkpoint():
    tensors = {
        "int64_limits": torch.tensor([2**63 - 1, -(2**63), 2**53 + 1, -(2**53) - 1, 7], dtype=torch.int64),
        "__proto__": torch.tensor([1.5, -2.5], dtype=torch.float32),
        "empty_huge": torch.zeros(0, 2**40, dtype=torch.float32),
    }
    save_file(tensors, os.path.join(OUT, "edge.safetensors"), metadata={"format": "pt"})


def main():
    os.makedirs(OUT, exist_ok=True)
    fixtures = {
        "relu": relu_case(),
        "clamp": clamp_cases(),
        "classLosses": class_loss_cases(),
        "clipGradNorm": clip_cases(),
        "scalers": scaler_cases(),
    }
    with open(os.path.join(OUT, "safety.json"), "w") as f:
        json.dump(fixtures, f)
    edge_checkpoint()


if __name__ == "__main__":
    main()
