#!/usr/bin/env bash
# Install everything the build and the tests need, and nothing that is already there.
#
# Idempotent and non-interactive (CI=true, no stdin): every step first checks, then installs only
# what is missing, so a second run takes a few seconds. Only crates.io, npm, PyPI and Debian apt are
# reachable, so nothing here downloads a prebuilt binary from GitHub: Trunk runs in offline mode
# (Trunk.toml) and finds wasm-bindgen and wasm-opt on PATH instead. See
# ../shared/research/toolchain.md for why each version is what it is.
#
# Callers that build or test should `source scripts/env.sh` afterwards (it puts the npm tools on PATH).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"

TRUNK_VERSION="0.22.1"
say() { printf 'setup: %s\n' "$*"; }
die() {
	printf 'setup: ERROR: %s\n' "$*" >&2
	exit 1
}

# Root on CI and on the dev machines; fall back to sudo elsewhere.
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null 2>&1 && SUDO="sudo -n" || die "not root and no sudo available"
fi

# --- Debian packages: Chromium + ChromeDriver for the browser unit tests and Playwright. -----------
# (Playwright must never download its own browser: that would need GitHub/CDN access.)
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
	say "chromium + chromedriver present"
else
	say "installing chromium + chromium-driver (apt)"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
fi

# --- Debian packages for the real-ComfyUI layer: a real Prometheus (and promtool) that scrapes the
# extension's /telemetry/metrics, and brotli for scripts/package.sh's precompressed assets. -------
missing=()
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v brotli >/dev/null 2>&1 || missing+=(brotli)
if [ "${#missing[@]}" -eq 0 ]; then
	say "prometheus + brotli present"
else
	say "installing ${missing[*]} (apt)"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	# The package's service is never started here: tests run the binary on a free port.
	$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- Node.js: @playwright/test 1.65 and binaryen need node >= 20 (the machine image ships it). -----
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	say "installing nodejs + npm (apt)"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || die "node $(node --version) is too old: @playwright/test needs node >= 20"
say "node $(node --version) present"

# --- Rust: wasm target, the components the lint steps use, and std's source (the release wasm
# builds std with its size settings: scripts/wasm-split.sh). --------------------------------------
command -v rustup >/dev/null 2>&1 || die "rustup not found: the machine's Rust toolchain is expected"
if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
	say "wasm32-unknown-unknown target present"
else
	say "adding wasm32-unknown-unknown target"
	rustup target add wasm32-unknown-unknown
fi
for comp in rustfmt clippy rust-src; do
	if rustup component list --installed | grep -q "^${comp}"; then
		say "$comp present"
	else
		say "adding $comp"
		rustup component add "$comp"
	fi
done

# --- trunk: 0.22.x declares rust-version 1.96, the toolchain is 1.95, hence --ignore-rust-version. --
# --locked keeps its dependency tree the tested one. Takes ~6.5 min on 2 cores; only done once.
if command -v trunk >/dev/null 2>&1 && trunk --version 2>/dev/null | grep -qx "trunk ${TRUNK_VERSION}"; then
	say "trunk ${TRUNK_VERSION} present"
else
	say "installing trunk ${TRUNK_VERSION} (cargo install, ~6.5 min)"
	cargo install --quiet --locked --ignore-rust-version "trunk@${TRUNK_VERSION}"
fi

# --- wasm-bindgen-cli: must equal the wasm-bindgen crate in Cargo.lock exactly, or Trunk (offline)
# and wasm-bindgen-test-runner refuse the wasm. NOT --locked: its lockfile pins a webpki-roots
# release missing from the reachable index.
WB_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)"
[ -n "$WB_VERSION" ] || die "no wasm-bindgen in Cargo.lock"
if command -v wasm-bindgen >/dev/null 2>&1 && [ "$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen ${WB_VERSION}" ] &&
	command -v wasm-bindgen-test-runner >/dev/null 2>&1; then
	say "wasm-bindgen-cli ${WB_VERSION} present"
else
	say "installing wasm-bindgen-cli ${WB_VERSION} (cargo install, ~1.5 min)"
	cargo install --quiet --force "wasm-bindgen-cli@${WB_VERSION}"
fi
# Trunk.toml pins the same version; a mismatch would only show up as an offline-mode error later.
if ! grep -q "^wasm_bindgen = \"${WB_VERSION}\"" Trunk.toml; then
	say "WARNING: Trunk.toml [tools] wasm_bindgen differs from Cargo.lock's ${WB_VERSION}"
fi

# --- wasm-split-cli (crate wasm_split_cli_support, the splitter cargo-leptos uses): cuts the release
# wasm into the live page and one chunk per other page (scripts/wasm-split.sh). --locked works here.
WS_VERSION="0.2.4"
if command -v wasm-split-cli >/dev/null 2>&1 && cargo install --list | grep -qx "wasm_split_cli_support v${WS_VERSION}:"; then
	say "wasm-split-cli ${WS_VERSION} present"
else
	say "installing wasm-split-cli ${WS_VERSION} (cargo install, ~2 min)"
	cargo install --quiet --locked --force "wasm_split_cli_support@${WS_VERSION}" --features build-binary
fi

# --- npm: @playwright/test (no browser download), binaryen 132 (wasm-opt, wasm-merge), terser. -----
# `npm ci` only when node_modules is missing or older than the committed lockfile; the stamp holds
# the lockfile's hash from the last successful install.
E2E="$ROOT/tests/e2e"
lock_hash="$(sha256sum "$E2E/package-lock.json" | cut -d' ' -f1)"
if [ -f "$E2E/node_modules/.setup-stamp" ] && [ "$(cat "$E2E/node_modules/.setup-stamp")" = "$lock_hash" ]; then
	say "npm packages present (tests/e2e/node_modules)"
else
	say "npm ci in tests/e2e"
	# PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: belt and braces, @playwright/test has no install hook anyway.
	(cd "$E2E" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
	echo "$lock_hash" >"$E2E/node_modules/.setup-stamp"
fi
wasm-opt --version | grep -q 'version 132' || die "wasm-opt on PATH is not binaryen 132: $(command -v wasm-opt)"
# binaryen's wasm-merge, from the same package: scripts/merge-chunks.py.
wasm-merge --version | grep -q 'version 132' || die "wasm-merge on PATH is not binaryen 132: $(command -v wasm-merge)"
command -v terser >/dev/null || die "terser is not on PATH (tests/e2e/node_modules/.bin)"

# --- crates: Trunk builds with `cargo --offline`, so every dependency must be in the cache. --------
say "cargo fetch"
cargo fetch --quiet
# std's own crates, for the release wasm's -Zbuild-std (RUSTC_BOOTSTRAP: see scripts/wasm-split.sh).
RUSTC_BOOTSTRAP=1 cargo fetch --quiet -Zbuild-std=std,panic_abort --target wasm32-unknown-unknown

say "done"
