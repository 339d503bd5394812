#!/usr/bin/env bash
my_dir="$(dirname "$0")"
. "$my_dir/set_env.sh"

python3 -u -m medl.apps.train \
    -m "$MMAR_ROOT" \
    -c config/config_train.json \
    -e config/environment.json \
    --write_train_stats \
    --set \
    print_conf=True \
    epochs=40 \
    learning_rate=0.01 \
    "$@"
