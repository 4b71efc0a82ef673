#!/usr/bin/env bash
# Everything CI checks, in order, stopping at the first failure (this is what .ci/run executes):
#   setup -> fmt -> clippy (native + wasm) -> native tests -> browser unit tests (wasm-bindgen-test in
#   headless Chromium, against two replay servers on free ports) -> release build -> Playwright
#   end-to-end -> the extension's pytest suite (scripts/test-extension.sh) -> the real-ComfyUI layer:
#   the extension inside ComfyUI 0.3.64 (scripts/test-comfyui.sh) and the dashboard beside it
#   (Playwright, tests/e2e/*.real.ts). ComfyUI's venv (~3 GB, tests/comfyui/venv.sh) is installed in
#   the background while the Rust steps run, once per machine.
# The last line is always `N passed, M failed`, summed over every test runner's own summary.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

export CI="${CI:-}"
# Colours in captured logs only get in the way of the count parsing below.
export CARGO_TERM_COLOR=never FORCE_COLOR=0 NO_COLOR=1
# Disk: a CI run died of a full disk in the release build (ENOSPC, after 608 s). With debug info each
# wasm test binary was 146 MB (about 20 of them, and Chromium kept an HTTP-cached copy of each); without
# it they are 2-5 MB and the whole wasm test build is 0.6 GB (a fresh run's target peaks at 2.0 GB).
# Incremental state is worth nothing to a run that starts from scratch. A caller's own setting wins.
export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-0}"
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

START=$SECONDS
PASSED=0
FAILED=0
LOGDIR="$(mktemp -d)"
REPLAY_PIDS=()

cleanup() {
	# Only the replay servers this script started, by their pids.
	local pid
	for pid in "${REPLAY_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	# An unfinished venv install has no .complete stamp, so the next run starts it afresh.
	[ -z "${COMFY_VENV_PID:-}" ] || kill "$COMFY_VENV_PID" 2>/dev/null || true
	rm -rf "$LOGDIR"
}
trap cleanup EXIT

summary() { echo "$PASSED passed, $FAILED failed"; }

# Add the counts from a step's log: cargo/libtest and wasm-bindgen-test-runner print
# `test result: ok. X passed; Y failed; ...`, Playwright's list reporter `  X passed (1.2s)` / `  Y failed`.
count() {
	local log="$1" p f
	p=$(sed -nE 's/^test result: [A-Za-z]+\. ([0-9]+) passed; ([0-9]+) failed.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	f=$(sed -nE 's/^test result: [A-Za-z]+\. ([0-9]+) passed; ([0-9]+) failed.*/\2/p' "$log" | awk '{s+=$1} END {print s+0}')
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
	p=$(sed -nE 's/^ +([0-9]+) passed \([^)]*\)$/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	f=$(sed -nE 's/^ +([0-9]+) (failed|interrupted)$/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
	# pytest's closing line: `37 passed in 1.2s`, `1 failed, 36 passed in 1.2s`, `2 errors in ...`.
	local last
	last=$(grep -E '^(=+ )?[0-9]+ (passed|failed|errors?)(,.*)? in [0-9.]+s' "$log" | tail -1 || true)
	if [ -n "$last" ]; then
		# `|| true`: with pipefail, a grep that finds nothing (no failures) must not end the script.
		p=$( (echo "$last" | grep -oE '[0-9]+ passed' || true) | awk '{s+=$1} END {print s+0}')
		f=$( (echo "$last" | grep -oE '[0-9]+ (failed|errors?)' || true) | awk '{s+=$1} END {print s+0}')
		PASSED=$((PASSED + p))
		FAILED=$((FAILED + f))
	fi
}

# step NAME CMD...: run CMD with its output shown and logged; count its tests; stop on failure.
step() {
	local name="$1" log rc t0
	shift
	log="$LOGDIR/step.log"
	t0=$SECONDS
	echo
	echo "=== $name"
	set +e
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	set -e
	count "$log"
	if [ "$rc" -ne 0 ]; then
		echo
		echo "FAILED: $name (exit $rc, after $((SECONDS - START))s in total)"
		# A lint or build failure has no test count of its own: still report a failure.
		[ "$FAILED" -gt 0 ] || FAILED=1
		summary
		exit 1
	fi
	echo "--- ok: $name ($((SECONDS - t0))s)"
}

# --- setup (installs what is missing; puts wasm-opt/playwright on PATH via env.sh) ------------------
step "setup" bash scripts/setup.sh
# scripts/build.sh (and package.sh through it) would run setup again: once is enough.
export SKIP_SETUP=1
# ComfyUI's venv downloads while the lints and builds run (mostly network and disk, not the cores).
COMFY_ENV="$LOGDIR/comfyui.env"
bash tests/comfyui/venv.sh >"$COMFY_ENV" 2>"$LOGDIR/comfyui-venv.log" &
COMFY_VENV_PID=$!
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"

# --- a. formatting ------------------------------------------------------------------------------
step "cargo fmt --check" cargo fmt --all -- --check
step "no import circles (src, core, replay, tools)" python3 scripts/check-imports.py src core/src replay/src tools/wasm-order/src
# One concept a file: a source file past 400 lines is two concepts waiting to be told apart.
step "every source file under 400 lines (src, core, replay, tools)" bash -c \
	'long=$(find src core/src replay/src tools -name "*.rs" -exec awk "END { if (NR > 400) print FILENAME \": \" NR }" {} \;); [ -z "$long" ] || { echo "$long"; exit 1; }'

# --- b. lints: natively for the whole workspace (the wasm app compiles natively too: web-sys and
# friends build on any target), then the app again for the target it actually runs on. -----------
step "clippy (native, workspace)" cargo clippy --workspace --all-targets -- -D warnings
step "clippy (wasm32, comfy-dashboard)" \
	cargo clippy -p comfy-dashboard --target wasm32-unknown-unknown --all-targets -- -D warnings
# The release build's side of src/app/lazy_pages.rs (the pages as split points).
step "clippy (wasm32, comfy-dashboard, split)" \
	cargo clippy -p comfy-dashboard --target wasm32-unknown-unknown --all-targets --features split -- -D warnings

# --- c. native tests --------------------------------------------------------------------------------
step "native tests (telemetry-core, comfy-replay, wasm-order)" cargo test -p telemetry-core -p comfy-replay -p wasm-order

# The replay server binary: used by the browser unit tests and by Playwright (tests/e2e/replay.ts).
step "build replay server" cargo build -p comfy-replay
REPLAY_BIN="$REPLAY_TARGET_DIR/debug/comfy-replay"

# --- d. browser unit tests ----------------------------------------------------------------------------
# tests/*.rs (wasm-bindgen-test, run_in_browser) talk to two replay servers for the duration of this
# step: one with /telemetry (as with the extension) and one with `--no-telemetry` (a stock ComfyUI),
# both with their control API (`POST /__replay/outage`, ...). Each takes a free port; the tests are
# built with their addresses (REPLAY_URL, REPLAY_STOCK_URL; without them tests/stream_reconnect.rs
# uses 127.0.0.1:18188 and :18189, for a developer who starts the servers by hand).
REPLAY_PIDS=()
# start_replay NAME EXTRA-FLAGS...: start one in the background, wait for its `listening on` line,
# and set REPLAY_ADDR to its address.
start_replay() {
	local log="$LOGDIR/replay-$1.log" pid fixtures="$ROOT/../shared/fixtures/comfyui"
	shift
	[ -d "$fixtures" ] || fixtures="$ROOT/demo/recordings"
	"$REPLAY_BIN" --host 127.0.0.1 --port 0 --fixtures "$fixtures" \
		--enable-cors-header --speed 4 --loop --autostart --scenario a_success "$@" >"$log" 2>&1 &
	pid=$!
	REPLAY_PIDS+=("$pid")
	for _ in $(seq 300); do # at most ~30 s
		if grep -q '^listening on ' "$log"; then
			REPLAY_ADDR="$(sed -n 's/^listening on //p' "$log" | head -1)"
			echo "replay server (pid $pid $*): $REPLAY_ADDR"
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "replay server did not start:"
	cat "$log"
	return 1
}
stop_replays() {
	local pid
	for pid in "${REPLAY_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	REPLAY_PIDS=()
}
# Not through `step`: its pipe would run this in a subshell and lose REPLAY_PIDS.
echo
echo "=== start replay servers"
if ! { start_replay telemetry && REPLAY_URL="$REPLAY_ADDR" &&
	start_replay stock --no-telemetry && REPLAY_STOCK_URL="$REPLAY_ADDR"; }; then
	echo "FAILED: start replay servers"
	[ "$FAILED" -gt 0 ] || FAILED=1
	summary
	exit 1
fi
# wasm-bindgen-test-runner drives Debian's chromium through chromedriver (it adds --headless,
# --no-sandbox and --disable-dev-shm-usage itself). No tests yet also passes ("no tests to run!").
# The timeout guards against a hung binary, not a slow one: store_search (five multi-tab tests
# over IndexedDB in a debug wasm) takes 60-80 s on these machines.
# chromedriver leaves each run's Chromium profile (org.chromium.Chromium.scoped_dir.*) in TMPDIR:
# keep them in LOGDIR, which the exit trap removes.
CHROME_TMP="$LOGDIR/chromium-tmp"
mkdir -p "$CHROME_TMP"
step "browser unit tests (wasm32, headless chromium)" \
	env CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner WASM_BINDGEN_TEST_TIMEOUT=180 \
	TMPDIR="$CHROME_TMP" REPLAY_URL="$REPLAY_URL" REPLAY_STOCK_URL="$REPLAY_STOCK_URL" \
	CHROMEDRIVER="$(command -v chromedriver)" \
	cargo test -p comfy-dashboard --target wasm32-unknown-unknown
stop_replays

# --- e. release build + end-to-end ------------------------------------------------------------------
step "release build (trunk)" bash scripts/build.sh
# Each test starts its own replay server on a free port, serving dist/ (tests/e2e/replay.ts).
run_playwright() { (cd tests/e2e && REPLAY_BIN="$REPLAY_BIN" npx --no-install playwright test); }
step "end-to-end (playwright)" run_playwright

# --- the ComfyUI custom node (Python, comfyui_telemetry/): its own pytest suite and script. ----------
if [ -f scripts/test-extension.sh ]; then
	step "extension tests (pytest)" bash scripts/test-extension.sh
fi

# --- g. the real-ComfyUI layer ---------------------------------------------------------------------
echo
echo "=== wait for ComfyUI's venv (tests/comfyui/venv.sh)"
if ! wait "$COMFY_VENV_PID"; then
	cat "$LOGDIR/comfyui-venv.log"
	echo "FAILED: ComfyUI venv"
	[ "$FAILED" -gt 0 ] || FAILED=1
	summary
	exit 1
fi
cat "$LOGDIR/comfyui-venv.log"
# shellcheck disable=SC1090
source "$COMFY_ENV"
export COMFYUI_SRC COMFYUI_PYTHON
# The installable custom node (target/package/): test_package.py unzips it into a fresh ComfyUI.
step "package the custom node (scripts/package.sh)" bash scripts/package.sh
step "real ComfyUI: the extension inside it (pytest)" bash scripts/test-comfyui.sh
run_playwright_real() { (cd tests/e2e && npx --no-install playwright test -c playwright.real.config.ts); }
step "real ComfyUI: the dashboard beside it (playwright)" run_playwright_real

echo
echo "all steps passed in $((SECONDS - START))s"
# --- f. the closing line CI reads --------------------------------------------------------------------
summary
