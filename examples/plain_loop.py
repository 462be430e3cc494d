"""S2-Con and the SS_rate monitor in a hand-written (timm-style) training loop.

    python examples/plain_loop.py                 # about a minute on a CPU
    python examples/plain_loop.py --smoke         # a few seconds
    tensorboard --logdir runs/plain               # ss_rate/<layer> every --monitor-every steps

An MLP on the embedded 8 x 8 digits. Per step: the task loss plus the penalty of one
randomly drawn hooked layer (``con.penalty()``); per epoch: ``start_epoch`` /
``end_epoch`` for the gate; a checkpoint holds the constraint's state with the model's.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch
import torch.nn.functional as F
from _digits import LAYERS, accuracy, digits_data, finish, gamma_arg, make_mlp, parser

from selfsim import SelfSimilarityConstraint
from selfsim.integrations import SelfSimilarityMonitor


def main(argv: list[str] | None = None) -> dict:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--monitor-every", type=int, default=20)
    p.set_defaults(out=Path("runs/plain"))
    args = p.parse_args(argv)
    torch.manual_seed(args.seed)
    train, test, epochs = digits_data(args)
    loader = torch.utils.data.DataLoader(
        train,
        batch_size=args.batch_size,
        shuffle=True,
        drop_last=True,
        generator=torch.Generator().manual_seed(args.seed),
    )
    model = make_mlp()
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr)
    con = SelfSimilarityConstraint(
        model,
        LAYERS,
        alpha=args.alpha,
        gamma=gamma_arg(args.gamma),
        mode=args.mode,
        epochs=epochs,
        seed=args.seed,
    )
    # a fixed probe batch makes the monitored curves of different steps comparable
    mon = SelfSimilarityMonitor(
        model,
        LAYERS,
        every=args.monitor_every,
        batch=test.tensors[0][:128],
        log_dir=args.out / "tb",
    )
    ckpt = args.out / "checkpoint.pt"
    start, step = 0, 0
    if args.resume:  # the constraint's state (gate reference, layer draw) comes back too
        ck = torch.load(ckpt, weights_only=True)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        con.load_state_dict(ck["constraint"])
        start, step = ck["epoch"] + 1, ck["step"]
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with con, mon:
        for epoch in range(start, epochs):
            loader.generator.manual_seed(args.seed + epoch)  # the same order after a resume
            con.start_epoch(epoch)
            for x, y in loader:
                loss = F.cross_entropy(model(x), y) + con.penalty()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                mon.step(step)
                step += 1
            mean = con.end_epoch()  # refreshes the gate reference (collective under DDP)
            print(
                f"epoch {epoch}: test top-1 {accuracy(model, test):.1f} %, "
                f"train SS_rate {mean}, gate reference {con.gate.reference}"
            )
            torch.save(
                {
                    "model": model.state_dict(),
                    "optimizer": opt.state_dict(),
                    "constraint": con.state_dict(),
                    "epoch": epoch,
                    "step": step,
                },
                ckpt,
            )
            if epoch == args.stop_after_epoch:
                break
    return finish(
        args.out,
        con,
        t0,
        top1=accuracy(model, test),
        epochs=epochs,
        last_epoch=epoch,
        steps=step,
        monitor=[{"step": s, **r} for s, r in mon.history],
    )


if __name__ == "__main__":
    main()
