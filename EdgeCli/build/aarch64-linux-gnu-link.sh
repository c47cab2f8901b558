#!/usr/bin/env bash
# Linker for cross-compiling edgejamba to linux-arm64 with Debian's gcc-aarch64-linux-gnu.
# Native AOT hands the linker clang's --target=aarch64-linux-gnu flag, which gcc rejects; drop it.
args=()
for arg in "$@"; do
  [[ $arg == --target=* ]] || args+=("$arg")
done
exec aarch64-linux-gnu-gcc "${args[@]}"
