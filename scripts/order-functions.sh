#!/usr/bin/env bash
# Reorders an optimised wasm's functions in place so that each follows the one most like it
# (tools/wasm-order), for the compressors: gzip looks back only 32 kB, and wasm-opt leaves
# functions in the order of how often they are called. Over every file of dist/: -27.7 kB gzip,
# -12.4 kB brotli (docs/bytes.md, "Eighteenth round"). Called by scripts/wasm-split.sh after
# wasm-opt on each piece, and by bench/size.sh to rebuild the shipped main wasm; each builds
# tools/wasm-order once first (a cargo call per piece cost ~0.7 s each).
#
#   scripts/order-functions.sh OPTIMISED.wasm SOURCE.wasm
#
# SOURCE is what wasm-opt read (its target-features section says which features to allow: the
# optimised file has none left). wasm-order names the functions by their place; binaryen's
# by-name sort moves them there and drops the names. This wasm-opt runs no optimising pass, but at
# index.html's levels and with Stack IR optimised, as an -O run writes its output (without that
# the same module is written 1.3 kB larger).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:?usage: scripts/order-functions.sh OPTIMISED.wasm SOURCE.wasm}"
SOURCE="${2:?usage: scripts/order-functions.sh OPTIMISED.wasm SOURCE.wasm}"
LEVEL="$(sed -n 's/.*data-wasm-opt="\([^"]*\)".*/\1/p' "$ROOT/index.html")"
case "${LEVEL:-s}" in
z) levels=(-ol 2 -s 2) ;;
s) levels=(-ol 2 -s 1) ;;
*) levels=(-ol "$LEVEL" -s 0) ;;
esac
ORDER="${CARGO_TARGET_DIR:-$ROOT/target}/release/wasm-order"
[ -x "$ORDER" ] || { echo "order-functions: $ORDER missing: cargo build --release -p wasm-order" >&2; exit 1; }
mapfile -t features < <(wasm-opt --print-features "$SOURCE" 2>/dev/null)
"$ORDER" "$OUT" "$OUT.named" >/dev/null
wasm-opt --mvp-features "${features[@]}" "${levels[@]}" --reorder-functions-by-name \
	--generate-stack-ir --optimize-stack-ir --strip-debug --output "$OUT" "$OUT.named"
rm "$OUT.named"
