#!/usr/bin/env bash
# Run the dashboard locally (the README's first command):
#   - a ComfyUI answers at $COMFYUI (default http://127.0.0.1:8188): `trunk serve` on 127.0.0.1:8080,
#     which proxies /telemetry, /ws and /api to 127.0.0.1:8188 (Trunk.toml), same-origin;
#   - none answers: serve the release build with the bundled demo recording through the replay
#     server (a fake ComfyUI), looping, on 127.0.0.1:8080.
# Extra arguments go to `trunk serve` or to the replay server respectively.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"

COMFYUI="${COMFYUI:-http://127.0.0.1:8188}"
COMFYUI="${COMFYUI%/}"

SKIP_SETUP=1 bash scripts/build.sh  # setup has just run

# Does a ComfyUI answer? curl when present, else python3 (both on the usual machines).
comfyui_up() {
	if command -v curl >/dev/null 2>&1; then
		curl -fsS --max-time 3 -o /dev/null "$1" 2>/dev/null
	else
		python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=3)' "$1" 2>/dev/null
	fi
}

if comfyui_up "$COMFYUI/api/system_stats"; then
	echo "serve: ComfyUI answers at $COMFYUI"
	if [ "$COMFYUI" != "http://127.0.0.1:8188" ]; then
		# Trunk.toml's proxies point at 127.0.0.1:8188; another server needs ?server= instead.
		echo "serve: note: the dev-server proxies go to 127.0.0.1:8188; for $COMFYUI open"
		echo "       http://127.0.0.1:8080/?server=$COMFYUI (ComfyUI may need --enable-cors-header)"
	fi
	echo "serve: open http://127.0.0.1:8080/"
	exec trunk serve "$@"
else
	echo "serve: no ComfyUI reachable at $COMFYUI/api/system_stats: serving the demo recording instead"
	echo "serve: open http://127.0.0.1:8080/ (replayed runs, looping; Ctrl-C to stop)"
	exec cargo run --release -p comfy-replay -- \
		--dist dist --fixtures demo/recordings --loop --port 8080 "$@"
fi
