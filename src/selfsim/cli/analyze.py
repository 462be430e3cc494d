"""``selfsim analyze``: measure the self-similarity of a model's feature networks.

With no options it analyses a small ViT (``vit_tiny_patch16_224`` at 32 x 32,
patch 4) with random weights on 512 embedded digits images, and writes
``./runs/analyze-<timestamp>/`` (results.json, layers.csv, plots, report.html).
"""

from __future__ import annotations

import argparse
import math

from ._args import DEVICE_HELP, LAYERS_HELP, DeprecatedAlias, json_object

HELP = "measure SS_rate, box counts and more on the hooked layers of a model"

DEFAULT_MODEL = "vit_tiny_patch16_224"
DEFAULT_MODEL_KWARGS = {"img_size": 32, "patch_size": 4}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        metavar="NAME",
        help=f"timm model name (default {DEFAULT_MODEL} with img_size=32, patch_size=4)",
    )
    p.add_argument(
        "--model-kwargs",
        type=json_object,
        default=None,
        metavar="JSON",
        help="keyword arguments for timm.create_model, e.g. '{\"img_size\": 32}'",
    )
    p.add_argument(
        "--checkpoint",
        default=None,
        metavar="FILE",
        help="local weights (.safetensors, or a torch file read with weights_only=True)",
    )
    p.add_argument("--pretrained", action="store_true", help="download timm's pretrained weights")
    p.add_argument("--layers", default=None, metavar="SPEC", help=LAYERS_HELP)
    p.add_argument(
        "--data",
        default="digits",
        metavar="NAME_OR_PATH",
        help="digits (embedded, default), cifar10, cifar100, mnist, fashion-mnist, "
        "synthetic, or an image folder",
    )
    p.add_argument(
        "--data-root",
        default=None,
        metavar="DIR",
        help="where data files live (default $SELFSIM_DATA_DIR or ./data)",
    )
    p.add_argument("--download", action="store_true", help="let torchvision download missing data")
    p.add_argument("--split", default="test", choices=["test", "train", "val"])
    p.add_argument(
        "--num-images", type=int, default=512, metavar="N", help="images (B); default 512"
    )
    p.add_argument(
        "--batch-size",
        type=int,
        default=None,
        metavar="B",
        help="images per forward pass (default: all at once)",
    )
    p.add_argument(
        "--measures",
        default="ss,boxcount",
        metavar="LIST",
        help="comma list of ss, boxcount, null, spectrum, umap, smallworld, mds, or 'all' "
        "(default ss,boxcount)",
    )
    p.add_argument("--measure", dest="measures", action=DeprecatedAlias, new="--measures")
    p.add_argument(
        "--protocol",
        default="single",
        choices=["single", "table2"],
        help="table2: also analyse the untrained model on the same images "
        "(Table 2 and Figure 2; needs --checkpoint or --pretrained)",
    )
    p.add_argument(
        "--ss-draws",
        type=int,
        default=200,
        metavar="N",
        help="bootstrap resamples of the images for each layer's SS_rate interval "
        "(default 200; 0: no interval)",
    )
    p.add_argument("--seed", type=int, default=0, metavar="S")
    p.add_argument("--device", default="auto", help=DEVICE_HELP)
    p.add_argument(
        "--out", default=None, metavar="DIR", help="run directory (default ./runs/analyze-<time>)"
    )
    p.add_argument("--overwrite", action="store_true", help="replace an existing run in --out")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="print layers, output shapes and a time / memory estimate, then stop",
    )


def _model_kwargs(args: argparse.Namespace) -> dict:
    if args.model_kwargs is not None:
        return dict(args.model_kwargs)
    return dict(DEFAULT_MODEL_KWARGS) if args.model == DEFAULT_MODEL else {}


def run(args: argparse.Namespace) -> int:
    # the settings the plan and the analysis share
    shared = dict(
        model_kwargs=_model_kwargs(args),
        layers=args.layers,
        num_images=args.num_images,
        batch_size=args.batch_size,
        measures=args.measures,
    )
    if args.dry_run:
        from ..analysis.estimate import dry_run

        print(dry_run(args.model, data=args.data, checkpoint=args.checkpoint, **shared))
        return 0
    from .._core.files import plan_output
    from .._core.validation import check_device
    from ..report.run import default_run_dir, write_run

    check_device(args.device)
    out = args.out or default_run_dir("analyze")
    plan_output(out, "analysis", overwrite=args.overwrite)  # before the expensive work
    # progress: log lines per layer and, on long forward passes, per batch (not a bar,
    # so that it shows in a log file too)
    common = dict(
        shared,
        data_root=args.data_root,
        split=args.split,
        seed=args.seed,
        device=args.device,
        ss_draws=args.ss_draws,
    )
    if args.protocol == "table2":
        from ..analysis.protocols import untrained_vs_trained

        reports = untrained_vs_trained(
            args.model, args.data, checkpoint=args.checkpoint, pretrained=args.pretrained, **common
        )
        main = "trained"
    else:
        from ..analysis.pipeline import analyze

        if args.download:
            from ..data import get_dataset

            get_dataset(args.data, args.split, root=args.data_root, download=True)
        rep = analyze(
            args.model, args.data, checkpoint=args.checkpoint, pretrained=args.pretrained, **common
        )
        weights = (
            "checkpoint" if args.checkpoint else ("pretrained" if args.pretrained else "random")
        )
        reports, main = {weights: rep}, weights
    path = write_run(reports, out, main=main, overwrite=args.overwrite, plots=not args.no_plots)
    _print_summary(reports, main, path)
    return 0


def _print_summary(reports: dict, main: str, path) -> None:
    frame = reports[main].to_frame()
    cols = [
        c
        for c in (
            "layer",
            "ss_rate",
            "ss_rate_ci_low",
            "ss_rate_ci_high",
            "ss_rate_paper",
            "approx_error",
            "d_B",
            "d_B_ci_low",
            "d_B_ci_high",
            "fractal_verdict",
            "null_d_B_p",
            "null_ss_rate_p",
            "status",
        )
        if c in frame and not frame[c].isna().all()
    ]
    print(frame[cols].to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    for label, rep in reports.items():
        n, total = rep.count("ss_rate"), len(rep.layers)
        mean = f"{rep.mean('ss_rate'):.4f}" if n else "undefined"
        lo, hi = rep.mean_interval()
        ci = f", 95 % CI [{lo:.4f}, {hi:.4f}] over the images" if n and math.isfinite(lo) else ""
        print(f"mean SS_rate ({label}): {mean} over {n} of {total} layers{ci}")
        failed = rep.failed_layers()
        if failed:
            names = ", ".join(name for name, _, _ in failed[:8])
            more = f", ... ({len(failed) - 8} more)" if len(failed) > 8 else ""
            print(
                f"  {len(failed)} of {total} layers have no measurement ({label}): {names}{more}; "
                f"first reason: {failed[0][2]}"
            )
    if len(reports) == 2:
        (before,) = (label for label in reports if label != main)
        c = reports[main].mean_difference(reports[before])
        ci = (
            f" [95 % paired CI {c['ci_low']:+.4f}, {c['ci_high']:+.4f}]"
            if math.isfinite(c["ci_low"])
            else ""
        )
        print(
            f"mean SS_rate {main} - {before}: {c['diff']:+.4f}{ci} over {int(c['layers'])} layers"
        )
    print(f"wrote {path}")
