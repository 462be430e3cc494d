"""S2-Con with Hugging Face accelerate: ``prepare_constraint`` and ``log_constraint``.

    python examples/accelerate_digits.py                       # about a minute on a CPU
    python examples/accelerate_digits.py --smoke               # a few seconds
    accelerate launch --cpu --num_processes 2 examples/accelerate_digits.py --smoke
    python examples/accelerate_digits.py --resume              # continue from OUT/state

The constraint is registered for checkpointing, so ``accelerator.save_state`` /
``load_state`` carry its gate reference and layer draw with the model and optimiser.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch
import torch.nn.functional as F
from _digits import LAYERS, accuracy, digits_data, finish, gamma_arg, make_mlp, parser
from accelerate import Accelerator
from accelerate.utils import set_seed

from selfsim.integrations.accelerate import log_constraint, prepare_constraint


def main(argv: list[str] | None = None) -> dict:
    p = parser(__doc__.splitlines()[0])
    p.set_defaults(out=Path("runs/accelerate"))
    args = p.parse_args(argv)
    try:  # TensorBoard when installed; accelerate.log is a no-op without trackers
        from torch.utils import tensorboard  # noqa: F401

        log_with = "tensorboard"
    except ImportError:
        log_with = None
    accelerator = Accelerator(cpu=True, log_with=log_with, project_dir=str(args.out))
    accelerator.init_trackers("digits")
    set_seed(args.seed)
    train, test, epochs = digits_data(args)
    loader = torch.utils.data.DataLoader(
        train, batch_size=args.batch_size, shuffle=True, drop_last=True
    )
    model = make_mlp()
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr)
    model, opt, loader = accelerator.prepare(model, opt, loader)
    con = prepare_constraint(
        accelerator,
        model,
        LAYERS,
        alpha=args.alpha,
        gamma=gamma_arg(args.gamma),
        mode=args.mode,
        epochs=epochs,
        seed=args.seed,
    )
    state_dir = args.out / "state"
    start = 0
    if args.resume:
        accelerator.load_state(str(state_dir))  # model, optimiser, RNGs and the constraint
        start = con.epoch + 1  # the constraint's epoch is that of the saved state
    step = start * len(loader)
    history = []
    t0 = time.perf_counter()
    with con:
        for epoch in range(start, epochs):
            con.start_epoch(epoch)
            for x, y in loader:
                loss = F.cross_entropy(model(x), y) + con.penalty()
                opt.zero_grad(set_to_none=True)
                accelerator.backward(loss)
                opt.step()
                log_constraint(accelerator, con, step, {"loss": float(loss.detach())})
                step += 1
            mean = con.end_epoch()  # collective: the epoch mean over all processes
            history.append(
                {
                    "epoch": epoch,
                    "mean": mean,
                    "by_rank": con.epoch_means_by_rank,
                    "gate_reference": con.gate.reference,
                }
            )
            accelerator.log({"ss/epoch_mean": mean} if mean is not None else {}, step=step)
            accelerator.save_state(str(state_dir))
            accelerator.print(
                f"epoch {epoch}: train SS_rate {mean}, gate reference {con.gate.reference}"
            )
            if epoch == args.stop_after_epoch:
                break
    accelerator.end_training()
    return finish(
        args.out,
        con,
        t0,
        write=accelerator.is_main_process,
        top1=accuracy(accelerator.unwrap_model(model), test),
        epochs=epochs,
        last_epoch=epoch,
        steps=step,
        epochs_seen=history,
        world_size=accelerator.num_processes,
    )


if __name__ == "__main__":
    main()
