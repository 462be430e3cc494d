"""What the three examples share: the embedded digits as tensors, a small MLP, the options.

The 8 x 8 handwritten digits ship with scikit-learn (1,198 training and 599 test
images in selfsim's split), so the examples need no download.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from torch import nn

from selfsim.data import get_dataset

# the hooked layers: the outputs of the two hidden activations of the MLP below
LAYERS = ["1", "3"]


def digits_tensors(split: str) -> torch.utils.data.TensorDataset:
    """Pixels scaled to [0, 1] as (N, 64) float32, and the labels."""
    ds = get_dataset("digits", split, rgb=False)
    x = torch.from_numpy(ds.images[ds.indices].reshape(len(ds), -1)).float() / 255.0
    y = torch.from_numpy(ds.labels[ds.indices])
    return torch.utils.data.TensorDataset(x, y)


def digits_data(args: argparse.Namespace) -> tuple:
    """Training set, test set and the number of epochs (--smoke: 256 images, 3 epochs)."""
    train, test = digits_tensors("train"), digits_tensors("test")
    if not args.smoke:
        return train, test, args.epochs
    return torch.utils.data.TensorDataset(*(t[:256] for t in train.tensors)), test, 3


def make_mlp(width: int = 128) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(64, width), nn.GELU(), nn.Linear(width, width), nn.GELU(), nn.Linear(width, 10)
    )


@torch.no_grad()
def accuracy(model: nn.Module, data: torch.utils.data.TensorDataset) -> float:
    was = model.training
    model.eval()
    x, y = data.tensors
    acc = float((model(x).argmax(1) == y).float().mean()) * 100.0
    model.train(was)
    return acc


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--alpha", type=float, default=1.0, help="weight of the S2-Con penalty")
    p.add_argument("--gamma", default="0.3", help="target SS_rate (number or linear:A:B)")
    p.add_argument("--mode", default="constrain", choices=["constrain", "record", "off"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=Path("runs/example"))
    p.add_argument(
        "--smoke", action="store_true", help="a few seconds: 3 epochs on 256 training images"
    )
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    p.add_argument(
        "--stop-after-epoch",
        type=int,
        default=None,
        help="end after this epoch's checkpoint, as a kill would",
    )
    return p


def gamma_arg(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def finish(out: Path, con, t0: float, *, write: bool = True, **fields) -> dict:
    """The run's summary (fields + the constraint's state + seconds), written to OUT/summary.json."""
    summary = {
        **fields,
        "gate_reference": con.gate.reference,
        "constraint": con.state_dict(),
        "seconds": round(time.perf_counter() - t0, 2),
    }
    if write:  # process 0 only under DDP
        out.mkdir(parents=True, exist_ok=True)
        (out / "summary.json").write_text(json.dumps(summary, indent=2))
        shown = ("top1", "last_epoch", "steps", "gate_reference", "seconds")
        print(json.dumps({k: summary[k] for k in shown}))
    return summary
