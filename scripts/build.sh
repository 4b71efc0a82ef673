#!/usr/bin/env bash
# Release build of the dashboard into dist/ with Trunk.
#
#   scripts/build.sh                    # served at /
#   scripts/build.sh --public-url /sub/ # served under a sub-path (any trunk build flag passes through)
#   DIST_DIR=elsewhere scripts/build.sh # into another folder (scripts/package.sh), dist/ untouched
#
# Runs scripts/setup.sh first, which installs whatever is missing (trunk, wasm-bindgen, binaryen's
# wasm-opt, the crates; a few seconds when all is there), so it works on a fresh clone.
# SKIP_SETUP=1 skips that when the caller has just run it (scripts/test.sh).
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
echo "build: trunk build --release $* -> $DIST_DIR/"
start=$SECONDS
# Trunk.toml sets offline = true: no tool downloads, and cargo runs --offline.
trunk build --release --dist "$DIST_DIR" "$@"
echo "build: done in $((SECONDS - start))s ($(du -sh "$DIST_DIR" | cut -f1) in $DIST_DIR/)"
