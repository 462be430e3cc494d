"""S2-Con in PyTorch Lightning: ``SelfSimilarityCallback`` plus ``ss_penalty`` in training_step.

    python examples/lightning_digits.py                          # about a minute on a CPU
    python examples/lightning_digits.py --smoke                  # a few seconds
    python examples/lightning_digits.py --devices 2 --strategy ddp   # two CPU processes (gloo)
    python examples/lightning_digits.py --resume                 # continue from last.ckpt

The callback builds the constraint when fitting starts, drives its epoch calls,
logs ss_rate/<layer>, ss/gate, ss/penalty, ss/epoch_mean and keeps its state in
the Lightning checkpoint.
"""

from __future__ import annotations

import time
from pathlib import Path

import lightning as L
import torch
import torch.nn.functional as F
from _digits import LAYERS, accuracy, digits_data, finish, gamma_arg, make_mlp, parser
from lightning.pytorch.callbacks import ModelCheckpoint

from selfsim.integrations.lightning import SelfSimilarityCallback, ss_penalty


class DigitsMLP(L.LightningModule):
    def __init__(self, lr: float) -> None:
        super().__init__()
        self.lr = lr
        self.net = make_mlp()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.log("train_loss", loss, prog_bar=True)
        return loss + ss_penalty(self)  # the penalty of this forward's drawn layer

    def validation_step(self, batch, batch_idx):  # eval mode: not captured by the constraint
        x, y = batch
        self.log("val_acc", (self(x).argmax(1) == y).float().mean(), sync_dist=True)

    def configure_optimizers(self):
        return torch.optim.AdamW(self.parameters(), lr=self.lr)


def main(argv: list[str] | None = None) -> dict:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--devices", type=int, default=1)
    p.add_argument("--strategy", default="auto")
    p.set_defaults(out=Path("runs/lightning"))
    args = p.parse_args(argv)
    L.seed_everything(args.seed, verbose=False)
    train, test, epochs = digits_data(args)
    train_loader = torch.utils.data.DataLoader(
        train, batch_size=args.batch_size, shuffle=True, drop_last=True
    )
    val_loader = torch.utils.data.DataLoader(test, batch_size=256)
    # layer names inside the LightningModule: the MLP sits in self.net
    callback = SelfSimilarityCallback(
        [f"net.{n}" for n in LAYERS],
        alpha=args.alpha,
        gamma=gamma_arg(args.gamma),
        mode=args.mode,
        epochs=epochs,
        seed=args.seed,
    )
    ckpt = ModelCheckpoint(dirpath=args.out / "checkpoints", save_last=True)
    stop = epochs if args.stop_after_epoch is None else args.stop_after_epoch + 1
    trainer = L.Trainer(
        max_epochs=min(stop, epochs),
        accelerator="cpu",
        devices=args.devices,
        strategy=args.strategy,
        callbacks=[callback, ckpt],
        default_root_dir=str(args.out),
        log_every_n_steps=5,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    model = DigitsMLP(args.lr)
    last = args.out / "checkpoints" / "last.ckpt"
    t0 = time.perf_counter()
    trainer.fit(model, train_loader, val_loader, ckpt_path=str(last) if args.resume else None)
    return finish(
        args.out,
        callback.constraint,
        t0,
        write=trainer.is_global_zero,
        top1=accuracy(model, test),
        epochs=epochs,
        last_epoch=trainer.current_epoch - 1,
        steps=trainer.global_step,
        epochs_seen=callback.history,
        world_size=trainer.world_size,
    )


if __name__ == "__main__":
    main()
