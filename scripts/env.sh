# Sourced (not run) by the other scripts: the environment every build and test step shares.
# shellcheck shell=bash

_env_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# cargo-installed tools (trunk, wasm-bindgen) and the npm tools (wasm-opt from binaryen 132, playwright).
# node_modules/.bin comes first so Trunk never picks up another wasm-opt (Debian's 108 is broken).
case ":$PATH:" in
*":$_env_root/tests/e2e/node_modules/.bin:"*) ;;
*) PATH="$_env_root/tests/e2e/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH" ;;
esac
export PATH

# Trunk's crates.io update check cannot succeed offline; skip it to keep the output clean.
export TRUNK_SKIP_VERSION_CHECK=true
# Where cargo puts binaries (the replay server); respects a caller's CARGO_TARGET_DIR.
export REPLAY_TARGET_DIR="${CARGO_TARGET_DIR:-$_env_root/target}"
unset _env_root
