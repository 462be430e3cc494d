"""``selfsim train``: train a timm model with (or without) the S2-Con constraint.

Examples::

    selfsim train --model resmlp_tiny_32 --data cifar10 --preset small --epochs 10 \\
        --ss-mode constrain --ss-alpha 1e-2 --ss-gamma 0.3 --out runs/resmlp_s2con
    torchrun --nproc_per_node=4 -m selfsim train --model resmlp_12_224 --data cifar10 \\
        --epochs 200 --ss-mode record --out runs/resmlp_baseline
"""

from __future__ import annotations

import argparse
import json

from ._args import DEVICE_HELP, LAYERS_HELP, DeprecatedAlias, json_object

HELP = "train a model with the self-similarity constraint S2-Con (or record-only)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model",
        metavar="NAME",
        help="timm model name (e.g. resmlp_tiny_32, vit_small_patch16_224)",
    )
    p.add_argument(
        "--model-kwargs",
        type=json_object,
        metavar="JSON",
        help='keyword arguments for timm.create_model, e.g. \'{"img_size": 32, "patch_size": 4}\'',
    )
    p.add_argument(
        "--layers",
        metavar="SPEC",
        help=LAYERS_HELP.replace(
            "(default: the paper's preset, or the model's blocks/stages)",
            "(default: the released set; indices and slices count in the paper's preset, "
            "as for analyze)",
        ),
    )
    p.add_argument(
        "--data",
        metavar="NAME_OR_PATH",
        help="digits, cifar10, cifar100, mnist, fashion-mnist, synthetic or an image folder",
    )
    p.add_argument("--data-root", metavar="DIR", help="directory holding the data set files")
    p.add_argument("--epochs", type=int, metavar="E")
    p.add_argument("--batch-size", type=int, metavar="B", help="per process (default 64)")
    p.add_argument(
        "--lr",
        type=float,
        help="base learning rate (scaled by total batch / 512 in the paper preset)",
    )
    p.add_argument("--ss-mode", choices=("off", "record", "constrain"))
    p.add_argument(
        "--ss-alpha",
        type=float,
        metavar="ALPHA",
        help="weight alpha of the S2-Con penalty (config key ss.alpha)",
    )
    p.add_argument(
        "--ss-gamma",
        metavar="GAMMA",
        help="target gamma: a number, linear:A:B, cosine:A:B or auto:RUN_DIR (config key ss.gamma)",
    )
    # the names before alpha and gamma were used everywhere
    p.add_argument(
        "--ss-weight", dest="ss_alpha", type=float, action=DeprecatedAlias, new="--ss-alpha"
    )
    p.add_argument("--ss-target", dest="ss_gamma", action=DeprecatedAlias, new="--ss-gamma")
    p.add_argument("--ss-gate", choices=("code", "none"))
    p.add_argument("--seed", type=int, metavar="S")
    p.add_argument("--preset", choices=("paper", "small"), help="recipe preset (default paper)")
    p.add_argument("--config", metavar="FILE", help="YAML or JSON configuration file")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="dotted override of a config key, e.g. --set optim.weight_decay=0.01 "
        "(repeatable; hyphens in the key are read as underscores)",
    )
    p.add_argument("--device", help=DEVICE_HELP)
    p.add_argument("--out", required=True, metavar="DIR", help="run directory")
    p.add_argument("--resume", action="store_true", help="continue the run in --out")
    p.add_argument("--overwrite", action="store_true", help="start --out again from scratch")
    # test hook: end the run after this epoch, as a kill would
    p.add_argument("--stop-after-epoch", type=int, help=argparse.SUPPRESS)


def _overrides(args: argparse.Namespace) -> list[str]:
    pairs: list[tuple[str, object]] = [
        ("model.name", args.model),
        ("data.name", args.data),
        ("data.root", args.data_root),
        ("epochs", args.epochs),
        ("batch_size", args.batch_size),
        ("optim.lr", args.lr),
        ("ss.mode", args.ss_mode),
        ("ss.alpha", args.ss_alpha),
        ("ss.gate", args.ss_gate),
        ("seed", args.seed),
        ("device", args.device),
    ]
    out = [f"{k}={json.dumps(v)}" for k, v in pairs if v is not None]
    if args.ss_gamma is not None:
        try:
            out.append(f"ss.gamma={json.dumps(float(args.ss_gamma))}")
        except ValueError:
            out.append(f"ss.gamma={json.dumps(args.ss_gamma)}")
    if args.model_kwargs is not None:
        out.append(f"model.kwargs={json.dumps(args.model_kwargs)}")
    if args.layers:
        out.append(f"model.layers={json.dumps(args.layers.split(','))}")
    return out + [_underscore_key(o) for o in args.overrides]


def _underscore_key(override: str) -> str:
    """``optim.weight-decay=0.01`` -> ``optim.weight_decay=0.01`` (config keys use underscores)."""
    key, eq, value = override.partition("=")
    return key.replace("-", "_") + eq + value if eq else override


def _saved_config(out: str) -> dict | None:
    """The configuration a run in ``out`` was started with (None when there is none)."""
    from pathlib import Path

    path = Path(out) / "config.json"
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return doc.get("config") if isinstance(doc, dict) else None


def run(args: argparse.Namespace) -> int:
    from .._core.validation import check_device
    from ..train.config import resolve_config
    from ..train.loop import train

    file, preset = args.config, args.preset
    saved = _saved_config(args.out) if args.resume and not args.config else None
    if saved is not None:  # resume: start from the saved settings; what is given must match
        file, preset = saved, preset or saved.get("preset")
    cfg = resolve_config(preset=preset, file=file, overrides=_overrides(args))
    check_device(cfg.device)
    rec = train(
        cfg,
        args.out,
        resume=args.resume,
        overwrite=args.overwrite,
        stop_after_epoch=args.stop_after_epoch,
    )
    if rec.get("already_finished"):
        print(
            f"{args.out} is already finished (epoch {rec['epoch']}, top1 {rec['top1']:.2f}, "
            f"best {rec['best_top1']:.2f}); nothing to resume, nothing changed."
        )
    elif rec:
        print(
            f"epoch {rec['epoch']}: top1 {rec['top1']:.2f} (best {rec['best_top1']:.2f}), "
            f"ss_rate_mean {rec['ss_rate_mean']:.4f}; run in {args.out}"
        )
    return 0
