#!/usr/bin/env bash
my_dir="$(dirname "$0")"
. "$my_dir/set_env.sh"

python3 -u -m nvmidl.apps.evaluate \
    -m "$MMAR_ROOT" \
    -c config/config_validation.json \
    -e config/environment.json \
    --set \
    DATASET_JSON="$MMAR_ROOT/config/dataset_0.json"
