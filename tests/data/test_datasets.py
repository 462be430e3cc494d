"""get_dataset: the embedded default, synthetic noise, folders, files and errors."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from selfsim import DataError, NotFoundError
from selfsim.data import get_dataset


def test_digits_is_real_rgb_and_split():
    test, train = get_dataset("digits"), get_dataset("digits", "train")
    assert len(test) + len(train) == 1797 and test.num_classes == 10
    img, label = test[0]
    assert img.mode == "RGB" and img.size == (8, 8) and 0 <= label < 10
    arr = np.asarray(img)
    assert arr.max() > 200 and arr.min() == 0  # real strokes on a dark background


def test_num_samples_is_a_seeded_draw():
    a = get_dataset("digits", num_samples=50, seed=1)
    b = get_dataset("digits", num_samples=50, seed=1)
    c = get_dataset("digits", num_samples=50, seed=2)
    assert a.targets == b.targets and len(a) == 50
    assert not np.array_equal(a.indices, c.indices)


def test_transform_and_grey_option():
    ds = get_dataset("digits", transform=lambda im: np.asarray(im).shape, num_samples=3)
    assert ds[0][0] == (8, 8, 3)
    assert get_dataset("digits", rgb=False, num_samples=3)[0][0].mode == "L"


def test_synthetic_is_seeded():
    a, b = (
        get_dataset("synthetic", num_samples=4, seed=3),
        get_dataset("synthetic", num_samples=4, seed=3),
    )
    assert np.array_equal(np.asarray(a[2][0]), np.asarray(b[2][0]))
    assert len(get_dataset("synthetic", num_samples=7)) == 7


def test_image_folder(tmp_path):
    from PIL import Image

    for split in ("train", "val"):
        for cls in ("cat", "dog"):
            (tmp_path / split / cls).mkdir(parents=True)
            Image.new("L", (5, 6), 100).save(tmp_path / split / cls / "a.png")
    ds = get_dataset(str(tmp_path), "test")
    assert (
        len(ds) == 2 and ds.classes == ["cat", "dog"] and ds[1][0].mode == "RGB" and ds[1][1] == 1
    )


def test_torchvision_mnist_layout_and_idx(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    imgs = np.arange(2 * 28 * 28, dtype=np.uint32).astype(np.uint8).reshape(2, 28, 28)
    header = bytes([0, 0, 8, 3]) + b"".join(int(d).to_bytes(4, "big") for d in imgs.shape)
    (raw / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(header + imgs.tobytes()))
    (raw / "t10k-labels-idx1-ubyte").write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 2, 4, 7]))
    (raw / "t10k-labels-idx1-ubyte.gz").write_bytes(
        gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 2, 4, 7]))
    )
    ds = get_dataset("mnist", root=tmp_path)
    assert ds.targets == [4, 7]
    assert np.array_equal(np.asarray(ds[1][0])[..., 0], imgs[1])


def test_cifar_npz_layout(tmp_path):
    x = np.random.default_rng(0).integers(0, 255, (6, 32, 32, 3), dtype=np.uint8)
    (tmp_path / "cifar10").mkdir()
    np.savez(tmp_path / "cifar10" / "cifar10_test.npz", x_test=x, y_test=np.arange(6))
    ds = get_dataset("cifar10", root=tmp_path)
    assert ds.targets == list(range(6)) and ds.classes[0] == "airplane"
    assert np.array_equal(np.asarray(ds[5][0]), x[5])


def test_missing_files_say_where_looked(tmp_path):
    with pytest.raises(DataError) as err:
        get_dataset("cifar10", root=tmp_path / "nope")
    msg = str(err.value)
    assert "cifar10_test.npz" in msg and "cifar-10-batches-py" in msg and "download" in msg


def test_unknown_name_suggests():
    with pytest.raises(NotFoundError, match="cifar10"):
        get_dataset("cifr10")


@pytest.mark.data
def test_shared_copies(shared_data):
    ds = get_dataset("cifar10", root=shared_data, num_samples=20)
    assert len(ds) == 20 and ds[0][0].size == (32, 32)
    fm = get_dataset("fashion-mnist", "train", root=shared_data)
    assert len(fm) == 60000 and fm.classes[9] == "Ankle boot"
    mn = get_dataset("mnist", root=shared_data / "mnist")
    assert len(mn) == 10000 and mn[0][1] == 7
