"""The suite's model in PyTorch (the layer of a case, then a Linear from the last timestep) with
its fixed random data, loss and Adam: shared by the CPU peer and the GPU anchors."""

import torch


def build(c, device="cpu"):
    """Model, input, target, loss function and optimizer for case `c` of bench/cases.json."""
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

    model = Model().to(device)
    if "embedding" in c:
        x = torch.randint(1, c["embedding"]["vocab"], (c["batch"], c["seq"])).to(device)
    else:
        x = torch.randn(c["batch"], c["seq"], c["input"]).to(device)
    y = torch.randn(c["batch"], 1) if c["loss"] == "MSE" else torch.randint(0, 2, (c["batch"], 1)).float()
    loss_fn = torch.nn.MSELoss() if c["loss"] == "MSE" else torch.nn.BCEWithLogitsLoss()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    return model, x, y.to(device), loss_fn, opt
