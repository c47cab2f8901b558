#!/usr/bin/env bash
# Issue-level check of the whole user path, for every model folder of the shared reference data:
# `edgejamba build --embed` each one, run the executable from an empty folder, and compare its greedy
# tokens with the generic engine running the folder. Slow (one Native AOT compile per model), so it is
# not part of `dotnet test`; the test run covers one model (BuildTests).
#   usage: tests/embed-all.sh [SHARED_DIR]   (default: ../shared beside the checkout, or $EDGEJAMBA_SHARED)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${1:-${EDGEJAMBA_SHARED:-$root/../shared}}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/empty"

dotnet publish "$root/EdgeCli" -c Release -o "$work/cli" --artifacts-path "$work/artifacts" -nologo >"$work/publish.log" 2>&1 ||
  { tail -20 "$work/publish.log"; exit 1; }
cli=$work/cli/edgejamba
request='{"prompt": "Once upon a time", "max_tokens": 24, "greedy": true}'
tokens() { sed -e 's/.*"tokens":\[\([^]]*\)\].*/\1/'; }

fail=0
for folder in "$shared"/reference/*/hf "$shared"/models/*/; do
  folder=${folder%/}
  name=$(basename "$(dirname "$folder")")/$(basename "$folder")
  exe=$work/model
  start=$(date +%s)
  if ! "$cli" build --model "$folder" --embed -o "$exe" --source "$root" 2>"$work/build.log"; then
    echo "FAIL  $name: build failed: $(tail -1 "$work/build.log")"; fail=1; continue
  fi
  expected=$(echo "$request" | "$cli" --model "$folder" --engine generic --jsonl 2>/dev/null | tokens) || true
  got=$(cd "$work/empty" && echo "$request" | "$exe" --jsonl 2>"$work/run.log" | tokens) || true
  size=$(stat -c %s "$exe")
  if [ -n "$expected" ] && [ "$expected" = "$got" ]; then
    echo "ok    $name: $size bytes, built in $(( $(date +%s) - start )) s, greedy tokens [$got]"
  else
    echo "FAIL  $name: embedded [$got] vs generic [$expected] $(tail -1 "$work/run.log")"; fail=1
  fi
done
exit $fail
