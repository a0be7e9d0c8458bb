"""The risk model: graph convolutions over each time step's cell graph feeding a recurrent layer, one
probability per cell and category of at least one incident in the next horizon.

For an origin s the model reads the feature snapshots of steps s-L+1 .. s (each built from the past only, see
features.py), encodes each with a linear layer and one graph convolution per edge type (spatial adjacency,
relational edges), summed with a residual, then runs a GRU over the L snapshots per cell; the head reads the
GRU's last state and the last snapshot's encoding. Several origins are trained together as one block-diagonal
graph (no NeighborLoader: full-batch). Seeded and deterministic on the CPU; early-stopped on the validation
origins.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]


@dataclass(frozen=True)
class TrainSettings:
    hidden: int = 32
    lookback: int = 7  # snapshots per origin
    epochs: int = 40
    patience: int = 6
    batch_origins: int = 16
    origins_per_epoch: int = 128
    learning_rate: float = 0.005
    weight_decay: float = 1e-4
    dropout: float = 0.1
    seed: int = 7


@functools.cache
def _network_class() -> Any:
    """The torch module, defined on first use: torch loads only in the commands that forecast."""
    import torch
    from torch import nn
    from torch_geometric.nn import GCNConv

    class RiskGNN(nn.Module):
        def __init__(self, n_features: int, n_categories: int, edge_types: int, hidden: int, dropout: float):
            super().__init__()
            self.encode = nn.Linear(n_features, hidden)
            self.convs = nn.ModuleList([GCNConv(hidden, hidden, cached=False) for _ in range(edge_types)])
            self.gru = nn.GRU(hidden, hidden, batch_first=True)
            self.head = nn.Linear(2 * hidden, n_categories)
            self.dropout = nn.Dropout(dropout)
            self.hidden = hidden

        def forward(self, x: Any, edges: list[Any]) -> Any:
            """x: [B, L, N, F] → logits [B, N, C]; `edges` are [2, M] per type for one N-node graph."""
            b, steps, n, _ = x.shape
            z = self.dropout(torch.relu(self.encode(x.reshape(b * steps * n, -1))))
            offsets = torch.arange(b * steps, dtype=torch.long) * n
            mixed = z
            for conv, edge_index in zip(self.convs, edges, strict=True):
                if edge_index.shape[1] == 0:
                    continue
                tiled = (edge_index.unsqueeze(0) + offsets.view(-1, 1, 1)).permute(1, 0, 2).reshape(2, -1)
                mixed = mixed + conv(z, tiled)
            h = (
                torch.relu(mixed)
                .reshape(b, steps, n, self.hidden)
                .permute(0, 2, 1, 3)
                .reshape(b * n, steps, -1)
            )
            out, _ = self.gru(h)
            last = torch.cat([out[:, -1, :], h[:, -1, :]], dim=1)
            return self.head(self.dropout(last)).reshape(b, n, -1)

    return RiskGNN


def network(n_features: int, n_categories: int, edge_types: int, hidden: int, dropout: float) -> Any:
    """A fresh, seeded-by-the-caller RiskGNN (see the module's docstring)."""
    return _network_class()(n_features, n_categories, edge_types, hidden, dropout)


@dataclass
class TrainedModel:
    """The model, the feature standardisation and the metadata saved with it."""

    net: Any  # RiskGNN
    mean: Array
    std: Array
    settings: TrainSettings
    meta: dict[str, Any] = field(default_factory=dict)

    def rates(self, x: Array, edges: dict[str, Array], origins: Array) -> Array:
        """Expected incidents [T, N, C] over the horizon after each origin (snapshots up to it): what ranks
        cells for hit rate and PAI, which count incidents."""
        import torch

        self.net.eval()
        edge_list = _edges(edges, self.meta["edge_types"])
        out = []
        with torch.no_grad():
            for chunk in np.array_split(origins, max(1, len(origins) // 16)):
                if len(chunk) == 0:
                    continue
                batch = _window(x, chunk, self.settings.lookback, self.mean, self.std)
                out.append(torch.exp(self.net(batch, edge_list)).numpy())
        return np.concatenate(out, axis=0).astype(np.float64)

    def predict(self, x: Array, edges: dict[str, Array], origins: Array) -> Array:
        """Probabilities [T, N, C] of at least one incident: 1 − exp(−rate) under the Poisson model."""
        return -np.expm1(-self.rates(x, edges, origins))

    def save(self, path: Path) -> None:
        import torch

        buffer = io.BytesIO()
        torch.save(self.net.state_dict(), buffer)
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            path,
            state=np.frombuffer(buffer.getvalue(), dtype=np.uint8),
            mean=self.mean,
            std=self.std,
            meta=np.array(json.dumps({"settings": asdict(self.settings), **self.meta})),
        )

    @staticmethod
    def load(path: Path) -> TrainedModel:
        import torch

        with np.load(path, allow_pickle=False) as stored:
            meta = json.loads(str(stored["meta"]))
            settings = TrainSettings(**meta.pop("settings"))
            net = network(meta["n_features"], meta["n_categories"], len(meta["edge_types"]), settings.hidden,
                          settings.dropout)  # fmt: skip
            net.load_state_dict(torch.load(io.BytesIO(stored["state"].tobytes()), weights_only=True))
            return TrainedModel(net, stored["mean"], stored["std"], settings, meta)

    @staticmethod
    def read_meta(path: Path) -> dict[str, Any]:
        """A saved model's metadata (without its settings), read without torch: what `model.meta` holds."""
        with np.load(path, allow_pickle=False) as stored:
            meta: dict[str, Any] = json.loads(str(stored["meta"]))
        meta.pop("settings", None)
        return meta


def model_path(home: Path, unit: str, horizon_days: int) -> Path:
    return home / "models" / f"{unit.replace(':', '-')}-{horizon_days}d.npz"


def version_of(meta: dict[str, Any]) -> str:
    """A model's version from its metadata (as `TrainedModel.read_meta` gives it, without loading torch)."""
    digest = hashlib.sha256(repr(sorted(meta.items())).encode()).hexdigest()[:10]
    return f"gnn-{meta.get('unit', '?')}-{meta.get('horizon', '?')}-{digest}"


def _edges(edges: dict[str, Array], types: list[str]) -> list[Any]:
    import torch

    return [torch.as_tensor(edges.get(t, np.zeros((2, 0))), dtype=torch.long) for t in types]


def _window(x: Array, origins: Array, lookback: int, mean: Array, std: Array) -> Any:
    """[B, L, N, F] snapshots origin-L+1 .. origin (steps before 0 repeat step 0), standardised."""
    import torch

    index = np.clip(origins[:, None] - np.arange(lookback - 1, -1, -1)[None, :], 0, None)
    return torch.as_tensor(((x[index] - mean) / std).astype(np.float32))


def train(
    x: Array,
    y: Array,
    edges: dict[str, Array],
    train_origins: Array,
    val_origins: Array,
    settings: TrainSettings = TrainSettings(),
) -> TrainedModel:
    """Fit on `train_origins`, early-stopped on the validation loss. `y[o]` counts the incidents per cell and
    category in the horizon after origin o; the network outputs the log of the expected count and is fitted by
    Poisson likelihood — a busy cell with ten incidents a day stays apart from one with two, where a binary
    target would saturate both at 1."""
    import torch
    from torch import nn

    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    sample = x[train_origins].reshape(-1, x.shape[-1])
    mean = sample.mean(axis=0)
    std = sample.std(axis=0) + 1e-6
    types = sorted(edges)
    net = network(x.shape[-1], y.shape[-1], len(types), settings.hidden, settings.dropout)
    with torch.no_grad():  # start from each category's mean rate: training learns the deviations from it
        base = np.log(np.maximum(y[train_origins].reshape(-1, y.shape[-1]).mean(axis=0), 1e-4))
        net.head.bias.copy_(torch.as_tensor(base, dtype=torch.float32))
    optimiser = torch.optim.Adam(
        net.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay
    )
    loss_fn = nn.PoissonNLLLoss(log_input=True, full=False)
    edge_list = _edges(edges, types)
    best, best_state, waited, history = float("inf"), None, 0, []
    began = time.perf_counter()
    for _ in range(settings.epochs):
        net.train()
        chosen = rng.permutation(train_origins)[: settings.origins_per_epoch]
        for start in range(0, len(chosen), settings.batch_origins):
            batch = chosen[start : start + settings.batch_origins]
            optimiser.zero_grad()
            logits = net(_window(x, batch, settings.lookback, mean, std), edge_list)
            loss = loss_fn(logits, torch.as_tensor(y[batch], dtype=torch.float32))
            loss.backward()
            optimiser.step()
        net.eval()
        with torch.no_grad():
            val = 0.0
            for start in range(0, len(val_origins), settings.batch_origins):
                batch = val_origins[start : start + settings.batch_origins]
                logits = net(_window(x, batch, settings.lookback, mean, std), edge_list)
                val += float(loss_fn(logits, torch.as_tensor(y[batch], dtype=torch.float32))) * len(batch)
            val /= max(1, len(val_origins))
        history.append(round(val, 5))
        if val < best - 1e-5:
            best, waited = val, 0
            best_state = {k: v.clone() for k, v in net.state_dict().items()}
        else:
            waited += 1
            if waited >= settings.patience:
                break
    if best_state is not None:
        net.load_state_dict(best_state)
    meta = {
        "n_features": int(x.shape[-1]), "n_categories": int(y.shape[-1]), "edge_types": types,
        "epochs_run": len(history), "validation_loss": history, "best_validation_loss": best,
        "train_seconds": round(time.perf_counter() - began, 1), "torch": torch.__version__,
    }  # fmt: skip
    return TrainedModel(net, mean, std, settings, meta)


def attribution(
    model: TrainedModel, x: Array, edges: dict[str, Array], origin: int, cells: list[int], category: int
) -> Array:
    """Gradient × input of the log-rates of `cells` for one category, summed, over the last snapshot's
    features of every cell: [N, F]. One backward pass for all the cells: a cell's own row says which of its
    features drove it (plus, marginally, the pull of other listed cells next to it); other rows, which cells
    weighed."""
    model.net.eval()
    batch = _window(x, np.array([origin]), model.settings.lookback, model.mean, model.std)
    batch.requires_grad_(True)
    logits = model.net(batch, _edges(edges, model.meta["edge_types"]))
    logits[0, cells, category].sum().backward()
    assert batch.grad is not None
    grad = batch.grad[0, -1].numpy()
    result: Array = (grad * batch.detach()[0, -1].numpy()).astype(np.float64)
    return result
