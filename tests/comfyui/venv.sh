#!/usr/bin/env bash
# Prepare a real ComfyUI 0.3.64 for the integration tests, once, outside the repository.
#
#   tests/comfyui/venv.sh          # prints two lines: COMFYUI_SRC=... and COMFYUI_PYTHON=...
#
# The source is unpacked from ../shared/comfyui/ComfyUI-0.3.64.tar.gz into a cache folder and the venv
# is keyed on what it installs (ComfyUI's requirements.txt, the pins below, the Python version): a
# second call with the same key installs nothing and takes a second. The PyPI torch wheel is ~3 GB,
# which is why only the test command calls this, never the serve command.
#
# COMFY_TEST_CACHE overrides the cache folder (default ~/.cache/comfy-telemetry).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TARBALL="${COMFYUI_TARBALL:-$ROOT/../shared/comfyui/ComfyUI-0.3.64.tar.gz}"
CACHE="${COMFY_TEST_CACHE:-$HOME/.cache/comfy-telemetry}"
NAME="ComfyUI-0.3.64"
say() { printf 'comfyui-venv: %s\n' "$*" >&2; }

[ -f "$TARBALL" ] || {
	say "ERROR: $TARBALL not found"
	exit 1
}
mkdir -p "$CACHE"

# The versions ../shared/comfyui/README.md documents for CPU use, and what our tests import.
PINS=(torch==2.8.0 torchvision==0.23.0 torchaudio==2.8.0 transformers==4.57.1
	pytest==9.2.0 pytest-aiohttp==1.1.1 prometheus_client==0.23.1)

SRC="$CACHE/$NAME"
tar_hash="$(sha256sum "$TARBALL" | cut -c1-16)"
if [ ! -f "$SRC/.unpacked-$tar_hash" ]; then
	say "unpacking $TARBALL into $CACHE"
	rm -rf "$SRC"
	tar xzf "$TARBALL" -C "$CACHE"
	touch "$SRC/.unpacked-$tar_hash"
fi

key="$( {
	cat "$SRC/requirements.txt"
	printf '%s\n' "${PINS[@]}"
	python3 --version
} | sha256sum | cut -c1-16)"
VENV="$CACHE/venv-$key"
if [ -f "$VENV/.complete" ]; then
	say "venv present ($VENV)"
else
	say "creating $VENV (~3 GB from PyPI, ~5 min on 2 cores; once per requirements)"
	rm -rf "$VENV"
	python3 -m venv "$VENV"
	# --no-cache-dir: pip would otherwise keep another ~3 GB of wheels it never reads again.
	"$VENV/bin/python" -m pip install --quiet --no-cache-dir --disable-pip-version-check --no-input \
		"${PINS[@]}" -r "$SRC/requirements.txt"
	touch "$VENV/.complete"
	# Older venvs of other keys are dead weight of ~5 GB each.
	for old in "$CACHE"/venv-*; do
		[ "$old" = "$VENV" ] || rm -rf "$old"
	done
fi
echo "COMFYUI_SRC=$SRC"
echo "COMFYUI_PYTHON=$VENV/bin/python"
