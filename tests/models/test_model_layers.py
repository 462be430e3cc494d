"""Layer presets of the paper's nine models on the real timm models, automatic choices, specs."""

from __future__ import annotations

import pytest
import torch

from selfsim import InvalidInputError, NotFoundError
from selfsim.activations.hooks import capture
from selfsim.models import PRESETS, create_model, select_layers

_BLOCKS12 = [f"blocks.{i}" for i in range(12)]
_STAGES4 = [f"stages.{i}" for i in range(4)]
# the paper's Table 1 (METHOD section 5), written out: timm name -> (hooked modules, their output
# shapes for a (2, 3, 224, 224) input, known from each architecture)
PAPER_TABLE1 = {
    "vit_small_patch16_224": (_BLOCKS12, [(2, 197, 384)] * 12),
    "vit_base_patch16_224": (_BLOCKS12, [(2, 197, 768)] * 12),
    "resmlp_12_224": (_BLOCKS12, [(2, 196, 384)] * 12),
    "mixer_b16_224": (_BLOCKS12, [(2, 196, 768)] * 12),
    "poolformer_s12": (
        _STAGES4,
        [(2, 64, 56, 56), (2, 128, 28, 28), (2, 320, 14, 14), (2, 512, 7, 7)],
    ),
    "pvt_v2_b3": (_STAGES4, [(2, 64, 56, 56), (2, 128, 28, 28), (2, 320, 14, 14), (2, 512, 7, 7)]),
    "resnet34": (
        ["layer1", "layer2", "layer3", "layer4"],
        [(2, 64, 56, 56), (2, 128, 28, 28), (2, 256, 14, 14), (2, 512, 7, 7)],
    ),
    "resnet50": (
        ["layer1", "layer2", "layer3", "layer4"],
        [(2, 256, 56, 56), (2, 512, 28, 28), (2, 1024, 14, 14), (2, 2048, 7, 7)],
    ),
    "vgg11": (
        ["features.1", "features.4", "features.9", "features.14", "features.19"],
        [
            (2, 64, 224, 224),
            (2, 128, 112, 112),
            (2, 256, 56, 56),
            (2, 512, 28, 28),
            (2, 512, 14, 14),
        ],
    ),
}


def _real_model(name: str):
    """The real timm architecture on the meta device: no weights, no memory, no download."""
    timm = pytest.importorskip("timm")
    with torch.device("meta"):
        return timm.create_model(name, pretrained=False)


def test_table1_covers_every_preset():
    assert set(PAPER_TABLE1) == set(PRESETS)


@pytest.mark.parametrize("paper_name", sorted(PAPER_TABLE1))
def test_presets_on_the_real_models(paper_name):
    """The preset resolves on the real timm model to the modules of Table 1, found by the
    model's own architecture name, and hooks outputs of the architecture's known widths."""
    names, shapes = PAPER_TABLE1[paper_name]
    model = _real_model(paper_name)
    assert select_layers(model, model_name=paper_name) == names
    assert select_layers(model) == names  # from model.pretrained_cfg["architecture"]
    if paper_name == "vgg11":  # the ReLU outputs, one after each of the first five convolutions
        assert all(isinstance(model.get_submodule(n), torch.nn.ReLU) for n in names)
    with torch.device("meta"), capture(model, names) as cap:
        model(torch.zeros(2, 3, 224, 224))
    assert [tuple(cap.outputs[n].shape) for n in names] == shapes


# the paper's nine models -> a tiny model of the same family with the same module names
TINY = {
    "vit_small_patch16_224": ("vit_tiny_32", {"depth": 3, "embed_dim": 24, "num_heads": 2}),
    "vit_base_patch16_224": ("vit_tiny_32", {"depth": 3, "embed_dim": 24, "num_heads": 2}),
    "resmlp_12_224": ("resmlp_tiny_32", {"num_blocks": 3, "embed_dim": 24}),
    "mixer_b16_224": ("mixer_tiny_32", {"num_blocks": 3, "embed_dim": 24}),
    "poolformer_s12": ("poolformer_tiny_32", {}),
    "pvt_v2_b3": ("pvt_v2_tiny_32", {}),
    "resnet34": ("resnet_tiny_32", {}),
    "resnet50": ("resnet_tiny_32", {}),
    "vgg11": ("vgg_tiny_32", {}),
}


@pytest.mark.parametrize("paper_name", sorted(PRESETS))
def test_tiny_stand_ins_hook_the_real_models_names(paper_name):
    """A tiny stand-in (3 blocks where the real model has 12) hooks the first of the real
    model's Table 1 modules, so presets written for the real models apply to it unchanged."""
    tiny, kwargs = TINY[paper_name]
    model = create_model(tiny, model_kwargs=kwargs)
    layers = select_layers(model, model_name=paper_name)
    assert layers == PAPER_TABLE1[paper_name][0][: len(layers)] and len(layers) >= 3
    with capture(model, layers) as cap:
        model(torch.randn(3, 3, 32, 32))
    assert list(cap.outputs) == layers
    assert all(out.shape[0] == 3 for out in cap.outputs.values())


@pytest.mark.parametrize(
    "name, kwargs, expected",
    [
        ("resnet18", {}, ["layer1", "layer2", "layer3", "layer4"]),
        ("convnext_atto", {}, ["stages.0", "stages.1", "stages.2", "stages.3"]),
        ("efficientnet_b0", {}, [f"blocks.{i}" for i in range(7)]),
        (
            "vit_tiny_patch16_224",
            {"img_size": 32, "patch_size": 4, "depth": 2},
            ["blocks.0", "blocks.1"],
        ),
    ],
)
def test_automatic_layers_of_non_preset_models(name, kwargs, expected):
    model = create_model(name, model_kwargs=kwargs)
    assert select_layers(model) == expected


def test_specs_int_names_globs_indices():
    model = create_model("resnet_tiny_32")
    assert select_layers(model, 2) == ["layer3", "layer4"]
    assert select_layers(model, "layer1,layer3") == ["layer1", "layer3"]
    assert select_layers(model, ["0", -1]) == ["layer1", "layer4"]
    glob = select_layers(model, "layer1.*")
    assert glob and all(n.startswith("layer1.") and n.count(".") == 1 for n in glob)
    deep = select_layers(model, "layer1.**")
    assert set(glob) < set(deep)


def test_bad_specs_list_valid_names():
    model = create_model("resnet_tiny_32")
    with pytest.raises(NotFoundError, match="layer1"):
        select_layers(model, "layr1")
    with pytest.raises(InvalidInputError, match="out of range"):
        select_layers(model, 9)
    with pytest.raises(InvalidInputError, match="out of range"):
        select_layers(model, [7])


# the released training code's layer sets (METHOD section 5), checked on the real timm models
# built on the meta device (no weights, no memory)
@pytest.mark.parametrize(
    "name,count,first,last",
    [
        ("resnet34", 16, "layer1.0", "layer4.2"),
        ("resnet50", 16, "layer1.0", "layer4.2"),
        ("poolformer_s12", 12, "stages.0.blocks.0", "stages.3.blocks.1"),
        ("pvt_v2_b3", 28, "stages.0.blocks.0", "stages.3.blocks.2"),
        ("vgg11", 21, "features.0", "features.20"),
        ("resmlp_12_224", 13, "stem", "blocks.11"),
        ("vit_small_patch16_224", 12, "blocks.0", "blocks.11"),
    ],
)
def test_released_training_sets_on_real_models(name, count, first, last):
    import timm
    import torch

    from selfsim.models import select_layers

    with torch.device("meta"):
        model = timm.create_model(name)
    chosen = select_layers(model, "released")
    assert (len(chosen), chosen[0], chosen[-1]) == (count, first, last)
    assert select_layers(model, "figure") == select_layers(model)


def test_training_default_is_the_released_set():
    import timm
    import torch

    from selfsim.train.constraint import SelfSimilarityConstraint

    with torch.device("meta"):
        model = timm.create_model("resnet34")
    con = SelfSimilarityConstraint(model, alpha=0.0, mode="off")
    assert len(con.layers) == 16
