#!/usr/bin/env bash
# Laptop-scale Table 2 (docs/results_laptop_scale.md): SS_rate of the untrained model and of our trained
# weights (the seed-0 CIFAR-10 baseline runs of scripts/repro_table3.sh) on 512 seeded random
# CIFAR-10 test images, measure ss. Run from the repository root after repro_table3.sh.
set -euo pipefail
PY=${PY:-.venv/bin/python}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
declare -A RUN=(
  [resmlp_tiny_32]=runs/repro/cifar10_mlp/resmlp_tiny_32/baseline/seed0
  [mixer_tiny_32]=runs/repro/cifar10_mlp/mixer_tiny_32/baseline/seed0
  [vit_tiny_32]=runs/repro/cifar10_vit_resnet/vit_tiny_32/baseline/seed0
  [resnet_tiny_32]=runs/repro/cifar10_vit_resnet/resnet_tiny_32/baseline/seed0
  # longer-trained Mixer (configs/repro/cifar10_mixer_medium.yaml)
  [mixer_tiny_32_medium]=runs/repro/medium_cifar10/mixer_tiny_32/baseline/seed0
)
for m in ${MODELS:-resmlp_tiny_32 mixer_tiny_32 vit_tiny_32 resnet_tiny_32 mixer_tiny_32_medium}; do
  w=$("$PY" scripts/export_weights.py "${RUN[$m]}")   # work-around, see the script
  "$PY" -m selfsim analyze --model "${m%_medium}" --checkpoint "$w" --protocol table2 --data cifar10 \
      --data-root ../shared/data --split test --num-images 512 --measures ss --seed 0 \
      --out "runs/repro/table2/$m" --overwrite | tail -n 2
done
