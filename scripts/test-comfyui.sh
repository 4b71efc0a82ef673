#!/usr/bin/env bash
# Integration tests against a real ComfyUI 0.3.64 (tests/comfyui/, pytest): the extension inside
# the server people run. Installs ComfyUI's venv once (tests/comfyui/venv.sh, ~3 GB, cached outside
# the repository) and starts each ComfyUI on a free port with a fresh base directory.
#
#   scripts/test-comfyui.sh            # any pytest arguments pass through, e.g. -k origin -x
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
eval "$(bash tests/comfyui/venv.sh)"
export COMFYUI_SRC COMFYUI_PYTHON
exec "$COMFYUI_PYTHON" -m pytest -c tests/comfyui/pytest.ini tests/comfyui -q "$@"
