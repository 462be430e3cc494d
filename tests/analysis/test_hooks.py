"""Scoped hooks: always removed, store and callback modes, tuple outputs."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from selfsim import NotFoundError
from selfsim.activations.hooks import capture


class TupleOut(nn.Module):
    def forward(self, x):
        return (x * 2, "meta")


def _net():
    return nn.Sequential(nn.Linear(4, 6), nn.ReLU(), TupleOut())


def _hook_count(net):
    return sum(len(m._forward_hooks) for m in net.modules())


def test_store_mode_takes_first_tensor_and_removes_hooks():
    net = nn.Sequential(nn.Linear(4, 6), TupleOut())
    x = torch.randn(5, 4)
    with capture(net, ["0", "1"]) as cap:
        net(x)
        assert _hook_count(net) == 2
    assert _hook_count(net) == 0
    assert torch.allclose(cap["1"], 2 * cap["0"]) and not cap["1"].requires_grad


def test_hooks_removed_on_error():
    net = _net()
    with pytest.raises(RuntimeError):
        with capture(net, ["0"]):
            net(torch.randn(2, 5))  # wrong width
    assert _hook_count(net) == 0


def test_callback_mode_keeps_grad():
    net = nn.Sequential(nn.Linear(4, 6), nn.ReLU())
    seen = []

    def fn(name, out):
        seen.append(name)
        out.sum().backward(retain_graph=True)

    with capture(net, ["0"], callback=fn) as cap:
        net(torch.randn(3, 4))
    assert seen == ["0"] and cap.outputs == {}
    assert net[0].weight.grad is not None and _hook_count(net) == 0


def test_transform_stores_reduced_value():
    net = _net()
    with capture(net, ["2"], transform=lambda name, out: tuple(out.shape)) as cap:
        net(torch.randn(3, 4))
    assert cap["2"] == (3, 6)


def test_unknown_layer():
    with pytest.raises(NotFoundError, match="Nearest"):
        with capture(_net(), ["9"]):
            pass


class DictOut(nn.Module):
    """A module whose output holds its tensor behind a non-tensor (like a HF model output)."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 6)

    def forward(self, x):
        return {"meta": None, "hidden": (self.lin(x).tanh(),)}


def test_hook_outputs_keep_graph_or_detach_and_caller_removes():
    from selfsim.activations.hooks import hook_outputs

    net = nn.Sequential(DictOut())
    x = torch.randn(5, 4)
    for keep in (True, False):
        seen = {}
        handles = hook_outputs(net, ["0"], seen.__setitem__, keep_graph=keep)
        assert _hook_count(net) == 1
        net(x)
        for h in handles:
            h.remove()
        assert _hook_count(net) == 0
        expected = net[0].lin(x).tanh()  # ground truth: the tensor inside the dict
        assert torch.allclose(seen["0"], expected)
        assert seen["0"].requires_grad is keep


def test_hook_outputs_registers_nothing_on_a_bad_name():
    from selfsim.activations.hooks import hook_outputs

    net = _net()
    with pytest.raises(NotFoundError):
        hook_outputs(net, ["0", "nope"], lambda n, out: None)
    assert _hook_count(net) == 0
