"""Arbitrary strings given to the parsers give a value or a clear selfsim error, never a crash."""

from __future__ import annotations

import math

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from selfsim import SelfSimError  # noqa: E402

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# text that looks like the real thing often enough to reach the deeper branches
ATOMS = st.sampled_from(
    [
        "blocks",
        "*",
        "**",
        ".",
        ",",
        "0",
        "1",
        "-1",
        "12",
        "stem",
        "head",
        "norm",
        ":",
        "=",
        " ",
        "linear",
        "cosine",
        "auto",
        "0.3",
        "nan",
        "inf",
        "1e-3",
        "#",
        "\t",
        "\n",
        "-",
        "é",
        "{",
        "}",
        "[",
        "]",
        '"',
        "null",
        "true",
        "ss",
        "optim",
        "lr",
        "epochs",
        "model",
        "kwargs",
        "gamma",
    ]
)
TEXT = st.one_of(st.text(max_size=40), st.lists(ATOMS, max_size=12).map("".join))


@pytest.fixture(scope="module")
def tiny_net():
    torch = pytest.importorskip("torch")
    from torch import nn

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 4)
            self.norm = nn.LayerNorm(4)

        def forward(self, x):
            return self.norm(self.fc(x))

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Linear(4, 4)
            self.blocks = nn.Sequential(Block(), Block(), Block())
            self.head = nn.Linear(4, 2)

        def forward(self, x):
            return self.head(self.blocks(self.stem(x)))

    return Net().eval(), torch


@SETTINGS
@given(
    spec=st.one_of(
        TEXT, st.integers(-50, 50), st.lists(st.one_of(TEXT, st.integers(-9, 9)), max_size=4)
    )
)
def test_layer_specs(tiny_net, spec):
    from selfsim.models import select_layers

    net, _ = tiny_net
    names = dict(net.named_modules())
    try:
        got = select_layers(net, spec)
    except SelfSimError as exc:
        assert str(exc)
        return
    assert got and all(n in names for n in got)


@SETTINGS
@given(text=TEXT, lines=st.lists(TEXT, max_size=6))
def test_edge_lists(tmp_path, text, lines):
    from selfsim.network.io import read_graph

    path = tmp_path / "g.txt"
    path.write_text("\n".join([text, *lines]), encoding="utf-8")
    try:
        A = read_graph(path)
    except SelfSimError as exc:
        assert str(exc)
        return
    assert A.shape[0] == A.shape[1] and (A != A.T).nnz == 0
    assert A.nnz == 0 or (A.data > 0).all()


@SETTINGS
@given(
    key=st.one_of(
        TEXT,
        st.sampled_from(
            [
                "epochs",
                "optim.lr",
                "ss.gamma",
                "model.kwargs",
                "aug.crop_scale",
                "ema",
                "data.img_size",
                "optim.clip_grad",
                "ss.mode",
            ]
        ),
    ),
    value=TEXT,
)
def test_set_overrides(key, value):
    from selfsim.train.config import config_to_dict, resolve_config

    try:
        cfg = resolve_config(preset="small", overrides=[f"{key}={value}"])
    except SelfSimError as exc:
        assert str(exc)
        return
    doc = config_to_dict(cfg)
    assert isinstance(doc["epochs"], int) and not isinstance(doc["epochs"], bool)
    assert isinstance(doc["optim"]["lr"], float) and isinstance(doc["ema"], bool)


@SETTINGS
@given(spec=st.one_of(TEXT, st.floats(allow_nan=True), st.integers()), epochs=st.integers(1, 50))
def test_gamma_schedules(spec, epochs):
    from selfsim.train.gate import parse_gamma

    try:
        sched = parse_gamma(spec, epochs=epochs)
    except SelfSimError as exc:
        assert str(exc)
        return
    values = [sched.at(e) for e in range(epochs)]
    assert all(isinstance(v, float) for v in values)
    lo, hi = sorted((sched.start, sched.start if sched.end is None else sched.end))
    finite = [v for v in values if math.isfinite(v)]
    assert all(lo - 1e-9 <= v <= hi + 1e-9 for v in finite)
