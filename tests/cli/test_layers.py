"""``--layers``: indices and slices into the default layers, and a 'did you mean' for typos."""

from __future__ import annotations

import pytest
from torch import nn

from selfsim import NotFoundError
from selfsim.models import select_layers


class Blocks(nn.Module):
    """Default layers blocks.0 .. blocks.11 (the shallowest 'blocks' container)."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.Sequential(*(nn.Linear(4, 4) for _ in range(12)))
        self.head = nn.Linear(4, 2)


NAMES = [f"blocks.{i}" for i in range(12)]


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("3", ["blocks.3"]),
        ("-2", ["blocks.10"]),
        ("-1,0", ["blocks.11", "blocks.0"]),
        ("-3:", ["blocks.9", "blocks.10", "blocks.11"]),
        ("0:4:2", ["blocks.0", "blocks.2"]),
        (":2", ["blocks.0", "blocks.1"]),
        ("blocks.5,-1:", ["blocks.5", "blocks.11"]),
    ],
)
def test_indices_and_slices_count_in_the_default_layers(spec, expected):
    assert select_layers(Blocks(), spec) == expected


def test_an_int_is_still_the_last_n_in_python():
    assert select_layers(Blocks(), 2) == ["blocks.10", "blocks.11"]


@pytest.mark.parametrize(
    "typo, meant",
    [
        ("blocks.O", "blocks.0"),
        ("Blocks.1", "blocks.1"),
        ("blocks.1l", "blocks.11"),
        ("blocks.l0", "blocks.10"),
        ("blcks.7", "blocks.7"),
    ],
)
def test_a_misspelt_name_suggests_the_closest(typo, meant):
    with pytest.raises(NotFoundError, match=rf"Did you mean '{meant}'\?"):
        select_layers(Blocks(), typo)


def test_an_empty_slice_is_refused():
    with pytest.raises(ValueError, match="selects none"):
        select_layers(Blocks(), "20:")


@pytest.mark.parametrize("spec, chosen", [("3", "layer4"), ("-2", "layer3"), ("-3:", "layer2")])
def test_cli_layers_index_without_equals_sign(cli, spec, chosen):
    # resnet_tiny_32's default layers are layer1 .. layer4
    code, out, err = cli(
        "analyze",
        "--model",
        "resnet_tiny_32",
        "--data",
        "synthetic",
        "--num-images",
        "8",
        "--measures",
        "ss",
        "--no-plots",
        "--out",
        "run",
        "--layers",
        spec,
    )
    assert code == 0, err
    rows = [line.split()[0] for line in out.splitlines()[1:] if line.startswith("layer")]
    expected = ["layer2", "layer3", "layer4"] if spec == "-3:" else [chosen]
    assert rows == expected
    # the progress lines, also when stderr is not a terminal
    assert f"layer 1/{len(expected)} {chosen}:" in err


def test_cli_misspelt_layer_says_did_you_mean(cli):
    code, _, err = cli(
        "analyze",
        "--model",
        "fc_mlp",
        "--model-kwargs",
        '{"img_size": 8}',
        "--num-images",
        "16",
        "--layers",
        "blocks.O",
        "--out",
        "run",
    )
    assert code == 2 and "Did you mean 'blocks.0'?" in err
