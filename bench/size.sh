#!/usr/bin/env bash
# Where the bytes go, in a minute and without a browser: the bundle everything the page loads
# (gzip -9, brotli 11), the wasm by crate, by our modules and its largest functions (twiggy on the
# same build with a name section). For the README's "where the bytes go" table.
#
#   bench/size.sh             # release build (scripts/build.sh), then the report
#   bench/size.sh --no-build  # the dist/ and cargo output that are there
#   bench/size.sh --top 80    # more functions (arguments other than --no-build go to size.mjs)
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
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"

TWIGGY="$BENCH/.tools/bin/twiggy"
if [ ! -x "$TWIGGY" ]; then
	echo "size: installing twiggy into bench/.tools (cargo install, ~2 min)" >&2
	CARGO_TARGET_DIR=/work/target-bench nice -n 10 cargo install --quiet --locked twiggy --root "$BENCH/.tools"
fi
if [ "$BUILD" = 1 ]; then
	nice -n 10 bash scripts/build.sh >&2
fi

# Trunk's cargo output keeps its symbols; wasm-bindgen and wasm-opt as Trunk runs them (the level
# and parameters from index.html), once plainly to check it is the shipped wasm, once with -g.
RAW="${CARGO_TARGET_DIR:-$ROOT/target}/wasm32-unknown-unknown/release/comfy-dashboard.wasm"
BINDGEN_ARGS=()
# The split build (scripts/wasm-split.sh): the main wasm the splitter wrote, as it was bound.
if ls dist/__wasm_split-*.js >/dev/null 2>&1; then
	RAW="$ROOT/target/wasm-split/split/comfy-dashboard.wasm"
	BINDGEN_ARGS=(--keep-lld-exports)
fi
SHIPPED="$(ls dist/*_bg.wasm | head -1)"
LEVEL="$(sed -n 's/.*data-wasm-opt="\([^"]*\)".*/\1/p' index.html)"
read -r -a PARAMS <<<"$(sed -n 's/.*data-wasm-opt-params="\([^"]*\)".*/\1/p' index.html)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
wasm-bindgen --target web --no-typescript ${BINDGEN_ARGS[@]+"${BINDGEN_ARGS[@]}"} --out-dir "$WORK" --out-name comfy-dashboard "$RAW"
if [ ${#BINDGEN_ARGS[@]} -gt 0 ]; then
	python3 "$ROOT/scripts/shorten-imports.py" "$WORK/comfy-dashboard_bg.wasm" "$WORK/comfy-dashboard.js" ./comfy-dashboard_bg.js >/dev/null
	python3 "$ROOT/scripts/drop-exported-classes.py" "$WORK/comfy-dashboard_bg.wasm" "$WORK/comfy-dashboard.js" \
		IntoUnderlyingByteSource IntoUnderlyingSink IntoUnderlyingSource >/dev/null
	python3 "$ROOT/scripts/drop-dead-table-slots.py" "${CARGO_TARGET_DIR:-$ROOT/target}/wasm32-unknown-unknown/release/comfy-dashboard.wasm" \
		"$RAW" --after-bindgen "$WORK/comfy-dashboard_bg.wasm" IntoUnderlyingByteSource IntoUnderlyingSink IntoUnderlyingSource >/dev/null
fi
wasm-opt "-O${LEVEL:-s}" ${PARAMS[@]+"${PARAMS[@]}"} --output "$WORK/check.wasm" "$WORK/comfy-dashboard_bg.wasm"
if [ ${#BINDGEN_ARGS[@]} -gt 0 ]; then
	cargo build --quiet --offline --release -p wasm-order
	bash "$ROOT/scripts/order-functions.sh" "$WORK/check.wasm" "$WORK/comfy-dashboard_bg.wasm"
fi
wasm-opt "-O${LEVEL:-s}" ${PARAMS[@]+"${PARAMS[@]}"} -g --output "$WORK/named.wasm" "$WORK/comfy-dashboard_bg.wasm"
if ! cmp -s "$WORK/check.wasm" "$SHIPPED"; then
	echo "size: WARNING: $RAW does not rebuild to the shipped $SHIPPED; the breakdown is of the cargo output" >&2
fi
node "$BENCH/size.mjs" --dist dist --named-wasm "$WORK/named.wasm" --twiggy "$TWIGGY" \
	--order "${CARGO_TARGET_DIR:-$ROOT/target}/release/wasm-order" ${ARGS[@]+"${ARGS[@]}"}
