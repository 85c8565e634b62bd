#!/bin/sh
# CI gate: the staging endpoint against the registered model (workbench integration-test).
# Env: ENDPOINT, MODEL, LATENCY_MS (default 500).
set -eu
: "${ENDPOINT:?}" "${MODEL:?}"
exec workbench integration-test "$ENDPOINT" --model "$MODEL" --latency-ms "${LATENCY_MS:-500}"
