#!/usr/bin/env bash
# The release step, for a person with the PyPI and Comfy Registry accounts (never run by CI):
# builds everything, checks it, and names exactly what to upload, in which order. Uploads nothing.
#
#   scripts/release.sh              # setup + release build + package + checks
#   scripts/release.sh --no-build   # check and list what scripts/package.sh already wrote
#
# Checks: scripts/release_check.py (wheel RECORD/METADATA/tags, .br/.gz copies, a pure-Python node
# folder whose version and pin match the wheel, the zip); the wheel installed offline into a
# throwaway venv (pip --no-index --find-links) and its dist_path() serving an index.html; and
# `twine check --strict` when twine is installed (python3 -m twine).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="$ROOT/target/package"
say() { printf 'release: %s\n' "$*"; }

case "${1:-}" in
"") bash scripts/package.sh ;;
--no-build) ;;
*)
	echo "usage: scripts/release.sh [--no-build]" >&2
	exit 2
	;;
esac

python3 scripts/release_check.py "$OUT"
wheel="$(ls "$OUT"/wheels/comfyui_telemetry_dashboard-*-py3-none-any.whl)"
version="$(basename "$wheel" | sed -E 's/^comfyui_telemetry_dashboard-([^-]+)-.*/\1/')"

# Installs offline, as pip would from an index, and finds its page.
venv="$(mktemp -d)"
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index \
	--find-links "$OUT/wheels" -r "$OUT/comfyui_telemetry/requirements.txt"
"$venv/bin/python" - "$version" <<'PY'
import os, sys
import comfyui_telemetry_dashboard as d
assert d.__version__ == sys.argv[1], d.__version__
assert os.path.isfile(os.path.join(d.dist_path(), "index.html")), d.dist_path()
print(f"release: the wheel installs offline and serves {d.dist_path()}")
PY

if python3 -m twine --version >/dev/null 2>&1; then
	python3 -m twine check --strict "$wheel"
else
	say "twine not installed: skipped \`twine check\` (python3 -m pip install twine to add it)"
fi

cat <<EOF

release: checked. Upload, in this order (the node depends on the wheel, so the wheel goes first):

  1. PyPI, the built dashboard:
       python3 -m twine upload $wheel

  2. Comfy Registry, the custom node (pure Python; ComfyUI-Manager and comfy-cli then install the
     wheel from PyPI through its requirements.txt). Once [project.urls] Repository and
     [tool.comfy] Icon are set in comfyui_telemetry/pyproject.toml (see any notes above), rerun
     this script, then:
       cd $OUT/comfyui_telemetry && comfy node publish

  3. Optional, for people who install by hand without pip: attach the self-contained zip
     (the node with dist/) to the release page:
       $OUT/comfyui_telemetry-$version.zip
EOF
