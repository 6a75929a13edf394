"""Writes PyTorch / scikit-learn reference fixtures for the training toolkit into __test__/fixtures/.

    tools/.venv/bin/pip install torch numpy scikit-learn safetensors
    tools/.venv/bin/python tools/make_training_fixtures.py

losses.json      every loss, reduction and option: output and input gradient (float64 reference)
optim.json       6+ steps of SGD, Adam, AdamW and RMSprop in several settings, with the same
                 injected gradients, and the learning rates of every scheduler
scalers.json     MinMaxScaler and StandardScaler on data with a constant column
lstm.safetensors a PyTorch LSTM state dict written by safetensors.torch, with lstm.json holding
                 an input and PyTorch's output for it
dtypes.safetensors one tensor of each dtype seqtorch converts on load

CI never runs this script: the fixtures are committed.
"""

import json
import os

import numpy as np
import torch
from safetensors.torch import save_file
from sklearn.preprocessing import MinMaxScaler, StandardScaler

OUT = os.path.join(os.path.dirname(__file__), "..", "__test__", "fixtures")
rng = np.random.default_rng(7)


def f32(shape, scale=1.0):
    return torch.tensor((rng.standard_normal(shape) * scale).astype(np.float32), dtype=torch.float64)


def dump(t):
    t = torch.as_tensor(t).detach()
    # 9 significant digits: exact for float32 inputs, far inside the tolerances for results.
    return {"shape": list(t.shape), "data": [float(f"{v:.9g}") for v in t.reshape(-1).tolist()]}


def loss_cases():
    cases = []

    def add(name, kind, x, target, options, fn):
        x = x.clone().requires_grad_(True)
        out = fn(x)
        w = f32(list(out.shape))
        (out * w).sum().backward()
        cases.append({
            "name": name, "kind": kind, "options": options,
            "input": dump(x), "target": dump(target), "outWeight": dump(w),
            "output": dump(out), "grad": dump(x.grad),
        })

    x, t = f32([4, 3]), f32([4, 3])
    for r in ["mean", "sum", "none"]:
        add(f"mse-{r}", "MSELoss", x, t, {"reduction": r}, lambda a: torch.nn.MSELoss(reduction=r)(a, t))
        add(f"l1-{r}", "L1Loss", x, t, {"reduction": r}, lambda a: torch.nn.L1Loss(reduction=r)(a, t))
        for d in [1.0, 0.5]:
            add(f"huber-{d}-{r}", "HuberLoss", x, t, {"reduction": r, "delta": d},
                lambda a: torch.nn.HuberLoss(reduction=r, delta=d)(a, t))
    p = torch.sigmoid(f32([5, 2]) * 2)
    p[0, 0], p[1, 1] = 0.0, 1.0  # the log clamp at -100
    tb = torch.tensor(rng.integers(0, 2, size=(5, 2)).astype(np.float64))
    tb[0, 0], tb[1, 1] = 0.0, 1.0
    wb = torch.tensor(rng.random((5, 2)).astype(np.float32), dtype=torch.float64)
    for r in ["mean", "sum", "none"]:
        add(f"bce-{r}", "BCELoss", p, tb, {"reduction": r}, lambda a: torch.nn.BCELoss(reduction=r)(a, tb))
    add("bce-weight", "BCELoss", p, tb, {"reduction": "mean", "weight": dump(wb)},
        lambda a: torch.nn.BCELoss(weight=wb)(a, tb))
    logits = f32([6, 3], 2.0)
    tl = torch.tensor(rng.integers(0, 2, size=(6, 3)).astype(np.float64))
    pw = torch.tensor([0.5, 2.0, 3.0], dtype=torch.float64)
    wl = torch.tensor([1.0, 0.5, 2.0], dtype=torch.float64)
    for r in ["mean", "sum", "none"]:
        add(f"bcel-{r}", "BCEWithLogitsLoss", logits, tl, {"reduction": r},
            lambda a: torch.nn.BCEWithLogitsLoss(reduction=r)(a, tl))
    add("bcel-posweight-weight", "BCEWithLogitsLoss", logits, tl,
        {"reduction": "mean", "posWeight": dump(pw), "weight": dump(wl)},
        lambda a: torch.nn.BCEWithLogitsLoss(pos_weight=pw, weight=wl)(a, tl))
    z = f32([5, 4], 1.5)
    y = torch.tensor([0, 3, 1, 1, 2])
    cw = torch.tensor([1.0, 2.0, 0.5, 1.5], dtype=torch.float64)
    y_ign = torch.tensor([0, -100, 1, 3, -100])
    for r in ["mean", "sum", "none"]:
        add(f"ce-{r}", "CrossEntropyLoss", z, y, {"reduction": r},
            lambda a: torch.nn.CrossEntropyLoss(reduction=r)(a, y))
        add(f"ce-smooth-weight-{r}", "CrossEntropyLoss", z, y,
            {"reduction": r, "weight": dump(cw), "labelSmoothing": 0.1},
            lambda a: torch.nn.CrossEntropyLoss(reduction=r, weight=cw, label_smoothing=0.1)(a, y))
    add("ce-weight", "CrossEntropyLoss", z, y, {"reduction": "mean", "weight": dump(cw)},
        lambda a: torch.nn.CrossEntropyLoss(weight=cw)(a, y))
    add("ce-ignore", "CrossEntropyLoss", z, y_ign, {"reduction": "mean", "ignoreIndex": -100},
        lambda a: torch.nn.CrossEntropyLoss()(a, y_ign))
    add("ce-ignore-smooth", "CrossEntropyLoss", z, y_ign, {"reduction": "mean", "labelSmoothing": 0.2},
        lambda a: torch.nn.CrossEntropyLoss(label_smoothing=0.2)(a, y_ign))
    add("ce-unbatched", "CrossEntropyLoss", z[0], torch.tensor(2), {"reduction": "mean"},
        lambda a: torch.nn.CrossEntropyLoss()(a, torch.tensor(2)))
    lp = torch.log_softmax(f32([5, 4]), dim=1)
    for r in ["mean", "sum", "none"]:
        add(f"nll-{r}", "NLLLoss", lp, y, {"reduction": r}, lambda a: torch.nn.NLLLoss(reduction=r)(a, y))
    add("nll-weight-ignore", "NLLLoss", lp, torch.tensor([0, 2, 7, 3, 1]),
        {"reduction": "mean", "weight": dump(cw), "ignoreIndex": 7},
        lambda a: torch.nn.NLLLoss(weight=cw, ignore_index=7)(a, torch.tensor([0, 2, 7, 3, 1])))
    for c in cases:
        c["target"]["dtype"] = "int64" if c["kind"] in ("CrossEntropyLoss", "NLLLoss") else "float32"
    return cases


def optim_cases():
    settings = [
        ("SGD", {"lr": 0.1}, {"lr": 0.1}),
        ("SGD", {"lr": 0.05, "momentum": 0.9}, {"lr": 0.05, "momentum": 0.9}),
        ("SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.1, "weight_decay": 0.01},
         {"lr": 0.05, "momentum": 0.8, "dampening": 0.1, "weightDecay": 0.01}),
        ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "maximize": True},
         {"lr": 0.05, "momentum": 0.9, "nesterov": True, "maximize": True}),
        ("Adam", {"lr": 0.01}, {"lr": 0.01}),
        ("Adam", {"lr": 0.01, "weight_decay": 0.1}, {"lr": 0.01, "weightDecay": 0.1}),
        ("Adam", {"lr": 0.01, "maximize": True}, {"lr": 0.01, "maximize": True}),
        ("Adam", {"lr": 0.02, "amsgrad": True, "betas": (0.8, 0.99), "eps": 1e-6},
         {"lr": 0.02, "amsgrad": True, "betas": [0.8, 0.99], "eps": 1e-6}),
        ("AdamW", {"lr": 0.01}, {"lr": 0.01}),
        ("AdamW", {"lr": 0.01, "weight_decay": 0.05, "amsgrad": True}, {"lr": 0.01, "weightDecay": 0.05, "amsgrad": True}),
        ("RMSprop", {"lr": 0.01}, {"lr": 0.01}),
        ("RMSprop", {"lr": 0.01, "momentum": 0.9, "centered": True}, {"lr": 0.01, "momentum": 0.9, "centered": True}),
        ("RMSprop", {"lr": 0.01, "centered": True}, {"lr": 0.01, "centered": True}),
        ("RMSprop", {"lr": 0.01, "momentum": 0.5, "maximize": True}, {"lr": 0.01, "momentum": 0.5, "maximize": True}),
        ("RMSprop", {"lr": 0.005, "alpha": 0.9, "weight_decay": 0.1, "eps": 1e-6},
         {"lr": 0.005, "alpha": 0.9, "weightDecay": 0.1, "eps": 1e-6}),
    ]
    cases = []
    for i, (name, torch_kw, ours) in enumerate(settings):
        # [5, 7] is long enough for the vectorised update loops' main body, not only their tails.
        params = [f32([3, 4]).requires_grad_(True), f32([4]).requires_grad_(True), f32([5, 7]).requires_grad_(True)]
        init = [dump(p) for p in params]
        opt = getattr(torch.optim, name)(params, **torch_kw)
        grads, after = [], []
        for step in range(7):
            g = [f32(list(p.shape)) for p in params]
            if step == 3:
                g[1] = None  # a parameter without a gradient is skipped
            for p, gi in zip(params, g):
                p.grad = gi
            opt.step()
            grads.append([dump(gi) if gi is not None else None for gi in g])
            after.append([dump(p) for p in params])
        cases.append({"name": f"{name}-{i}", "optimizer": name, "options": ours, "init": init, "grads": grads, "after": after})
    return cases


def scheduler_cases():
    def run(make, epochs=9, metrics=None):
        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=0.1)
        sched = make(opt)
        lrs = []
        for e in range(epochs):
            opt.step()
            sched.step(metrics[e]) if metrics else sched.step()
            lrs.append(opt.param_groups[0]["lr"])
        return lrs

    S = torch.optim.lr_scheduler
    metrics = [1.0, 0.9, 0.95, 0.96, 0.97, 0.5, 0.6, 0.61, 0.62, 0.63, 0.64]
    return [
        {"name": "StepLR", "args": {"stepSize": 2, "gamma": 0.5}, "lrs": run(lambda o: S.StepLR(o, 2, 0.5))},
        {"name": "ExponentialLR", "args": {"gamma": 0.9}, "lrs": run(lambda o: S.ExponentialLR(o, 0.9))},
        {"name": "CosineAnnealingLR", "args": {"tMax": 5, "etaMin": 0.001},
         "lrs": run(lambda o: S.CosineAnnealingLR(o, 5, 0.001), epochs=5)},
        {"name": "ReduceLROnPlateau", "args": {"patience": 1, "factor": 0.5, "cooldown": 1}, "metrics": metrics,
         "lrs": run(lambda o: S.ReduceLROnPlateau(o, patience=1, factor=0.5, cooldown=1), epochs=11, metrics=metrics)},
    ]


def scaler_cases():
    x = rng.standard_normal((8, 3)).astype(np.float32) * [1.0, 5.0, 0.0] + [0.0, 2.0, 3.5]
    x = x.astype(np.float32)
    new = (rng.standard_normal((4, 3)) * 3).astype(np.float32)
    out = []
    for name, scaler, ours in [
        ("minmax", MinMaxScaler(), {"type": "MinMaxScaler"}),
        ("minmax-range", MinMaxScaler(feature_range=(-1, 1)), {"type": "MinMaxScaler", "featureRange": [-1, 1]}),
        ("minmax-clip", MinMaxScaler(clip=True), {"type": "MinMaxScaler", "clip": True}),
        ("standard", StandardScaler(), {"type": "StandardScaler"}),
        ("standard-nomean", StandardScaler(with_mean=False), {"type": "StandardScaler", "withMean": False}),
    ]:
        fit = scaler.fit_transform(x.astype(np.float64))
        tr = scaler.transform(new.astype(np.float64))
        inv = scaler.inverse_transform(new.astype(np.float64))
        attrs = {k: getattr(scaler, k).tolist() for k in ["data_min_", "data_max_", "scale_", "min_", "mean_", "var_"]
                 if getattr(scaler, k, None) is not None}
        out.append({"name": name, "options": ours, "fit": x.tolist(), "new": new.tolist(),
                    "fitTransform": fit.tolist(), "transform": tr.tolist(), "inverse": inv.tolist(), "attrs": attrs})
    return out


def checkpoint_fixtures():
    torch.manual_seed(3)
    lstm = torch.nn.LSTM(3, 5, num_layers=2, batch_first=True, bidirectional=True)
    save_file({k: v.contiguous() for k, v in lstm.state_dict().items()}, os.path.join(OUT, "lstm.safetensors"),
              metadata={"format": "pt"})
    x = torch.tensor(rng.standard_normal((2, 4, 3)).astype(np.float32))
    with torch.no_grad():
        out, (h, c) = lstm(x)
    with open(os.path.join(OUT, "lstm.json"), "w") as f:
        json.dump({"options": {"inputSize": 3, "hiddenSize": 5, "numLayers": 2, "batchFirst": True, "bidirectional": True},
                   "input": dump(x), "output": dump(out), "hN": dump(h), "cN": dump(c)}, f)
    save_file({
        "f16": torch.tensor([1.5, -2.0, 65504.0], dtype=torch.float16),
        "bf16": torch.tensor([1.5, -2.0, 3.0e38], dtype=torch.bfloat16),
        "f64": torch.tensor([[0.1, 0.2]], dtype=torch.float64),
        "i32": torch.tensor([-7, 8], dtype=torch.int32),
        "i64": torch.tensor([2**40, -1], dtype=torch.int64),
        "u8": torch.tensor([0, 255], dtype=torch.uint8),
        "bool": torch.tensor([True, False]),
    }, os.path.join(OUT, "dtypes.safetensors"))


def main():
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "losses.json"), "w") as f:
        json.dump({"cases": loss_cases()}, f)
    with open(os.path.join(OUT, "optim.json"), "w") as f:
        json.dump({"optimizers": optim_cases(), "schedulers": scheduler_cases()}, f)
    with open(os.path.join(OUT, "scalers.json"), "w") as f:
        json.dump({"cases": scaler_cases()}, f)
    checkpoint_fixtures()
    print("wrote losses.json, optim.json, scalers.json, lstm.safetensors, lstm.json, dtypes.safetensors")


if __name__ == "__main__":
    main()
