#!/usr/bin/env bash
my_dir="$(dirname "$0")"
. "$my_dir/set_env.sh"

python3 -u -m nvmidl.apps.automl.train \
    -m "$MMAR_ROOT" \
    --set \
    run_id="${1:-spleen_automl}" \
    workers=0:1
