#!/usr/bin/env python3
"""Removes `#[wasm_bindgen]` classes that nothing in the page uses: their wasm exports and their
JS classes, so wasm-opt drops the code behind them.

leptos' `csr` feature turns on server_fn's `browser` feature, which links wasm-streams, whose
`IntoUnderlyingSource`, `IntoUnderlyingByteSource` and `IntoUnderlyingSink` are exported classes:
an export keeps its code alive whether or not anything calls it. This page never builds a
stream from Rust (no server functions), so no import of the glue constructs them (checked: the
class names must be gone from the JS afterwards, `__wrap` included) and no wasm code calls their
exports. Issue #22.

    scripts/drop-exported-classes.py MAIN.wasm MAIN.js CLASS...   # both files rewritten in place
"""
import os
import re
import sys
from importlib import import_module

# The wasm reading and writing helpers of the script that runs just before this one.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
imports = import_module("shorten-imports")


def drop_exports(wasm, dead):
    """The wasm without the exports `dead(name)` accepts, and their names."""
    out = bytearray(wasm[:8])
    dropped = []
    i = 8
    while i < len(wasm):
        section = wasm[i]
        size, body = imports.uleb(wasm, i + 1)
        end = body + size
        if section != 7:
            out += wasm[i:end]
            i = end
            continue
        count, k = imports.uleb(wasm, body)
        kept = []
        for _ in range(count):
            name, k = imports.read_name(wasm, k)
            start = k
            k += 1  # kind
            _, k = imports.uleb(wasm, k)  # index
            if dead(name):
                dropped.append(name)
            else:
                kept.append(imports.write_name(name) + wasm[start:k])
        if k != end:
            raise SystemExit("drop-exported-classes: the export section did not parse")
        entries = imports.to_uleb(len(kept)) + b"".join(kept)
        out += bytes([7]) + imports.to_uleb(len(entries)) + entries
        i = end
    return bytes(out), dropped


def drop_classes(js, classes):
    for name in classes:
        patterns = [
            # the class, up to its closing brace at the start of a line (wasm-bindgen indents
            # everything inside it)
            r"^export class " + name + r" \{\n.*?^\}\n",
            r"^if \(Symbol\.dispose\) " + name + r"\.prototype\[Symbol\.dispose\] = [^\n]*\n",
            r"^const " + name + r"Finalization = .*?;\n",
        ]
        for pattern in patterns:
            js, n = re.subn(pattern, "", js, count=1, flags=re.M | re.S)
            if n != 1:
                raise SystemExit(f"drop-exported-classes: {name}: no match for {pattern!r}")
        if re.search(name, js, re.I):
            raise SystemExit(f"drop-exported-classes: {name} is still named in the JS")
    return js


def main(wasm_path, js_path, *classes):
    prefixes = tuple(c.lower() + "_" for c in classes) + tuple(f"__wbg_{c.lower()}_" for c in classes)
    with open(wasm_path, "rb") as f:
        wasm, dropped = drop_exports(f.read(), lambda name: name.startswith(prefixes))
    if not dropped:
        raise SystemExit(f"drop-exported-classes: no export of {', '.join(classes)}")
    with open(js_path) as f:
        js = drop_classes(f.read(), classes)
    with open(wasm_path, "wb") as f:
        f.write(wasm)
    with open(js_path, "w") as f:
        f.write(js)
    print(f"drop-exported-classes: {len(dropped)} exports of {', '.join(classes)} dropped")


if __name__ == "__main__":
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
