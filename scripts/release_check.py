#!/usr/bin/env python3
"""Checks what scripts/package.sh wrote before anything is uploaded (scripts/release.sh runs it).

    python3 scripts/release_check.py [target/package]     # exit 1 and a list of problems, or 0

The wheel: its name and tags, a RECORD that lists every file with the right sha256 and size,
METADATA and WHEEL as pip and PyPI read them, the built dashboard for /telemetry/ui/ in it, and
every .br/.gz copy decoding to its file. The custom node folder (the Registry upload): pure Python
(no dist/, no wasm, no precompressed copies), the files it needs, and Registry metadata whose
version and dependency pin match the wheel. The zip: the node plus dist/. Registry fields that
need the project's public address (Repository, Icon) are reported as "before the Registry
upload", not as errors: the wheel can go to PyPI without them.
"""

import base64
import csv
import gzip
import hashlib
import io
import os
import re
import sys
import tomllib
import zipfile

MODULE = "comfyui_telemetry_dashboard"
NAME = "comfyui-telemetry-dashboard"
NODE_FILES = ("__init__.py", "extension.py", "ui.py", "web/telemetry.js", "icon.svg", "LICENSE",
              "README.md", "pyproject.toml", "requirements.txt")
BUILT = (".wasm", ".br", ".gz", ".whl")


def _b64(digest):
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _headers(text):
    out = {}
    for line in text.split("\n\n", 1)[0].splitlines():
        key, _, value = line.partition(": ")
        out.setdefault(key, []).append(value)
    return out


def check_wheel(path, problems):
    """The wheel's version, or None."""
    m = re.fullmatch(rf"{MODULE}-([^-]+)-py3-none-any\.whl", os.path.basename(path))
    if not m:
        problems.append(f"{path}: not named {MODULE}-<version>-py3-none-any.whl")
        return None
    version = m.group(1)
    info = f"{MODULE}-{version}.dist-info"
    with zipfile.ZipFile(path) as z:
        bad = z.testzip()
        if bad:
            problems.append(f"{path}: {bad} is corrupt")
        names = set(z.namelist())
        record = list(csv.reader(io.StringIO(z.read(f"{info}/RECORD").decode())))
        listed = {row[0] for row in record}
        if listed != names:
            problems.append(f"RECORD and the wheel differ: {sorted(listed ^ names)[:5]}")
        for name, digest, size in record:
            if name == f"{info}/RECORD":
                continue
            data = z.read(name)
            if digest != _b64(hashlib.sha256(data).digest()) or int(size) != len(data):
                problems.append(f"RECORD is wrong for {name}")
        meta = _headers(z.read(f"{info}/METADATA").decode())
        for key, want in (("Metadata-Version", "2.1"), ("Name", NAME), ("Version", version),
                          ("Requires-Python", ">=3.10")):
            if meta.get(key) != [want]:
                problems.append(f"METADATA {key} is {meta.get(key)}, not {want}")
        wheel = _headers(z.read(f"{info}/WHEEL").decode())
        if wheel.get("Root-Is-Purelib") != ["true"] or wheel.get("Tag") != ["py3-none-any"]:
            problems.append(f"WHEEL is not pure py3-none-any: {wheel}")
        init = z.read(f"{MODULE}/__init__.py").decode()
        if f'__version__ = "{version}"' not in init:
            problems.append(f"{MODULE}.__version__ is not {version}")
        dist = f"{MODULE}/dist/"
        index = z.read(dist + "index.html").decode() if dist + "index.html" in names else ""
        if not re.search(r'<base href="?/telemetry/ui/', index):
            problems.append("the wheel has no dist/index.html built for /telemetry/ui/")
        if not any(n.endswith(".wasm") for n in names):
            problems.append("the wheel has no .wasm")
        try:
            import brotli
        except ImportError:
            brotli = None
        for name in sorted(names):
            if name.endswith(".gz") and gzip.decompress(z.read(name)) != z.read(name[:-3]):
                problems.append(f"{name} does not decode to {name[:-3]}")
            if name.endswith(".br") and brotli is not None and brotli.decompress(z.read(name)) != z.read(name[:-3]):
                problems.append(f"{name} does not decode to {name[:-3]}")
        if not any(n.endswith(".br") for n in names):
            problems.append("the wheel has no brotli copies")
    return version


def check_node(folder, version, problems, notes):
    for rel in NODE_FILES:
        if not os.path.isfile(os.path.join(folder, rel)):
            problems.append(f"the node folder lacks {rel}")
    for root, dirs, files in os.walk(folder):
        if "dist" in dirs and root == folder:
            problems.append("the node folder has a dist/: the Registry upload must be pure Python")
        for name in files:
            if name.endswith(BUILT):
                problems.append(f"the node folder holds a built file: {os.path.join(root, name)}")
    with open(os.path.join(folder, "pyproject.toml"), "rb") as f:
        meta = tomllib.load(f)
    project, comfy = meta.get("project", {}), meta.get("tool", {}).get("comfy", {})
    pin = f"{NAME}=={version}"
    if project.get("version") != version:
        problems.append(f"pyproject version {project.get('version')} is not the wheel's {version}")
    if pin not in project.get("dependencies", []):
        problems.append(f"pyproject dependencies lack {pin}")
    if project.get("requires-python") != ">=3.10":
        problems.append("pyproject requires-python is not >=3.10")
    for key in ("PublisherId", "DisplayName", "requires-comfyui"):
        if not comfy.get(key):
            problems.append(f"pyproject [tool.comfy] lacks {key}")
    with open(os.path.join(folder, "requirements.txt")) as f:
        reqs = [l.strip() for l in f if l.strip() and not l.lstrip().startswith("#")]
    if reqs != [pin]:
        problems.append(f"requirements.txt is {reqs}, not [{pin}]")
    if not project.get("urls", {}).get("Repository"):
        notes.append("before the Registry upload: add [project.urls] Repository (the public repository URL) "
                     "to comfyui_telemetry/pyproject.toml; the Registry requires it")
    if not comfy.get("Icon"):
        notes.append("before the Registry upload: set [tool.comfy] Icon to the raw URL of comfyui_telemetry/icon.svg")


def check_zip(path, problems):
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
    for need in ("comfyui_telemetry/__init__.py", "comfyui_telemetry/web/telemetry.js",
                 "comfyui_telemetry/dist/index.html", "comfyui_telemetry/dist/index.html.br"):
        if need not in names:
            problems.append(f"{path} lacks {need}")


def main(argv):
    out = argv[0] if argv else os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                            "target", "package")
    problems, notes = [], []
    wheels = sorted(os.listdir(os.path.join(out, "wheels"))) if os.path.isdir(os.path.join(out, "wheels")) else []
    if len(wheels) != 1:
        print(f"release-check: expected one wheel in {out}/wheels, found {wheels}", file=sys.stderr)
        return 1
    wheel = os.path.join(out, "wheels", wheels[0])
    version = check_wheel(wheel, problems)
    if version:
        check_node(os.path.join(out, "comfyui_telemetry"), version, problems, notes)
        check_zip(os.path.join(out, f"comfyui_telemetry-{version}.zip"), problems)
    for p in problems:
        print(f"release-check: FAIL {p}", file=sys.stderr)
    for n in notes:
        print(f"release-check: note {n}")
    if not problems:
        print(f"release-check: ok {wheel}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
