"""create_model: names, close-name suggestions, checkpoints."""

from __future__ import annotations

import pytest
import torch

from selfsim import CheckpointError, NotFoundError
from selfsim.models import create_model


def test_unknown_name_suggests_close_names():
    with pytest.raises(NotFoundError, match="resnet34"):
        create_model("resnet43")


def test_model_kwargs_reach_timm():
    model = create_model(
        "vit_tiny_patch16_224", model_kwargs={"img_size": 32, "patch_size": 4}, num_classes=7
    )
    assert model(torch.zeros(1, 3, 32, 32)).shape == (1, 7)
    assert not model.training


def test_module_passes_through():
    net = torch.nn.Sequential(torch.nn.Linear(3, 4))
    assert create_model(net) is net


@pytest.mark.parametrize("fmt", ["safetensors", "pt", "wrapped"])
def test_checkpoint_round_trip(tmp_path, fmt):
    src = create_model("resnet_tiny_32")
    state = src.state_dict()
    if fmt == "safetensors":
        from safetensors.torch import save_file

        path = tmp_path / "w.safetensors"
        save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    else:
        path = tmp_path / "w.pt"
        torch.save({"model": state, "epoch": 3} if fmt == "wrapped" else state, path)
    dst = create_model("resnet_tiny_32", checkpoint=path)
    for k, v in dst.state_dict().items():
        assert torch.equal(v, state[k])


def test_checkpoint_that_does_not_fit_names_keys(tmp_path):
    path = tmp_path / "w.pt"
    torch.save(create_model("resnet_tiny_32", num_classes=3).state_dict(), path)
    with pytest.raises(CheckpointError, match=r"fc\.weight"):
        create_model("resnet_tiny_32", checkpoint=path)
    torch.save({"bogus.weight": torch.zeros(2)}, path)
    with pytest.raises(CheckpointError, match="missing keys.*unexpected keys.*bogus"):
        create_model("resnet_tiny_32", checkpoint=path)


def test_checkpoint_with_code_is_refused(tmp_path):
    import pickle

    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"x": print}, protocol=2))  # a global: weights_only refuses it
    with pytest.raises(CheckpointError, match="weights_only"):
        create_model("resnet_tiny_32", checkpoint=path)
