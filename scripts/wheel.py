#!/usr/bin/env python3
"""Writes the dashboard wheel, `comfyui_telemetry_dashboard-<version>-py3-none-any.whl`, with the
standard library only (no build backend, no download, same bytes for the same input).

    python3 scripts/wheel.py DIST VERSION OUT_DIR     # prints the wheel's path

DIST is the release build for /telemetry/ui/ with its .br and .gz copies (scripts/package.sh
makes it). The wheel holds `packaging/dashboard/comfyui_telemetry_dashboard/__init__.py` (its
`__version__` set to VERSION), DIST as the package's `dist/` folder, and the `.dist-info` a wheel
needs (PEP 427 / the binary distribution format spec): METADATA (core metadata 2.1, the long
description from packaging/dashboard/README.md), WHEEL (pure, py3-none-any), the LICENSE, and a
RECORD with each file's sha256 and size.
"""

import base64
import hashlib
import os
import re
import sys
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join(ROOT, "packaging", "dashboard")
NAME = "comfyui-telemetry-dashboard"
MODULE = "comfyui_telemetry_dashboard"
SUMMARY = "The built ComfyUI telemetry dashboard (WebAssembly page served at /telemetry/ui/ by the telemetry-dashboard custom node)"
# A fixed timestamp keeps the wheel's bytes a function of its content (zip needs >= 1980).
STAMP = (2020, 1, 1, 0, 0, 0)
VERSION = re.compile(r"^[0-9]+(\.[0-9]+)*([ab]|rc)?[0-9]*(\.post[0-9]+)?(\.dev[0-9]+)?$")


class WheelError(Exception):
    """The input cannot make a correct wheel."""


def record_hash(data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "sha256=" + digest


def metadata(version):
    with open(os.path.join(SOURCE, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    head = [
        "Metadata-Version: 2.1",
        f"Name: {NAME}",
        f"Version: {version}",
        f"Summary: {SUMMARY}",
        "License: MIT",
        "Requires-Python: >=3.10",
        "Classifier: License :: OSI Approved :: MIT License",
        "Classifier: Programming Language :: Python :: 3",
        "Classifier: Operating System :: OS Independent",
        "Classifier: Framework :: AsyncIO",
        "Description-Content-Type: text/markdown",
    ]
    return ("\n".join(head) + "\n\n" + readme).encode("utf-8")


def wheel_file():
    return (
        "Wheel-Version: 1.0\n"
        "Generator: comfyui-telemetry scripts/wheel.py\n"
        "Root-Is-Purelib: true\n"
        "Tag: py3-none-any\n"
    ).encode()


def module_init(version):
    with open(os.path.join(SOURCE, MODULE, "__init__.py"), encoding="utf-8") as f:
        text = f.read()
    stamped, count = re.subn(r'^__version__ = "unreleased"$', f'__version__ = "{version}"', text, flags=re.M)
    if count != 1:
        raise WheelError(f'{MODULE}/__init__.py has no line `__version__ = "unreleased"` to stamp')
    return stamped.encode("utf-8")


def entries(dist, version):
    """[(path in the wheel, bytes)], the package first, then the .dist-info."""
    if not os.path.isfile(os.path.join(dist, "index.html")):
        raise WheelError(f"{dist} has no index.html")
    out = [(f"{MODULE}/__init__.py", module_init(version))]
    for folder, dirs, files in os.walk(dist):
        dirs.sort()
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, dist).replace(os.sep, "/")
            with open(path, "rb") as f:
                out.append((f"{MODULE}/dist/{rel}", f.read()))
    info = f"{MODULE}-{version}.dist-info"
    with open(os.path.join(ROOT, "LICENSE"), "rb") as f:
        license_text = f.read()
    out += [
        (f"{info}/METADATA", metadata(version)),
        (f"{info}/WHEEL", wheel_file()),
        (f"{info}/LICENSE", license_text),
        (f"{info}/top_level.txt", (MODULE + "\n").encode()),
    ]
    return out, info


def build(dist, version, out_dir):
    if not VERSION.match(version):
        raise WheelError(f"{version!r} is not a release version (PEP 440, e.g. 0.1.0)")
    files, info = entries(dist, version)
    record = "".join(f"{name},{record_hash(data)},{len(data)}\n" for name, data in files)
    record += f"{info}/RECORD,,\n"
    files.append((f"{info}/RECORD", record.encode()))
    os.makedirs(out_dir, exist_ok=True)
    target = os.path.join(out_dir, f"{MODULE}-{version}-py3-none-any.whl")
    tmp = target + ".part"
    with zipfile.ZipFile(tmp, "w") as z:
        for name, data in files:
            zinfo = zipfile.ZipInfo(name, date_time=STAMP)
            zinfo.external_attr = 0o644 << 16
            # Precompressed variants gain nothing from deflating them again.
            packed = name.endswith((".br", ".gz"))
            zinfo.compress_type = zipfile.ZIP_STORED if packed else zipfile.ZIP_DEFLATED
            z.writestr(zinfo, data)
    os.replace(tmp, target)
    return target


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        print(build(*argv))
    except (WheelError, OSError) as e:
        print(f"wheel: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
