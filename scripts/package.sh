#!/usr/bin/env bash
# The installable ComfyUI custom node and the dashboard wheel it depends on.
#
#   scripts/package.sh                # setup (installs what is missing), build, then package
#   scripts/package.sh --no-build     # package the build that is there (target/package/dist-ui)
#
# The build goes through scripts/build.sh (which first runs scripts/setup.sh: on a fresh clone it
# installs Trunk, wasm-bindgen, wasm-opt, ...) into target/package/dist-ui, built for
# /telemetry/ui/; dist/ (built for /, which the replay server and the e2e tests use) is left as it is.
#
# Output (target/ is gitignored; nothing here is ever committed):
#   target/package/wheels/comfyui_telemetry_dashboard-<version>-py3-none-any.whl
#       the built dashboard as a pure Python wheel (scripts/wheel.py): index.html, js, wasm, css,
#       each with .br and .gz copies, and comfyui_telemetry_dashboard.dist_path()
#   target/package/comfyui_telemetry/
#       the custom node, pure Python: *.py, web/ (the sidebar tab), icon.svg, README.md, LICENSE,
#       pyproject.toml (Registry metadata) and requirements.txt, both naming the wheel above. This
#       is the folder the Registry gets (scripts/release.sh); it holds no built front end.
#   target/package/comfyui_telemetry-<version>.zip
#       the same folder plus dist/ (the wheel's content): self-contained, for unzipping into
#       custom_nodes/ with no pip and no network
#
# Brotli comes from Python's `brotli` module or Debian's `brotli` command when either is there, else
# from PyPI's `brotli` in a throwaway venv under target/package/; gzip and the wheel from Python's
# standard library.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="$ROOT/target/package"
NODE="$OUT/comfyui_telemetry"
BUILD="$OUT/dist-ui"
RELEASE="$OUT/dist-release"
WHEELS="$OUT/wheels"
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

version="$(python3 -c 'import tomllib,sys; print(tomllib.load(open(sys.argv[1],"rb"))["project"]["version"])' comfyui_telemetry/pyproject.toml)"
# One version everywhere: the node's metadata, the code, and the wheel its requirements pin.
python3 - "$version" <<'PY'
import re, sys, tomllib
version = sys.argv[1]
pin = f"comfyui-telemetry-dashboard=={version}"
problems = []
code = re.search(r'^EXTENSION_VERSION = "(.*)"$', open("comfyui_telemetry/protocol.py").read(), re.M)
if not code or code.group(1) != version:
    problems.append(f"protocol.py EXTENSION_VERSION is {code and code.group(1)!r}")
deps = tomllib.load(open("comfyui_telemetry/pyproject.toml", "rb"))["project"].get("dependencies", [])
if pin not in deps:
    problems.append(f"pyproject.toml dependencies {deps} lack {pin}")
for req in ("requirements.txt", "comfyui_telemetry/requirements.txt"):
    lines = [l.strip() for l in open(req) if l.strip() and not l.lstrip().startswith("#")]
    if lines != [pin]:
        problems.append(f"{req} says {lines}, not [{pin!r}]")
if problems:
    sys.exit("package: version " + version + " (pyproject.toml) disagrees: " + "; ".join(problems))
PY

if [ "$build" = 1 ]; then
	DIST_DIR="$BUILD" bash scripts/build.sh --public-url /telemetry/ui/
fi
[ -f "$BUILD/index.html" ] || {
	echo "package: no $BUILD/index.html: run without --no-build" >&2
	exit 1
}
grep -Eq '<base href="?/telemetry/ui/' "$BUILD/index.html" || {
	echo "package: $BUILD was not built for /telemetry/ui/" >&2
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

rm -rf "$NODE" "$RELEASE" "$WHEELS" "$OUT"/comfyui_telemetry-*.zip
mkdir -p "$NODE" "$WHEELS"
# The custom node: the extension's own files (its tests stay in the repository), pure Python.
cp comfyui_telemetry/*.py comfyui_telemetry/README.md comfyui_telemetry/pyproject.toml \
	comfyui_telemetry/requirements.txt comfyui_telemetry/icon.svg "$NODE/"
cp -r comfyui_telemetry/web "$NODE/web"
mkdir -p "$NODE/runlog" && cp comfyui_telemetry/runlog/*.py "$NODE/runlog/"
cp LICENSE "$NODE/"
# The release dashboard, precompressed: the wheel's content and the zip's dist/.
cp -r "$BUILD" "$RELEASE"
find "$RELEASE" \( -name '*.br' -o -name '*.gz' -o -name '.*' \) -type f -delete

# Precompress every text-like asset; a variant is kept only when it is smaller.
"$PY" - "$RELEASE" <<'PY'
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

wheel="$(python3 scripts/wheel.py "$RELEASE" "$version" "$WHEELS")"

# The zip: the node folder with the dashboard as its dist/ (no pip needed).
zip="$OUT/comfyui_telemetry-$version.zip"
python3 - "$NODE" "$RELEASE" "$zip" <<'PY'
import os, sys, zipfile
node, release, target = sys.argv[1:4]

def files(root, prefix):
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            if not name.endswith(".pyc"):
                path = os.path.join(folder, name)
                yield path, prefix + "/" + os.path.relpath(path, root).replace(os.sep, "/")

with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
    for path, rel in [*files(node, "comfyui_telemetry"), *files(release, "comfyui_telemetry/dist")]:
        # Precompressed variants are stored: deflating them again only costs time.
        info = zipfile.ZipInfo(rel, date_time=(2020, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_STORED if rel.endswith((".br", ".gz")) else zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        with open(path, "rb") as f:
            z.writestr(info, f.read())
PY

# What /telemetry/ui/ costs, per encoding: the first load of the live page (index.html, js, css and
# the main wasm) and every file (with the wasm chunks other pages load when first visited).
python3 - "$RELEASE" <<'PY'
import os, sys
dist = sys.argv[1]
every = [n for n in os.listdir(dist) if n == "index.html" or n.endswith((".js", ".wasm", ".css"))]
first = [n for n in every if not n.startswith(("chunk_", "split_"))]
def size(n, suffix):
    p = os.path.join(dist, n)
    return os.path.getsize(p + suffix) if os.path.exists(p + suffix) else os.path.getsize(p)
for label, suffix in (("raw", ""), ("gzip", ".gz"), ("brotli", ".br")):
    print(f"package: first load of the live page {label}: {sum(size(n, suffix) for n in first) / 1000:.1f} kB"
          f" ({len(first)} files); every file: {sum(size(n, suffix) for n in every) / 1000:.1f} kB ({len(every)})")
PY
say "wheel  $wheel ($(du -h "$wheel" | cut -f1))"
say "node   $NODE (pure Python; needs the wheel)"
say "zip    $zip ($(du -h "$zip" | cut -f1); node + dist/, self-contained)"
