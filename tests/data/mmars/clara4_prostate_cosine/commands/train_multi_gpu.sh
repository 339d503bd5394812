#!/usr/bin/env bash
my_dir="$(dirname "$0")"
. "$my_dir/set_env.sh"

python3 -m torch.distributed.launch --nproc_per_node=2 --nnodes=1 --node_rank=0 \
    --master_addr="localhost" --master_port=1234 \
    -m medl.apps.train \
    -m "$MMAR_ROOT" \
    -c config/config_train.json \
    -e config/environment.json \
    --set \
    print_conf=True \
    multi_gpu=True \
    learning_rate=0.02
