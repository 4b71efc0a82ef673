#!/usr/bin/env bash
# The benchmark harness (not part of CI): builds the release dashboard, then measures bundle size,
# throughput, latency and memory in Debian's headless Chromium, prints a markdown table, writes
# bench/results/latest.md (+ latest.json), and exits non-zero when a target is missed.
#
#   bench/run.sh            # full run, ~8 min on 2 cores
#   bench/run.sh --quick    # shorter phases and fewer samples (a smoke test of the harness)
#   bench/run.sh --no-build # measure the dist/ that is there
# Any other argument goes to bench/bench.mjs (e.g. --rates 1000,10000 --phase-ms 3000).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
cd "$ROOT"

BUILD=1
ARGS=()
for a in "$@"; do
	case "$a" in
	--no-build) BUILD=0 ;;
	*) ARGS+=("$a") ;;
	esac
done

if [ "$BUILD" = 1 ]; then
	bash scripts/setup.sh
fi
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"

# --- tools: twiggy (crates.io) into bench/.tools, npm packages into bench/node_modules ---------------
TWIGGY="$BENCH/.tools/bin/twiggy"
if [ ! -x "$TWIGGY" ]; then
	echo "bench: installing twiggy into bench/.tools (cargo install, ~2 min)"
	CARGO_TARGET_DIR=/work/target-bench cargo install --quiet --locked twiggy --root "$BENCH/.tools"
fi
if [ ! -d "$BENCH/node_modules/playwright-core" ] || [ ! -d "$BENCH/node_modules/ws" ]; then
	echo "bench: npm install in bench/"
	(cd "$BENCH" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error)
fi

# --- build ----------------------------------------------------------------------------------------
if [ "$BUILD" = 1 ]; then
	bash scripts/build.sh
fi
# A private copy: other builds in this checkout may rewrite dist/ while we measure.
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cp -r dist "$WORK/dist"
rm -rf "$WORK/dist/.stage" "$WORK/dist/.trunk-lock"

# --- the same wasm with a name section (for twiggy's crate breakdown and named CPU profiles) ------
# Trunk's cargo output is the un-bindgen'd wasm with symbols; wasm-bindgen + wasm-opt -Oz as Trunk
# does, plus -g to keep the names. Without -g this gives the shipped wasm byte for byte.
RAW="${CARGO_TARGET_DIR:-$ROOT/target}/wasm32-unknown-unknown/release/comfy-dashboard.wasm"
SHIPPED="$(ls "$WORK"/dist/*_bg.wasm | head -1)"
if [ ! -f "$RAW" ]; then
	echo "bench: $RAW missing; building it in /work/target-bench"
	CARGO_TARGET_DIR=/work/target-bench CARGO_PROFILE_RELEASE_STRIP=false \
		cargo build --quiet --release --target wasm32-unknown-unknown -p comfy-dashboard --bin comfy-dashboard
	RAW=/work/target-bench/wasm32-unknown-unknown/release/comfy-dashboard.wasm
fi
wasm-bindgen --target web --no-typescript --out-dir "$WORK/named" --out-name comfy-dashboard "$RAW"
wasm-opt -Oz --output "$WORK/named/check.wasm" "$WORK/named/comfy-dashboard_bg.wasm"
wasm-opt -Oz -g --output "$WORK/named/named.wasm" "$WORK/named/comfy-dashboard_bg.wasm"
NAMED=(--named-wasm "$WORK/named/named.wasm" --named-glue "$WORK/named/comfy-dashboard.js")
if cmp -s "$WORK/named/check.wasm" "$SHIPPED"; then
	echo "bench: named wasm matches the shipped one (same code, plus a name section)"
else
	echo "bench: WARNING: the cargo output in $RAW does not rebuild to the shipped wasm (another build since?); the crate breakdown is of that build"
	NAMED+=(--named-mismatch)
fi

# --- measure ----------------------------------------------------------------------------------------
cmd="bench/run.sh${*:+ $*}"
node "$BENCH/bench.mjs" --dist "$WORK/dist" ${NAMED[@]+"${NAMED[@]}"} --twiggy "$TWIGGY" \
	--dist-label "dist/ (release build, copied)" --chromium "$(command -v chromium)" --out "$BENCH/results/latest.md" --command "$cmd" ${ARGS[@]+"${ARGS[@]}"}
