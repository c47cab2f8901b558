#!/usr/bin/env bash
# Runs one fuzz target (or "all") for a bounded time and prints executions and findings.
#   tests/fuzz.sh TARGET SECONDS [--seed CSCHECK_SEED] [--threads N]
# Targets: spec, safetensors, sentencepiece, bpe, tokenize, snapshot. Exit code 1 when something was found;
# a finding names the CsCheck seed that replays it (pass it with --seed) and the failing input in Base64.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: tests/fuzz.sh TARGET|all SECONDS [--seed SEED] [--threads N]" >&2
  exit 2
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
artifacts="${FUZZ_ARTIFACTS:-${TMPDIR:-/tmp}/edgejamba-fuzz-build}"
dotnet build "$root/tests/EdgeJamba.Fuzz" -c Release --artifacts-path "$artifacts" -v quiet -nologo >&2
exec dotnet "$artifacts/bin/EdgeJamba.Fuzz/release/EdgeJamba.Fuzz.dll" "$@"
