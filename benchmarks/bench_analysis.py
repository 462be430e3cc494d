"""Overhead of the analysis beyond the model's own forward pass.

For each model: time the plain forward pass over B images (no hooks), then
``selfsim.analyze`` on the same images with a measurement set, and print the
overhead (hooks + per-layer measurements) as a fraction of the forward time.
The target is <= 20 % at B = 512 for the paper's models with the default set
``ss,boxcount``; the optional measurements (spectrum, umap, smallworld, mds)
are reported separately and are not held to it.

Usage::

    python benchmarks/bench_analysis.py --models resnet34,vit_small_patch16_224 --num-images 512
"""

from __future__ import annotations

import argparse
import time

import torch

from selfsim.analysis.pipeline import analyze
from selfsim.models import create_model


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--models", default="resnet34,vit_small_patch16_224")
    p.add_argument("--num-images", type=int, default=512)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--img-size", type=int, default=224)
    p.add_argument("--measures", default="ss,boxcount;ss")
    args = p.parse_args()
    torch.set_grad_enabled(False)
    print(f"torch threads {torch.get_num_threads()}, B = {args.num_images}, input {args.img_size}")
    for name in args.models.split(","):
        model = create_model(name)
        x = torch.randn(args.num_images, 3, args.img_size, args.img_size)
        t0 = time.perf_counter()
        with torch.inference_mode():
            for i in range(0, len(x), args.batch_size):
                model(x[i : i + args.batch_size])
        forward = time.perf_counter() - t0
        for measures in args.measures.split(";"):
            t0 = time.perf_counter()
            rep = analyze(model, x, batch_size=args.batch_size, measures=measures, model_name=name)
            total = time.perf_counter() - t0
            extra = rep.timings["hooks_s"] + rep.timings["measure_s"]
            print(
                f"{name:<24} {measures:<28} forward {forward:7.2f} s  analyze {total:7.2f} s  "
                f"hooks {rep.timings['hooks_s']:6.2f} s  measure {rep.timings['measure_s']:6.2f} s  "
                f"overhead {extra / forward:6.1%}  (mean SS_rate {rep.mean():.3f})"
            )


if __name__ == "__main__":
    main()
