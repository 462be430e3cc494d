"""Small-input variants of the paper's model families, registered with timm.

The paper (arXiv 2507.17785) trains ResMLP, MLP-Mixer, ViT, PoolFormer,
PvT-v2, ResNet and VGG at 224 x 224. Several of timm's entry points refuse
the overrides needed for small inputs (``resmlp_12_224`` rejects
``patch_size``), so this module registers variants for 32 x 32 inputs with
few blocks and a small width, trainable in minutes on a CPU:

==================== ======================== ==============================
name                 family (timm class)      hooked modules (METHOD sec. 5)
==================== ======================== ==============================
fc_mlp               fully connected (FCNet)  blocks.0 .. blocks.2 (ReLU outputs)
resmlp_tiny_32       ResMLP (MlpMixer)        blocks.0 .. blocks.3
mixer_tiny_32        MLP-Mixer (MlpMixer)     blocks.0 .. blocks.3
vit_tiny_32          ViT (VisionTransformer)  blocks.0 .. blocks.3
poolformer_tiny_32   PoolFormer (MetaFormer)  stages.0 .. stages.3
pvt_v2_tiny_32       PvT-v2                   stages.0 .. stages.3
resnet_tiny_32       ResNet (BasicBlock)      layer1 .. layer4
resnet_cifar_32      ResNet, 3 x 3 stem       layer1 .. layer4
vgg_tiny_32          VGG-11 layout            features.1, 4, 9, 14, 19
==================== ======================== ==============================

The module names follow timm's full-size models, so layer presets written for
those apply unchanged. Importing this module registers the names; afterwards
``timm.create_model("resmlp_tiny_32", num_classes=10)`` works, and every
constructor argument of the underlying class can still be overridden.

Examples
--------
>>> import timm, torch
>>> import selfsim.models.small  # registers the variants
>>> m = timm.create_model("resmlp_tiny_32", num_classes=10)
>>> m(torch.zeros(2, 3, 32, 32)).shape
torch.Size([2, 10])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from timm.data import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from timm.layers import ClassifierHead
from timm.models import build_model_with_cfg, generate_default_cfgs, register_model
from timm.models.metaformer import GroupNorm1, MetaFormer
from timm.models.mlp_mixer import Affine, MlpMixer, ResBlock
from timm.models.pvt_v2 import PyramidVisionTransformerV2
from timm.models.resnet import BasicBlock, ResNet
from timm.models.vgg import VGG, ConvMlp
from timm.models.vision_transformer import VisionTransformer
from torch import nn

__all__ = [
    "SMALL_MODELS",
    "FCNet",
    "fc_mlp",
    "resmlp_tiny_32",
    "mixer_tiny_32",
    "vit_tiny_32",
    "poolformer_tiny_32",
    "pvt_v2_tiny_32",
    "resnet_tiny_32",
    "resnet_cifar_32",
    "vgg_tiny_32",
]


def _cfg(**kwargs: Any) -> dict[str, Any]:
    return {
        "url": "",
        "num_classes": 10,
        "input_size": (3, 32, 32),
        "pool_size": None,
        "crop_pct": 1.0,
        "interpolation": "bicubic",
        "fixed_input_size": False,
        "mean": IMAGENET_DEFAULT_MEAN,
        "std": IMAGENET_DEFAULT_STD,
        "license": "apache-2.0",
        **kwargs,
    }


_RESNET_LAYERS = (
    "resnet",
    [f"layer{i}" for i in range(1, 5)],
    [f"layer{i}.*" for i in range(1, 5)],
)

#: name -> (family, hooked modules of the figure set, of the released training set): names
#: or glob patterns, so that depth overrides such as ``num_blocks=2`` keep a valid preset
SMALL_MODELS: dict[str, tuple[str, list[str], list[str]]] = {
    "fc_mlp": ("fc", ["blocks.*"], ["blocks.*"]),
    "resmlp_tiny_32": ("resmlp", ["blocks.*"], ["stem", "blocks.*"]),
    "mixer_tiny_32": ("mixer", ["blocks.*"], ["blocks.*"]),
    "vit_tiny_32": ("vit", ["blocks.*"], ["blocks.*"]),
    "poolformer_tiny_32": ("poolformer", ["stages.*"], ["stages.*.blocks.*"]),
    "pvt_v2_tiny_32": ("pvt_v2", ["stages.*"], ["stages.*.blocks.*"]),
    "resnet_tiny_32": _RESNET_LAYERS,
    "resnet_cifar_32": _RESNET_LAYERS,
    "vgg_tiny_32": ("vgg", [f"features.{i}" for i in (1, 4, 9, 14, 19)], ["features.*"]),
}

default_cfgs = generate_default_cfgs(
    {
        "fc_mlp": _cfg(
            input_size=(1, 28, 28),
            first_conv="blocks.0.0",
            classifier="head",
            mean=(0.5,),
            std=(0.5,),
        ),
        "resmlp_tiny_32": _cfg(first_conv="stem.proj", classifier="head"),
        "mixer_tiny_32": _cfg(first_conv="stem.proj", classifier="head"),
        "vit_tiny_32": _cfg(first_conv="patch_embed.proj", classifier="head"),
        "poolformer_tiny_32": _cfg(first_conv="stem.conv", classifier="head.fc"),
        "pvt_v2_tiny_32": _cfg(first_conv="patch_embed.proj", classifier="head"),
        "resnet_tiny_32": _cfg(first_conv="conv1", classifier="fc"),
        "resnet_cifar_32": _cfg(first_conv="conv1", classifier="fc"),
        "vgg_tiny_32": _cfg(first_conv="features.0", classifier="head.fc"),
    }
)


def _build(cls: Any, variant: str, pretrained: bool, defaults: dict, kwargs: dict) -> Any:
    # caller overrides win over the small defaults; pretrained weights do not exist
    args = {"num_classes": 10, **defaults, **kwargs}
    return build_model_with_cfg(cls, variant, pretrained, **args)


class FCNet(nn.Module):
    """A fully connected network on flattened images (the paper's Fig. 1 model family).

    ``blocks.i`` is ``Linear -> ReLU`` (its output is a (B, width) hidden layer, the
    feature network G_M of that layer has D = width nodes); ``head`` maps to the classes.
    """

    def __init__(
        self,
        img_size: int = 28,
        in_chans: int = 1,
        hidden: Sequence[int] = (512, 512, 512),
        num_classes: int = 10,
        **_: Any,
    ) -> None:
        super().__init__()
        widths = [int(in_chans) * int(img_size) ** 2, *(int(h) for h in hidden)]
        self.num_classes = num_classes
        self.num_features = widths[-1]
        self.flatten = nn.Flatten()
        self.blocks = nn.Sequential(
            *(
                nn.Sequential(nn.Linear(a, b), nn.ReLU())
                for a, b in zip(widths[:-1], widths[1:], strict=True)
            )
        )
        self.head = nn.Linear(widths[-1], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.flatten(x)))


@register_model
def fc_mlp(pretrained: bool = False, **kwargs: Any) -> FCNet:
    """Fully connected 784-512-512-512-10 (28 x 28 grey input); set ``img_size``,
    ``in_chans`` and ``hidden`` for other shapes (CIFAR-10 flattened: 32, 3)."""
    d = dict(img_size=28, in_chans=1, hidden=(512, 512, 512))
    return _build(FCNet, "fc_mlp", pretrained, d, kwargs)


@register_model
def resmlp_tiny_32(pretrained: bool = False, **kwargs: Any) -> MlpMixer:
    """ResMLP for 32 x 32 inputs: patch 4 (64 tokens), 4 blocks, width 96."""
    d = dict(
        img_size=32,
        patch_size=4,
        num_blocks=4,
        embed_dim=96,
        mlp_ratio=4,
        block_layer=ResBlock,
        norm_layer=Affine,
    )
    return _build(MlpMixer, "resmlp_tiny_32", pretrained, d, kwargs)


@register_model
def mixer_tiny_32(pretrained: bool = False, **kwargs: Any) -> MlpMixer:
    """MLP-Mixer for 32 x 32 inputs: patch 4 (64 tokens), 4 blocks, width 96."""
    d = dict(img_size=32, patch_size=4, num_blocks=4, embed_dim=96)
    return _build(MlpMixer, "mixer_tiny_32", pretrained, d, kwargs)


@register_model
def vit_tiny_32(pretrained: bool = False, **kwargs: Any) -> VisionTransformer:
    """ViT for 32 x 32 inputs: patch 4 (64 tokens + class token), 4 blocks, width 96, 3 heads."""
    d = dict(img_size=32, patch_size=4, depth=4, embed_dim=96, num_heads=3, mlp_ratio=4)
    return _build(VisionTransformer, "vit_tiny_32", pretrained, d, kwargs)


@register_model
def poolformer_tiny_32(pretrained: bool = False, **kwargs: Any) -> MetaFormer:
    """PoolFormer (v1 layout) for 32 x 32 inputs: one block per stage, widths 32-256."""
    d = dict(
        depths=(1, 1, 1, 1),
        dims=(32, 64, 128, 256),
        downsample_norm=None,
        mlp_act=nn.GELU,
        mlp_bias=True,
        norm_layers=GroupNorm1,
        layer_scale_init_values=1e-5,
        res_scale_init_values=None,
        use_mlp_head=False,
    )
    return _build(MetaFormer, "poolformer_tiny_32", pretrained, d, kwargs)


@register_model
def pvt_v2_tiny_32(pretrained: bool = False, **kwargs: Any) -> PyramidVisionTransformerV2:
    """PvT-v2 for 32 x 32 inputs: one block per stage, widths 32-256, spatial reduction 2-1."""
    d = dict(
        depths=(1, 1, 1, 1),
        embed_dims=(32, 64, 128, 256),
        num_heads=(1, 2, 4, 8),
        sr_ratios=(2, 1, 1, 1),
        mlp_ratios=(4, 4, 4, 4),
    )
    return _build(PyramidVisionTransformerV2, "pvt_v2_tiny_32", pretrained, d, kwargs)


@register_model
def resnet_tiny_32(pretrained: bool = False, **kwargs: Any) -> ResNet:
    """ResNet (BasicBlock, one block per stage) for 32 x 32 inputs, widths 32-256."""
    d = dict(block=BasicBlock, layers=(1, 1, 1, 1), channels=(32, 64, 128, 256), stem_width=32)
    return _build(ResNet, "resnet_tiny_32", pretrained, d, kwargs)


@register_model
def resnet_cifar_32(
    pretrained: bool = False, stem_stride: int = 2, stem_width: int = 64, **kwargs: Any
) -> ResNet:
    """ResNet (BasicBlock, one block per stage, widths 16-128) with a small-image stem.

    timm's ImageNet stem (7 x 7 convolution of stride 2, then a max-pool of
    stride 2) leaves a 32 px image at 8 x 8 before the first stage, as in
    :func:`resnet_tiny_32`. Here the stem is one 3 x 3 convolution of stride
    ``stem_stride`` and no pool. With the default 2 the stages see 16, 8, 4 and
    2 px, at about the multiply-adds of ``resnet_tiny_32`` (6.1 against 5.5
    million per 32 px grey image); ``stem_stride=1`` keeps the image at 32 px
    for the first stage, as the CIFAR ResNets of He et al. (2016) do, at about
    four times the multiply-adds.

    The stem is 64 channels wide (timm's single-convolution stem ignores its
    ``stem_width``); ``stem_width`` sets it here. At 32 px most of a step is
    spent on the stem's output, so ``stem_stride=1, stem_width=16`` (the first
    stage's width, as in He et al.) trains about twice as fast as a 64-wide
    stem at stride 1 (83-98 against 179-192 ms per step of 64 RGB images on one
    thread, next to other runs).
    """
    if stem_stride not in (1, 2):
        raise ValueError(f"stem_stride must be 1 or 2, got {stem_stride!r}")
    if stem_width < 1:
        raise ValueError(f"stem_width must be a positive channel count, got {stem_width!r}")
    d = dict(block=BasicBlock, layers=(1, 1, 1, 1), channels=(16, 32, 64, 128))
    model = _build(ResNet, "resnet_cifar_32", pretrained, d, kwargs)
    conv = model.conv1
    model.conv1 = nn.Conv2d(
        conv.in_channels, stem_width, 3, stride=stem_stride, padding=1, bias=False
    )
    if stem_width != conv.out_channels:
        model.bn1 = type(model.bn1)(stem_width)
        _refit_first_block(model.layer1[0], stem_width)
        model.feature_info[0]["num_chs"] = stem_width
    model.maxpool = nn.Identity()
    for info in model.feature_info:  # act1, layer1 .. layer4 without the pool
        stage = 0 if info["module"] == "act1" else int(info["module"][len("layer") :])
        info["reduction"] = stem_stride * 2 ** max(stage - 1, 0)
    return model


def _refit_first_block(block: BasicBlock, in_chs: int) -> None:
    """Rebuild the input side of ``block`` (a stage's first BasicBlock) for ``in_chs`` channels.

    The shortcut becomes the identity where the shapes allow it (as in He et al.'s CIFAR
    ResNets) and a 1 x 1 convolution with batch norm otherwise.
    """
    planes, stride = block.conv1.out_channels, int(block.conv1.stride[0])
    block.conv1 = nn.Conv2d(in_chs, planes, 3, stride=stride, padding=1, bias=False)
    if in_chs == planes and stride == 1:
        block.downsample = None
    else:
        block.downsample = nn.Sequential(
            nn.Conv2d(in_chs, planes, 1, stride=stride, bias=False), nn.BatchNorm2d(planes)
        )


class _SmallVGG(VGG):
    """timm's VGG with a small 1x1 pre-logits block (the 7x7, 4096-wide one is too big)."""

    def __init__(
        self,
        cfg: list,
        num_classes: int = 10,
        hidden: int = 256,
        global_pool: str = "avg",
        drop_rate: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            cfg, num_classes=num_classes, global_pool=global_pool, drop_rate=drop_rate, **kwargs
        )
        prev = [c for c in cfg if c != "M"][-1]
        self.pre_logits = ConvMlp(prev, hidden, kernel_size=1, drop_rate=drop_rate)
        self.num_features = self.head_hidden_size = hidden
        self.head = ClassifierHead(hidden, num_classes, pool_type=global_pool, drop_rate=drop_rate)


@register_model
def vgg_tiny_32(pretrained: bool = False, **kwargs: Any) -> VGG:
    """VGG-11 layout (8 convolutions, 5 pools) at an eighth of the width, for 32 x 32 inputs.

    ``features.1, 4, 9, 14, 19`` are ReLU outputs, as in the paper's ``vgg11`` preset.
    """
    cfg = [8, "M", 16, "M", 32, 32, "M", 64, 64, "M", 64, 64, "M"]
    d = dict(cfg=kwargs.pop("cfg", cfg), feature_cfg=dict(flatten_sequential=True))
    return _build(_SmallVGG, "vgg_tiny_32", pretrained, d, kwargs)
