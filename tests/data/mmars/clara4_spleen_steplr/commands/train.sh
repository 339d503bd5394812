#!/usr/bin/env bash
my_dir="$(dirname "$0")"
. "$my_dir/set_env.sh"

export CUDA_VISIBLE_DEVICES="${1:-0}"

python3 -u -m medl.apps.train \
    -m "$MMAR_ROOT" \
    -c config/config_train.json \
    -e config/environment.json \
    --write_train_stats \
    --set \
    print_conf=True \
    epochs=300 \
    learning_rate=2e-4 \
    num_interval_per_valid=10 \
    multi_gpu=False \
    cudnn_benchmark=False \
    dont_load_ckpt_model=True \
    "${@:2}"
