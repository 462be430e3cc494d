#!/usr/bin/env bash
# Laptop-scale Table 3 (docs/results.md): two lanes, one core each, run from the repository root.
#   bash scripts/repro_table3.sh            # logs in runs/repro/lane{1,2}.log
set -euo pipefail
SELFSIM=${SELFSIM:-.venv/bin/selfsim}
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
mkdir -p runs/repro
( for c in cifar10_mlp fmnist_resmlp_vit; do $SELFSIM experiment configs/repro/$c.yaml; done ) \
    > runs/repro/lane1.log 2>&1 &
( for c in cifar10_vit_resnet fmnist_mixer_resnet; do $SELFSIM experiment configs/repro/$c.yaml; done ) \
    > runs/repro/lane2.log 2>&1 &
wait
