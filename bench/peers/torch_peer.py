"""Times one case with PyTorch on the CPU in its own process (same model as the suite).

    python bench/peers/torch_peer.py CASE THREADS SECONDS MAX_WARMUP_SECONDS
"""

import json
import os
import resource
import sys
import time

import torch

name, threads, seconds, max_warmup = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
cases = json.load(open(os.path.join(os.path.dirname(__file__), "..", "cases.json")))["cases"]
c = next(k for k in cases if k["name"] == name)
torch.set_num_threads(threads)
torch.manual_seed(0)
cls = {"LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU, "RNN": torch.nn.RNN}[c["cell"]]


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        e = c.get("embedding")
        self.emb = torch.nn.Embedding(e["vocab"], c["input"], padding_idx=e["paddingIdx"]) if e else None
        self.rnn = cls(c["input"], c["hidden"], num_layers=c["layers"], batch_first=True,
                       bidirectional=c["bidirectional"], dropout=c.get("dropout", 0) if c["layers"] > 1 else 0)
        self.head = torch.nn.Linear(c["hidden"] * (2 if c["bidirectional"] else 1), 1)

    def forward(self, x):
        if self.emb is not None:
            x = self.emb(x)
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


model = Model()
x = torch.randint(1, c["embedding"]["vocab"], (c["batch"], c["seq"])) if "embedding" in c else torch.randn(c["batch"], c["seq"], c["input"])
y = torch.randn(c["batch"], 1) if c["loss"] == "MSE" else torch.randint(0, 2, (c["batch"], 1)).float()
loss_fn = torch.nn.MSELoss() if c["loss"] == "MSE" else torch.nn.BCEWithLogitsLoss()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)


def train_step():
    opt.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
    return loss.item()


def forward():
    with torch.no_grad():
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
