"""Resident data: the batched pad-and-crop equals cropping each image on its own."""

from __future__ import annotations

import torch

from selfsim.train.data import EpochSampler, ResidentLoader


def test_pad_crop_equals_per_image_crop():
    x = torch.arange(6 * 2 * 5 * 5, dtype=torch.float32).reshape(6, 2, 5, 5)
    loader = ResidentLoader(
        x,
        torch.zeros(6, dtype=torch.long),
        EpochSampler(6, shuffle=False),
        6,
        drop_last=True,
        pad_crop=2,
    )
    torch.manual_seed(3)
    got = loader._augment(x)
    torch.manual_seed(3)  # the same draws, applied one image at a time
    dy, dx = torch.randint(0, 5, (6,)).tolist(), torch.randint(0, 5, (6,)).tolist()
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2))
    want = torch.stack(
        [padded[i, :, a : a + 5, b : b + 5] for i, (a, b) in enumerate(zip(dy, dx, strict=True))]
    )
    assert torch.equal(got, want)
    assert not torch.equal(got, x)  # it did shift something
