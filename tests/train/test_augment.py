"""The paper's RandAugment recipe runs with the installed Pillow (0-bit posterize)."""

from __future__ import annotations

import random

import numpy as np
from PIL import Image

from selfsim.train.config import resolve_config
from selfsim.train.data import _posterize_keeping_zero_bits, build_transforms


def test_zero_bit_posterize_gives_black_image():
    img = Image.fromarray(np.full((4, 4, 3), 200, dtype=np.uint8))
    assert np.asarray(_posterize_keeping_zero_bits(img, 0)).max() == 0
    assert (
        np.asarray(_posterize_keeping_zero_bits(img, 1)).tolist()
        == np.full((4, 4, 3), 128).tolist()
    )


def test_paper_recipe_transform_survives_many_draws():
    cfg = resolve_config(preset="paper")
    train_tf, _ = build_transforms(cfg, 32, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
    img = Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8))
    # full magnitude (0-bit posterize) needs gauss(9, 0.5) >= 10 on a posterize draw: about
    # one image in 700; with this seed timm + Pillow 13 raised ValueError once in 3000 draws
    random.seed(0)
    for _ in range(3000):
        assert train_tf(img).shape == (3, 32, 32)
