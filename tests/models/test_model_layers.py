"""Contract tests: layer presets of the paper's nine models, automatic choices, specs."""

from __future__ import annotations

import pytest
import torch

from selfsim import InvalidInputError, NotFoundError
from selfsim.activations.hooks import capture
from selfsim.models import PRESETS, create_model, select_layers

# the paper's nine models -> a tiny model of the same family (layer presets are about names)
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
EXPECTED_PREFIX = {"vit": "blocks.", "resmlp": "blocks.", "mixer": "blocks.", "poolformer": "stages.",
                   "pvt": "stages.", "resnet": "layer", "vgg": "features."}


def test_every_preset_has_a_tiny_stand_in():
    assert set(TINY) == set(PRESETS)


@pytest.mark.parametrize("paper_name", sorted(PRESETS))
def test_preset_contract(paper_name):
    tiny, kwargs = TINY[paper_name]
    model = create_model(tiny, model_kwargs=kwargs)
    layers = select_layers(model, model_name=paper_name)
    family = next(k for k in EXPECTED_PREFIX if paper_name.startswith(k))
    assert layers and all(name.startswith(EXPECTED_PREFIX[family]) for name in layers)
    if paper_name == "vgg11":
        assert layers == ["features.1", "features.4", "features.9", "features.14", "features.19"]
    elif family in ("poolformer", "pvt", "resnet"):
        assert len(layers) == 4
    else:
        assert layers == [f"blocks.{i}" for i in range(3)]
    names = dict(model.named_modules())
    assert all(n in names for n in layers)
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
        ("vit_tiny_patch16_224", {"img_size": 32, "patch_size": 4, "depth": 2},
         ["blocks.0", "blocks.1"]),
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
@pytest.mark.parametrize("name,count,first,last", [
    ("resnet34", 16, "layer1.0", "layer4.2"),
    ("resnet50", 16, "layer1.0", "layer4.2"),
    ("poolformer_s12", 12, "stages.0.blocks.0", "stages.3.blocks.1"),
    ("pvt_v2_b3", 28, "stages.0.blocks.0", "stages.3.blocks.2"),
    ("vgg11", 21, "features.0", "features.20"),
    ("resmlp_12_224", 13, "stem", "blocks.11"),
    ("vit_small_patch16_224", 12, "blocks.0", "blocks.11"),
])
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
