#!/usr/bin/env bash
# The installable ComfyUI custom node: the extension with the release dashboard built for
# /telemetry/ui/ and precompressed, as a folder and as a zip.
#
#   scripts/package.sh                # build, then package into target/package/
#   scripts/package.sh --no-build     # package the build that is there (target/package/dist-ui)
#
# The build goes through scripts/build.sh into target/package/dist-ui (built for /telemetry/ui/);
# dist/ (built for /, which the replay server and the e2e tests use) is left as it is.
#
# Output (target/ is gitignored):
#   target/package/comfyui_telemetry/            the custom node: *.py, README.md, LICENSE,
#                                                pyproject.toml, dist/ (each asset with .br and .gz)
#   target/package/comfyui_telemetry-<version>.zip  the same folder, zipped (unzip into custom_nodes/)
#
# Brotli comes from Python's `brotli` module or Debian's `brotli` command when either is there, else
# from PyPI's `brotli` in a throwaway venv under target/package/; gzip from Python's standard library.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="$ROOT/target/package"
NODE="$OUT/comfyui_telemetry"
BUILD="$OUT/dist-ui"
say() { printf 'package: %s\n' "$*"; }

build=1
for arg in "$@"; do
	case "$arg" in
	--no-build) build=0 ;;
	*)
		echo "usage: scripts/package.sh [--no-build]" >&2
		exit 2
		;;
	esac
done

if [ "$build" = 1 ]; then
	DIST_DIR="$BUILD" bash scripts/build.sh --public-url /telemetry/ui/
fi
[ -f "$BUILD/index.html" ] || {
	echo "package: no $BUILD/index.html: run without --no-build" >&2
	exit 1
}
grep -q '<base href="/telemetry/ui/"' "$BUILD/index.html" || {
	echo "package: $BUILD was not built for /telemetry/ui/" >&2
	exit 1
}

version="$(python3 -c 'import tomllib,sys; print(tomllib.load(open(sys.argv[1],"rb"))["project"]["version"])' comfyui_telemetry/pyproject.toml)"
code_version="$(sed -n 's/^EXTENSION_VERSION = "\(.*\)"$/\1/p' comfyui_telemetry/protocol.py)"
[ "$version" = "$code_version" ] || {
	echo "package: pyproject.toml says $version, protocol.py EXTENSION_VERSION says $code_version" >&2
	exit 1
}

# Python with the `brotli` module, else Debian's `brotli` command.
PY=python3
if ! command -v brotli >/dev/null 2>&1 && ! python3 -c 'import brotli' 2>/dev/null; then
	venv="$OUT/.venv-brotli"
	if [ ! -x "$venv/bin/python" ]; then
		say "no brotli command: making $venv with PyPI's brotli"
		python3 -m venv "$venv"
		"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "brotli==1.1.0"
	fi
	PY="$venv/bin/python"
fi

rm -rf "$NODE" "$OUT"/comfyui_telemetry-*.zip
mkdir -p "$NODE"
# The extension's own files; its tests stay in the repository.
cp comfyui_telemetry/*.py comfyui_telemetry/README.md comfyui_telemetry/pyproject.toml "$NODE/"
mkdir -p "$NODE/runlog" && cp comfyui_telemetry/runlog/*.py "$NODE/runlog/"
cp LICENSE "$NODE/"
cp -r "$BUILD" "$NODE/dist"
find "$NODE/dist" \( -name '*.br' -o -name '*.gz' -o -name '.*' \) -type f -delete

# Precompress every text-like asset; a variant is kept only when it is smaller.
"$PY" - "$NODE/dist" <<'PY'
import gzip, os, subprocess, sys
try:
    import brotli
except ImportError:
    brotli = None
TEXT = (".html", ".js", ".mjs", ".wasm", ".css", ".json", ".jsonl", ".svg", ".txt", ".map")

def compress_br(path):
    if brotli is not None:
        with open(path, "rb") as f:
            data = brotli.compress(f.read(), quality=11)
        with open(path + ".br", "wb") as f:
            f.write(data)
    else:
        subprocess.run(["brotli", "-q", "11", "-f", "-o", path + ".br", path], check=True)

def compress_gz(path, data):
    with open(path + ".gz", "wb") as out:  # mtime 0: the same input gives the same bytes
        with gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=9, mtime=0) as gz:
            gz.write(data)

count = 0
for folder, _, files in os.walk(sys.argv[1]):
    for name in sorted(files):
        if not name.endswith(TEXT):
            continue
        path = os.path.join(folder, name)
        with open(path, "rb") as f:
            data = f.read()
        compress_br(path)
        compress_gz(path, data)
        for variant in (path + ".br", path + ".gz"):
            if os.path.getsize(variant) >= len(data):
                os.remove(variant)
        count += 1
print(f"package: precompressed {count} assets")
PY

zip="$OUT/comfyui_telemetry-$version.zip"
python3 - "$OUT" "$zip" <<'PY'
import os, sys, zipfile
root, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
    for folder, dirs, files in os.walk(os.path.join(root, "comfyui_telemetry")):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(".pyc"):
                continue
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root)
            # Precompressed variants are stored: deflating them again only costs time.
            kind = zipfile.ZIP_STORED if name.endswith((".br", ".gz")) else zipfile.ZIP_DEFLATED
            info = zipfile.ZipInfo(rel, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = kind
            info.external_attr = 0o644 << 16
            with open(path, "rb") as f:
                z.writestr(info, f.read())
PY

# What a cold load of /telemetry/ui/ costs: index.html + js + wasm + css, per encoding.
python3 - "$NODE/dist" <<'PY'
import os, sys
dist = sys.argv[1]
names = [n for n in os.listdir(dist) if n == "index.html" or n.endswith((".js", ".wasm", ".css"))]
for label, suffix in (("raw", ""), ("gzip", ".gz"), ("brotli", ".br")):
    total = sum(os.path.getsize(os.path.join(dist, n + suffix)) if os.path.exists(os.path.join(dist, n + suffix))
                else os.path.getsize(os.path.join(dist, n)) for n in names)
    print(f"package: cold load {label}: {total / 1000:.1f} kB ({len(names)} files)")
PY
say "folder $NODE"
say "zip    $zip ($(du -h "$zip" | cut -f1))"
