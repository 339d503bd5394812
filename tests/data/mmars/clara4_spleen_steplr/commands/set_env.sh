#!/usr/bin/env bash
MMAR_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export MMAR_ROOT
export PYTHONPATH="$PYTHONPATH:$MMAR_ROOT/custom"
echo "MMAR_ROOT set to $MMAR_ROOT"
