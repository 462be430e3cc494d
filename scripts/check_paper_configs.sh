#!/usr/bin/env bash
# Smoke check of configs/paper/*.yaml on a CPU: the full configuration (preset paper, 224 px,
# augmentation, EMA, layer preset) with only the size cut: 1 epoch, 16 training images
# (2 steps of batch 8), 8 test images, evaluation batch 8. Run from the repository root.
#   bash scripts/check_paper_configs.sh            # one process per config
#   NPROC=4 bash scripts/check_paper_configs.sh    # the same through torchrun (gloo on CPU)
set -euo pipefail
PY=${PY:-.venv/bin/python}
NPROC=${NPROC:-1}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
for cfg in ${CONFIGS:-configs/paper/*.yaml}; do
  name=$(basename "$cfg" .yaml)
  if [ "$NPROC" = 1 ]; then launch=("$PY" -m selfsim); else
    launch=("$PY" -m torch.distributed.run --standalone --nproc_per_node="$NPROC" -m selfsim); fi
  start=$(date +%s)
  "${launch[@]}" train --config "$cfg" --set epochs=1 --set batch_size=8 \
      --set data.train_samples=$((16 * NPROC)) --set data.test_samples=8 --set data.eval_batch=8 \
      --set tensorboard=false --out "runs/paper_check/${name}_np${NPROC}" --overwrite 2>&1 | tail -n 1
  echo "$name nproc=$NPROC: $(( $(date +%s) - start )) s, status $(cat runs/paper_check/${name}_np${NPROC}/status.json)"
done
