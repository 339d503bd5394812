#!/usr/bin/env bash
my_dir="$(dirname "$0")"
. "$my_dir/set_env.sh"

python3 -u -m medl.apps.train \
    -m "$MMAR_ROOT" \
    -c config/config_train.json \
    -e config/environment.json \
    --set \
    epochs=100 \
    learning_rate=1e-4 \
    dont_load_ckpt_model=False
