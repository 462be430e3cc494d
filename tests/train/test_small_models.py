"""Every registered small-input variant builds, runs on its input size and keeps the paper's names."""

from __future__ import annotations

import re

import pytest

timm = pytest.importorskip("timm")
torch = pytest.importorskip("torch")

import selfsim.models.small as small  # noqa: E402 - registers the variants


@pytest.mark.parametrize("name", sorted(small.SMALL_MODELS))
def test_small_variant_contract(name):
    torch.manual_seed(0)
    model = timm.create_model(name, num_classes=7)
    out = model(torch.randn(2, *model.pretrained_cfg["input_size"]))
    assert out.shape == (2, 7)
    modules = list(dict(model.named_modules()))
    family, layers, released = small.SMALL_MODELS[name]
    for layer in layers + released:  # names or one-component globs such as "blocks.*"
        pattern = layer.replace(".", r"\.").replace("*", r"[^.]+")
        assert any(re.fullmatch(pattern, m) for m in modules), (name, layer)
    assert name in timm.list_models(f"{family.split('_')[0]}*")


def test_small_variant_accepts_overrides():
    m = timm.create_model("vit_tiny_32", num_classes=3, depth=2, embed_dim=48, num_heads=2)
    assert len(m.blocks) == 2 and m.head.in_features == 48


@pytest.mark.parametrize(
    "name, kwargs, first",
    [
        ("resnet_tiny_32", {}, 8),
        ("resnet_cifar_32", {}, 16),
        ("resnet_cifar_32", {"stem_stride": 1}, 32),
    ],
)
def test_resnet_stem_resolution(name, kwargs, first):
    """The small-image stem keeps 16 x 16 (stride 1: 32 x 32) at the first stage (timm: 8 x 8)."""
    model = timm.create_model(name, num_classes=10, in_chans=1, **kwargs).eval()
    seen = {}
    for i in range(1, 5):
        layer = getattr(model, f"layer{i}")
        layer.register_forward_hook(lambda m, a, out, i=i: seen.__setitem__(i, out.shape[-1]))
    model(torch.zeros(2, 1, 32, 32))
    assert [seen[i] for i in range(1, 5)] == [first, first // 2, first // 4, first // 8]


def test_resnet_stem_stride_is_checked():
    with pytest.raises(ValueError, match="stem_stride must be 1 or 2"):
        timm.create_model("resnet_cifar_32", stem_stride=4)


@pytest.mark.parametrize("stem_stride", [1, 2])
def test_resnet_stem_width(stem_stride):
    """A 16-wide stem feeds layer1 through an identity shortcut; feature_info follows it."""
    model = timm.create_model(
        "resnet_cifar_32", num_classes=10, stem_stride=stem_stride, stem_width=16
    ).eval()
    assert model.conv1.out_channels == model.bn1.num_features == 16
    assert model.layer1[0].downsample is None
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    info = {f["module"]: (f["num_chs"], f["reduction"]) for f in model.feature_info}
    assert info["act1"] == (16, stem_stride)
    assert info["layer4"] == (128, 8 * stem_stride)
    wide = timm.create_model("resnet_cifar_32", stem_stride=stem_stride, stem_width=32)
    assert wide.layer1[0].downsample[0].in_channels == 32
    assert wide(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
