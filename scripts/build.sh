#!/usr/bin/env bash
# Release build of the dashboard into dist/: the live page's wasm, and each other page as a wasm
# chunk loaded when it is first visited (issue #22, src/app/lazy_pages.rs).
#
#   scripts/build.sh                    # served at /
#   scripts/build.sh --public-url /sub/ # served under a sub-path (any trunk build flag passes through)
#   DIST_DIR=elsewhere scripts/build.sh # into another folder (scripts/package.sh), dist/ untouched
#   SPLIT=0 scripts/build.sh            # one wasm, built by Trunk alone (as `trunk serve` does)
#
# Trunk cannot split a wasm (trunk-rs/trunk#1022), so the split build does what cargo-leptos does
# with `--split`, step by step (scripts/wasm-split.sh): cargo with the `split` feature and
# `--emit-relocs`, wasm-split-cli (crate wasm_split_cli_support) cuts the chunks out, wasm-bindgen
# (--keep-lld-exports) on the main wasm, wasm-opt on every piece, content-hashed names. Trunk then
# builds the rest of the page (CSS, recordings, index.html) from index.html without its rust link,
# and the script adds the loader tags Trunk would have written.
#
# Runs scripts/setup.sh first, which installs whatever is missing (trunk, wasm-bindgen, binaryen's
# wasm-opt, wasm-split-cli, the crates; a few seconds when all is there), so it works on a fresh
# clone. SKIP_SETUP=1 skips that when the caller has just run it (scripts/test.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
if [ "${SKIP_SETUP:-}" != 1 ]; then
	bash "$ROOT/scripts/setup.sh"
fi
# PATH gets tests/e2e/node_modules/.bin (wasm-opt 132) first; TRUNK_SKIP_VERSION_CHECK=true.
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"

DIST_DIR="${DIST_DIR:-dist}"
start=$SECONDS
if [ "${SPLIT:-1}" = 0 ]; then
	echo "build: trunk build --release $* -> $DIST_DIR/"
	# Trunk.toml sets offline = true: no tool downloads, and cargo runs --offline.
	trunk build --release --dist "$DIST_DIR" "$@"
else
	# The public URL the loader tags need (Trunk's default is /); every argument still goes to Trunk.
	public_url="/"
	prev=""
	for a in "$@"; do
		case "$a" in
		--public-url=*) public_url="${a#--public-url=}" ;;
		*) [ "$prev" = --public-url ] && public_url="$a" ;;
		esac
		prev="$a"
	done
	case "$public_url" in */) ;; *) public_url="$public_url/" ;; esac
	case "$public_url" in /*) ;; *) public_url="/$public_url" ;; esac

	STAGE="$ROOT/target/wasm-split"
	bash "$ROOT/scripts/wasm-split.sh" "$STAGE"
	# index.html without its rust link, beside the stage (target/ is ignored): Trunk builds the CSS,
	# the recordings and the page, and never runs cargo.
	sed -e '/data-trunk rel="rust"/d' -e 's#\(data-trunk rel="[a-z-]*" href="\)#\1../../#' index.html >"$STAGE/index.html"
	echo "build: trunk build --release $* $STAGE/index.html -> $DIST_DIR/"
	trunk build --release --dist "$DIST_DIR" "$@" "$STAGE/index.html"
	cp "$STAGE"/pkg/* "$DIST_DIR/"
	# The tags Trunk writes for a rust link (preloads, then the module that starts the app), and a
	# preload of the split loader, which the main module imports.
	main_js="$(cd "$STAGE/pkg" && ls comfy-dashboard-*.js)"
	main_wasm="$(cd "$STAGE/pkg" && ls comfy-dashboard-*_bg.wasm)"
	loader_js="$(cd "$STAGE/pkg" && ls __wasm_split-*.js)"
	tags="<link rel=\"modulepreload\" href=\"${public_url}${main_js}\" crossorigin=\"anonymous\">"
	tags+="<link rel=\"modulepreload\" href=\"${public_url}${loader_js}\" crossorigin=\"anonymous\">"
	tags+="<link rel=\"preload\" href=\"${public_url}${main_wasm}\" crossorigin=\"anonymous\" as=\"fetch\" type=\"application/wasm\">"
	tags+="<script type=\"module\">import init, * as bindings from '${public_url}${main_js}';"
	tags+="const wasm = await init({ module_or_path: '${public_url}${main_wasm}' });window.wasmBindings = bindings;"
	tags+="dispatchEvent(new CustomEvent(\"TrunkApplicationStarted\", {detail: {wasm}}));</script>"
	python3 - "$DIST_DIR/index.html" "$tags" <<'PY'
import sys
path, tags = sys.argv[1], sys.argv[2]
html = open(path).read()
assert html.count("</head>") == 1, "index.html has no single </head>"
open(path, "w").write(html.replace("</head>", tags + "</head>"))
PY
fi
echo "build: done in $((SECONDS - start))s ($(du -sh "$DIST_DIR" | cut -f1) in $DIST_DIR/)"
