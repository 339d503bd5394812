#!/usr/bin/env bash
my_dir="$(dirname "$0")"
. "$my_dir/set_env.sh"

python3 -u -m medl.apps.evaluate \
    -m "$MMAR_ROOT" \
    -c config/config_validation.json \
    -e config/environment.json \
    --set \
    print_conf=True \
    multi_gpu=False \
    dont_load_ts_model=False \
    dont_load_ckpt_model=True
