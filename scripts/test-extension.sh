#!/usr/bin/env bash
# Tests of the ComfyUI custom node in comfyui_telemetry/ against a fake PromptServer.
#
#   scripts/test-extension.sh            # any pytest arguments pass through, e.g. -k hello -x
#
# Makes .venv-ext/ on first use and installs pinned test dependencies from PyPI.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv-ext"
if [ ! -x "$VENV/bin/python" ]; then
  echo "test-extension: creating $VENV"
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  "pytest==9.2.0" "aiohttp==3.14.5" "pytest-aiohttp==1.1.1" "prometheus_client==0.23.1"
exec "$VENV/bin/python" -m pytest comfyui_telemetry/tests -q "$@"
