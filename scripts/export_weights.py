"""Write the model weights of a `selfsim train` run as a .safetensors file.

Work-around: `selfsim analyze --checkpoint` reads torch files with weights_only=True, and a
training run's checkpoint.pt also holds NumPy RNG states, which that refuses. This reads our own
(trusted) checkpoint with weights_only=False and keeps only the model's tensors.

    python scripts/export_weights.py RUN_DIR [OUT.safetensors]   # default RUN_DIR/model.safetensors
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from safetensors.torch import save_file


def main(run: str, out: str | None = None) -> Path:
    ckpt = torch.load(Path(run) / "checkpoint.pt", map_location="cpu", weights_only=False)
    state = ckpt["model"] if isinstance(ckpt, dict) and "model" in ckpt else ckpt
    state = {k.removeprefix("module."): v.contiguous() for k, v in state.items()}
    path = Path(out) if out else Path(run) / "model.safetensors"
    save_file(state, str(path))
    return path


if __name__ == "__main__":
    print(main(*sys.argv[1:3]))
