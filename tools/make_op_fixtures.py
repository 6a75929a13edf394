"""Writes PyTorch's results for seqtorch's op tests into __test__/fixtures/ops.json:

softmax
    softmax and log_softmax outputs and input gradients (for a random upstream gradient) along
    every dimension of a 3-D input, on values large enough to overflow exp() unshifted, with
    -inf entries (a masked logit), a row that is -inf but for one entry, and an empty dimension.
extremes
    max and min over everything and along every dimension (values, indices, input gradients),
    argmax and argmin, on values with ties (the first index wins; a full reduction shares its
    gradient among ties) and on values with NaN (NaN wins).

    tools/.venv/bin/python tools/make_op_fixtures.py

Numbers are encoded as in tools/make_safety_fixtures.py (non-finite ones as strings). CI never
runs this script: the fixture is committed.
"""

import json
import os

import torch

from make_safety_fixtures import OUT, dump


def cases():
    torch.manual_seed(3)
    base = torch.randn(2, 3, 5, dtype=torch.float32) * 4
    big = base.clone()
    big[0, 1] += 300.0  # exp(300) overflows float32: only a shifted softmax survives
    masked = base.clone()
    masked[1, 2, 1] = float("-inf")
    masked[0, 0, :] = float("-inf")
    masked[0, 0, 3] = 1.5
    out = []
    for name, x0 in [("random", base), ("large", big), ("masked", masked)]:
        for dim in [0, 1, 2, -1]:
            for fn in ["softmax", "log_softmax"]:
                x = x0.clone().requires_grad_(True)
                y = getattr(torch, fn)(x, dim)
                up = torch.linspace(-1.0, 2.0, y.numel()).reshape(y.shape)
                y.backward(up)
                out.append({"name": f"{fn} {name} dim {dim}", "fn": fn, "dim": dim, "input": dump(x), "upstream": dump(up),
                            "output": dump(y), "grad": dump(x.grad)})
    for fn in ["softmax", "log_softmax"]:
        x = torch.zeros(2, 0, requires_grad=True)
        y = getattr(torch, fn)(x, 1)
        out.append({"name": f"{fn} empty dim", "fn": fn, "dim": 1, "input": dump(x), "upstream": dump(torch.zeros(2, 0)),
                    "output": dump(y), "grad": dump(torch.zeros(2, 0))})
    return out


def extreme_cases():
    ties = torch.tensor([[[3.0, 1.0, 1.0, 2.0], [0.0, 5.0, 5.0, -1.0], [2.0, 2.0, 2.0, 2.0]],
                         [[-4.0, 7.0, -4.0, 0.5], [1.0, 1.0, 9.0, 9.0], [-2.0, -3.0, -3.0, 6.0]]])
    nans = ties.clone()
    nans[0, 1, 2] = float("nan")
    nans[1, 2, 0] = float("nan")
    out = []
    for name, x0 in [("ties", ties), ("nan", nans)]:
        for fn in ["max", "min"]:
            x = x0.clone().requires_grad_(True)
            v = getattr(x, fn)()
            v.backward(torch.tensor(1.5))
            out.append({"name": f"{fn}() {name}", "fn": fn, "dim": None, "input": dump(x), "values": dump(v), "grad": dump(x.grad),
                        "arg": getattr(x0, "arg" + fn)().item()})
            for dim in [0, 1, 2, -1]:
                x = x0.clone().requires_grad_(True)
                v, i = getattr(x, fn)(dim)
                up = torch.linspace(-1.0, 2.0, v.numel()).reshape(v.shape)
                v.backward(up)
                out.append({"name": f"{fn}({dim}) {name}", "fn": fn, "dim": dim, "input": dump(x), "upstream": dump(up), "values": dump(v),
                            "indices": i.reshape(-1).tolist(), "grad": dump(x.grad), "arg": getattr(x0, "arg" + fn)(dim).reshape(-1).tolist()})
    return out


def main():
    with open(os.path.join(OUT, "ops.json"), "w") as f:
        json.dump({"generator": "tools/make_op_fixtures.py", "torch": torch.__version__, "softmax": cases(),
                   "extremes": extreme_cases()}, f)


if __name__ == "__main__":
    main()
