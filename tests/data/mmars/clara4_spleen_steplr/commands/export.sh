#!/usr/bin/env bash
my_dir="$(dirname "$0")"
. "$my_dir/set_env.sh"

python3 -u -m medl.apps.export \
    -m "$MMAR_ROOT" \
    -c config/config_train.json \
    -e config/environment.json \
    --model_path "$MMAR_ROOT/models/model.pt" \
    --output_path "$MMAR_ROOT/models/model.ts"
