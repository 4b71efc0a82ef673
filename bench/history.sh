#!/usr/bin/env bash
# The 100 000-run history benchmark (issue "history tab"): fills an IndexedDB store in headless
# Chromium and prints first-page and filter times against raw IndexedDB cursor reads measured in
# the same run. Not part of the test suite. Takes a few minutes (release build + the fill).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh >/dev/null
# shellcheck source=scripts/env.sh
source scripts/env.sh
export CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-900}"
cargo test --release -p comfy-dashboard --target wasm32-unknown-unknown --features bench --test store_bench -- --nocapture 2>&1 \
	| grep -E '^\||store filled|test result' 
# The insight aggregates at 100 000 runs: the panel's first findings from the stored snapshot
# against re-reading every record (tests/insight_store_bench.rs).
cargo test --release -p comfy-dashboard --target wasm32-unknown-unknown --features bench --test insight_store_bench -- --nocapture 2>&1 \
	| grep -E '^\||insight:|test result'
