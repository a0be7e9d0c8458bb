"""The pinned PyTorch (CPU) and PyTorch Geometric run here, reproducibly, without pyg-lib or torch-scatter."""

from __future__ import annotations

import torch
from torch_geometric.nn import GCNConv


def _forward(seed: int) -> torch.Tensor:
    torch.manual_seed(seed)
    edges = torch.tensor([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]])
    conv = GCNConv(4, 2)
    return conv(torch.eye(4), edges)


def test_torch_is_the_cpu_build_pinned() -> None:
    assert torch.__version__.startswith("2.13.0")
    assert not torch.cuda.is_available()


def test_graph_convolution_is_reproducible() -> None:
    first, second = _forward(7), _forward(7)
    assert first.shape == (4, 2)
    assert torch.equal(first, second)
    assert not torch.equal(first, _forward(8))
