"""S2-Con on the paper's families at 32 px on one GPU: baseline vs the paper's recipe, one command.

    python scripts/gpu_s2con.py [--out runs/gpu_s2con] [--epochs 8] [--seeds 3]
    python scripts/gpu_s2con.py --smoke        # a few steps on the CPU (run by the test suite)
    python scripts/gpu_s2con.py --compile inductor   # training forwards through torch.compile
    python scripts/gpu_s2con.py --grid configs/s2con/resnet3_cifar10_explore.yaml --parallel 8

``--grid FILE ...`` runs committed experiment files of the CPU experiment (configs/s2con/)
on the GPU instead: the same models, arms, seeds and recipe in float32 (``--amp`` for bf16
autocast), only the device (and ``--compile``) changed, ``--parallel`` runs at a time (each
in a worker process of its own; small models leave most of a data-centre GPU idle, so
several side by side finish a grid sooner). Each file's grid goes to OUT/<file name> and
prints its paired summary. Those runs are an installation of their own: their tables are
reported beside the CPU ones, not merged into them.

Families: ViT (vit_tiny_32), MLP-Mixer (mixer_tiny_32), ResMLP (resmlp_tiny_32) and ResNet
(resnet_cifar_32 with a 3 x 3 stem of stride 1, 16 channels wide, and no max-pool, so a 32 px
image enters the first stage at 32 x 32, as in He et al.'s CIFAR ResNets; the network of the
CPU experiment's `configs/s2con/resnet3_cifar10.yaml`), the small-input variants of
``selfsim.models.small``. Data sets: CIFAR-10 and
CIFAR-100 where found under --data-root (a missing one is skipped with a message). Arms, paired
by seed: record-only baseline, and the paper's recipe (alpha 1e-4, gamma = the same seed's
converged baseline SS_rate, the released gate) on the released training layer set. Recipe:
AdamW with cosine schedule (the ``small`` preset), mixup 0.8 / cutmix 1.0 / label smoothing 0.1 as
in the paper; the images stay on the GPU as one tensor (``data.resident``), so the PIL-only parts
of the paper's augmentation (RandAugment, colour jitter, random erasing) are replaced by flips
and 4-pixel pad-and-crop; bf16 autocast. Each data set writes the experiment summary
(``summary.md`` with the paired table, ``runs.csv``, plots) under OUT/<data set>, and the script
prints the wall time of each, so the grid can be resized to the GPU at hand.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

FAMILIES = ["vit_tiny_32", "mixer_tiny_32", "resmlp_tiny_32", "resnet_cifar_32"]
# arguments of a family's model, where its defaults are not the network meant here
MODEL_KWARGS = {"resnet_cifar_32": {"stem_stride": 1, "stem_width": 16}}


def experiment(data: str, args: argparse.Namespace) -> dict:
    smoke = args.smoke
    base = {
        "preset": "small",
        "epochs": 1 if smoke else args.epochs,
        "batch_size": 32 if smoke else args.batch_size,
        "tensorboard": False,
        "log_every": 10,
        "device": "cpu" if smoke else args.device,
        "amp": True,
        "amp_dtype": "bfloat16",
        "compile": args.compile,
        "data": {
            "name": data,
            "root": args.data_root,
            "resident": True,
            "img_size": 32,
            "eval_batch": 64,
            **({"train_samples": 64, "test_samples": 64} if smoke else {}),
        },
        "aug": {
            "mixup": 0.8,
            "cutmix": 1.0,
            "smoothing": 0.1,
            "hflip": 0.5,
            "pad_crop": 4,
            "auto_augment": None,
            "color_jitter": 0.0,
            "re_prob": 0.0,
        },
    }
    return {
        "models": [
            {"name": f, "label": f, "kwargs": MODEL_KWARGS.get(f, {})} for f in args.families
        ],
        "seeds": list(range(1 if smoke else args.seeds)),
        "base": base,
        "baseline": {"ss": {"mode": "record"}},
        "constrained": [
            {
                "name": "paper",
                "ss": {"mode": "constrain", "alpha": 1e-4, "gamma": "auto", "gate": "code"},
            }
        ],
    }


def from_file(path: str, args: argparse.Namespace) -> dict:
    """A committed experiment file with the device (and compile, amp) of this machine; with
    ``--smoke`` one seed, one epoch and 64 images of the embedded digits on the CPU."""
    from selfsim.train.config import read_config_file

    doc = dict(read_config_file(path))
    base = dict(doc.get("base") or {})
    base.update(device="cpu" if args.smoke else args.device, compile=args.compile)
    # the CPU grids ran in float32; amp (on by default, used on a GPU only) would change that
    if args.amp:
        base.update(amp=True, amp_dtype="bfloat16")
    else:
        base.update(amp=False)
    if args.smoke:
        data = dict(base.get("data") or {}, name="digits", train_samples=64, test_samples=64)
        base.update(epochs=1, batch_size=32, data=data)
        doc["seeds"] = [0]
    doc["base"] = base
    return doc


def run_files(args: argparse.Namespace) -> int:
    from selfsim.train.experiment import plan_grid, run_grid, summarize

    for path in args.grid:
        out = Path(args.out) / Path(path).stem
        t0 = time.perf_counter()
        runs = plan_grid(from_file(path, args), out)
        run_grid(runs, parallel=args.parallel)
        summarize(runs, out)
        print(f"{path}: {len(runs)} runs in {time.perf_counter() - t0:.0f} s", flush=True)
        print((out / "summary.md").read_text(), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default="runs/gpu_s2con")
    p.add_argument("--data-root", default="../shared/data")
    p.add_argument("--datasets", nargs="+", default=["cifar10", "cifar100"])
    p.add_argument("--families", nargs="+", default=FAMILIES)
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--device", default="cuda")
    p.add_argument(
        "--compile",
        default=None,
        metavar="BACKEND",
        help="torch.compile backend of the training forward, e.g. inductor (default: eager)",
    )
    p.add_argument(
        "--grid",
        nargs="+",
        metavar="FILE",
        help="run these experiment files (configs/s2con/*.yaml) on the device instead",
    )
    p.add_argument("--parallel", type=int, default=1, help="runs at a time (--grid)")
    p.add_argument("--amp", action="store_true", help="bf16 autocast for --grid (default fp32)")
    p.add_argument(
        "--smoke",
        action="store_true",
        help="a few steps per run on the CPU with the embedded digits data",
    )
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.grid:
        return run_files(args)
    from selfsim.data import get_dataset
    from selfsim.train.experiment import plan_grid, run_grid, summarize

    datasets = ["digits"] if args.smoke else args.datasets
    for data in datasets:
        try:
            get_dataset(data, "test", root=args.data_root, num_samples=1)
        except Exception as exc:  # noqa: BLE001 - report and go on with the next data set
            print(f"skipped {data}: {exc}".splitlines()[0], flush=True)
            continue
        out = Path(args.out) / data
        t0 = time.perf_counter()
        runs = plan_grid(experiment(data, args), out)
        run_grid(runs, parallel=1)
        summarize(runs, out)
        print(f"{data}: {len(runs)} runs in {time.perf_counter() - t0:.0f} s", flush=True)
        print((out / "summary.md").read_text(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
