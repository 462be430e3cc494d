"""Does SS_rate's bootstrap interval over the images cover what it claims? (ground truth)

Features are drawn from known populations (D channels: a low-rank mixture of r = 8 latent
factors with log-normal channel scales, plus noise; the factors Gaussian, Student t with 3
degrees of freedom, or the result passed through a shifted ReLU). For each population and
size (D, B), the SS_rate of 400 fresh batches of B samples gives the truth: their mean and
spread. Then, for REPS further batches, :func:`selfsim.metrics.ss_rate_interval` (percentile
bootstrap, 200 draws) is computed and the script prints how often its 95 % interval holds
the mean, how often the basic (reflected) bootstrap interval would, and the median bootstrap
standard error against the true spread.

    python benchmarks/bench_ss_interval.py [--sizes 32x64 128x256 64x24] [--reps 60]
    python benchmarks/bench_ss_interval.py --real ../shared/data   # real images as well

``--real ROOT`` adds real activations: the 10,000 CIFAR-10 test images (from ROOT, never
downloaded; in a seeded random order, since a folder of images may hold them class by class) through a randomly initialised ``resnet_tiny_32`` (seed 0); for each stage the
SS_rate of the disjoint batches of B images gives the spread, which the median bootstrap
standard error of those batches is set against, and the script counts how many of the
batches' intervals hold the batches' mean (with 19 batches of 512 both are rough); the last
row does the same for the mean over the stages, whose interval comes from the resamples the
stages share (``mean_interval``).

docs/ss_rate.md quotes its output.
"""

from __future__ import annotations

import argparse

import numpy as np

from selfsim.metrics import mean_interval, ss_rate, ss_rate_interval

KINDS = ("gauss", "t3", "relu")


def features(rng: np.random.Generator, mixing: np.ndarray, B: int, kind: str) -> np.ndarray:
    """B fresh samples of the population ``kind`` with channel mixing ``mixing`` (D x r)."""
    D, r = mixing.shape
    z = rng.standard_t(3, size=(r, B)) if kind == "t3" else rng.standard_normal((r, B))
    F = mixing @ z + 0.3 * rng.standard_normal((D, B))
    return np.maximum(F - 0.5, 0.0) if kind == "relu" else F


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", nargs="+", default=["32x64", "128x256", "64x24"], metavar="DxB")
    ap.add_argument("--reps", type=int, default=60)
    ap.add_argument("--fresh", type=int, default=400)
    ap.add_argument("--draws", type=int, default=200)
    ap.add_argument("--real", metavar="ROOT", help="data root holding cifar10 (see above)")
    ap.add_argument("--batch", type=int, default=512, help="B of the real batches")
    args = ap.parse_args()
    print(
        "| D | B | features | SD over fresh batches | bootstrap SE (median) | SE / SD "
        "| percentile 95 % covers | basic 95 % covers |\n|---|---|---|---|---|---|---|---|"
    )
    for size in args.sizes:
        D, B = (int(v) for v in size.split("x"))
        for kind in KINDS:
            rng = np.random.default_rng(1)
            mixing = rng.standard_normal((D, 8)) * rng.lognormal(0, 0.7, size=(D, 1))
            fresh = np.array([ss_rate(features(rng, mixing, B, kind)) for _ in range(args.fresh)])
            truth, spread = fresh.mean(), fresh.std(ddof=1)
            pct = basic = 0
            ses = []
            for _ in range(args.reps):
                iv = ss_rate_interval(features(rng, mixing, B, kind), draws=args.draws, seed=rng)
                pct += iv.low <= truth <= iv.high
                basic += 2 * iv.value - iv.high <= truth <= 2 * iv.value - iv.low
                ses.append(iv.se)
            se = float(np.median(ses))
            print(
                f"| {D} | {B} | {kind} | {spread:.4f} | {se:.4f} | {se / spread:.2f} "
                f"| {pct / args.reps:.2f} | {basic / args.reps:.2f} |",
                flush=True,
            )

    if args.real:
        real(args.real, args.batch, args.draws)


def real(root: str, B: int, draws: int) -> None:
    """Spread over disjoint batches of real images against the bootstrap's (see above)."""
    import timm
    import torch
    from torchvision.transforms.functional import pil_to_tensor

    import selfsim.models.small  # noqa: F401 - registers resnet_tiny_32
    from selfsim.activations.hooks import capture
    from selfsim.activations.reduce import feature_matrix
    from selfsim.data import get_dataset
    from selfsim.models import select_layers

    ds = get_dataset("cifar10", "test", root=root)
    x = torch.stack([pil_to_tensor(img) for img, _ in ds]).float() / 255.0
    x = (x - 0.5) / 0.25
    # batches must be exchangeable draws: the files may be stored class by class
    x = x[torch.randperm(len(x), generator=torch.Generator().manual_seed(0))]
    torch.manual_seed(0)
    net = timm.create_model("resnet_tiny_32", num_classes=10).eval()
    layers = select_layers(net, None, model_name="resnet_tiny_32")
    feats: dict[str, list[torch.Tensor]] = {name: [] for name in layers}
    with capture(net, layers, transform=lambda n, h: feature_matrix(h)) as cap, torch.no_grad():
        for chunk in x.split(500):
            net(chunk)
            for name in layers:
                feats[name].append(cap.outputs[name])
            cap.outputs.clear()
    print(
        f"\n| layer | D | batches of {B} | SD over batches | bootstrap SE (median) | SE / SD "
        "| intervals holding the batches' mean |\n|---|---|---|---|---|---|---|"
    )
    per_layer = {}
    for name in layers:
        F = torch.cat(feats[name], dim=1).double().numpy()
        batches = [F[:, i : i + B] for i in range(0, F.shape[1] - B + 1, B)]
        # seed k for batch k in every layer: the layers of one batch share their resamples
        ivs = [ss_rate_interval(b, draws=draws, seed=k) for k, b in enumerate(batches)]
        per_layer[name] = ivs
        _row(
            name,
            str(F.shape[0]),
            [iv.value for iv in ivs],
            [iv.se for iv in ivs],
            [(iv.low, iv.high) for iv in ivs],
        )
    # the mean over the layers, its interval from the shared resamples (mean_interval)
    n = len(next(iter(per_layer.values())))
    means = [float(np.mean([per_layer[name][k].value for name in layers])) for k in range(n)]
    draws_k = [np.mean([per_layer[name][k].draws for name in layers], axis=0) for k in range(n)]
    _row(
        "mean over layers",
        "-",
        means,
        [float(np.nanstd(d, ddof=1)) for d in draws_k],
        [mean_interval([per_layer[name][k].draws for name in layers]) for k in range(n)],
    )
    # what treating the layers as independent would claim (not what selfsim does)
    indep = [
        float(np.sqrt(sum(per_layer[name][k].se ** 2 for name in layers)) / len(layers))
        for k in range(n)
    ]
    _row(
        "mean, layers taken as independent",
        "-",
        means,
        indep,
        [(m - 1.96 * e, m + 1.96 * e) for m, e in zip(means, indep, strict=True)],
    )


def _row(name: str, D: str, values, ses, intervals) -> None:
    values = np.asarray(values)
    spread, mean = values.std(ddof=1), values.mean()
    se = float(np.median(ses))
    held = sum(lo <= mean <= hi for lo, hi in intervals)
    print(
        f"| {name} | {D} | {len(values)} | {spread:.4f} | {se:.4f} "
        f"| {se / spread:.2f} | {held} of {len(values)} |",
        flush=True,
    )


if __name__ == "__main__":
    main()
