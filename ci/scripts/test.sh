#!/bin/sh
# CI step 2: the project's own checks on the checked-out revision, then the generated
# artifacts must match their notebooks (productionize --check for every pipeline).
# Env: SRC (the checkout).
set -eu
: "${SRC:?SRC is not set}"
cd "$SRC"
make test
for pipeline in steps/*/pipeline.json; do
  [ -f "$pipeline" ] || continue
  notebook=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["notebook"])' "$pipeline")
  workbench productionize "$notebook" --check
done
