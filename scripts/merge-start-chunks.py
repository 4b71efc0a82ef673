#!/usr/bin/env python3
"""Merges a split point that the page loads as it starts with every shared chunk it waits for,
into one wasm file (issue #22; called by scripts/wasm-split.sh between the splitter and wasm-opt).

wasm-split-cli cuts a shared chunk for every set of split points that reach the same code, so
the store's split point (`src/app/store_boot.rs`), which shares code with five pages, came as
twelve files that the page fetched and instantiated at once as it started. The page always
loads that split point before any page can use the store, so its shared chunks might as well be
one file: one request instead of twelve, and one compression context (-4 kB gzip).

The pieces import only the main wasm's memory, function table and stack pointer, and install
their functions in the table with active element segments (no exports, no start function), so
merging them is concatenating them: binaryen's wasm-merge does it, once each piece imports those
three from one module of their own ("base", which imports them from the main wasm and exports
them), so the merged file has one memory, not one per piece. In the loader, the split point's
file becomes a shared chunk of its own (`__chunk_<Name>`, no dependencies), the split point
loads that, and every other split point that waited for one of the merged chunks waits for it
instead: the loader memoizes each chunk, so nothing is fetched or instantiated twice.

    scripts/merge-start-chunks.py SPLIT_DIR NAME [NAME ...]
"""
import os
import re
import subprocess
import sys
from importlib import import_module
from pathlib import Path

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
_wasm = import_module("shorten-imports")
to_uleb, write_name = _wasm.to_uleb, _wasm.write_name

IMPORT_MODULE = "__wasm_split"


def section(sid: int, body: bytes) -> bytes:
    return bytes([sid]) + to_uleb(len(body)) + body


def rename_imports(src: Path, dst: Path, to: str) -> list[tuple[str, int, bytes]]:
    """Writes `src` with its imports from IMPORT_MODULE taken from `to`; returns those imports
    (field, kind, descriptor bytes)."""
    seen = []

    def rename(mod, field, kind, descriptor):
        if kind == 0:
            raise SystemExit(f"merge-start-chunks: a piece imports a function ({field})")
        if mod != IMPORT_MODULE:
            return mod, field
        seen.append((field, kind, descriptor))
        return to, field

    dst.write_bytes(_wasm.rewrite_imports(src.read_bytes(), rename))
    return seen


def base_module(entries: list[tuple[str, int, bytes]]) -> bytes:
    """Imports each of `entries` from IMPORT_MODULE and exports it under its own name."""
    unique = {}
    for field, kind, desc in entries:
        if unique.setdefault(field, (kind, desc)) != (kind, desc):
            raise SystemExit(f"merge-start-chunks: the pieces import {field} differently")
    imp = bytearray(to_uleb(len(unique)))
    exp = bytearray(to_uleb(len(unique)))
    counts = {}
    for field, (kind, desc) in unique.items():
        imp += write_name(IMPORT_MODULE) + write_name(field) + bytes([kind]) + desc
        exp += write_name(field) + bytes([kind]) + to_uleb(counts.get(kind, 0))
        counts[kind] = counts.get(kind, 0) + 1
    return b"\0asm\1\0\0\0" + section(2, bytes(imp)) + section(7, bytes(exp))


def block(js: str, start: int) -> int:
    """The end of the `makeLoad(...)` call whose `(` follows `start`: the index after `;`."""
    depth, i = 0, js.index("(", start)
    while True:
        c = js[i]
        depth += c == "("
        depth -= c == ")"
        i += 1
        if depth == 0:
            return js.index(";", i) + 1


def merge(split: Path, split_name: str) -> None:
    loader_path = split / "__wasm_split.js"
    js = loader_path.read_text()
    head = f"export const __wasm_split_load_{split_name} = wrapAsyncCb(makeLoad("
    at = js.find(head)
    if at < 0:
        raise SystemExit(f"merge-start-chunks: the loader has no split point {split_name}")
    end = block(js, at)
    definition = js[at:end]
    deps_text = re.search(r",\s*\[([^\]]*)\]\)\);$", definition)
    own = re.search(r'"\./(split_[^"]+\.wasm)"', definition)
    if not deps_text or not own:
        raise SystemExit(f"merge-start-chunks: cannot read split point {split_name}'s loader")
    deps = [d.strip() for d in deps_text.group(1).split(",") if d.strip()]
    files = {}
    for dep in deps:
        m = re.search(rf'const {re.escape(dep)} = makeLoad\(\(\) => \{{\s*const src = fetch\(new URL\("\./(chunk_[^"]+\.wasm)"', js)
        if not m:
            raise SystemExit(f"merge-start-chunks: cannot find {dep} in the loader")
        files[dep] = m.group(1)
    if not deps:
        return

    # The wasm: every piece imports the main wasm's three from "base", merged with it.
    pieces = [own.group(1)] + [files[d] for d in deps]
    work = split / f".merge-{split_name}"
    work.mkdir(exist_ok=True)
    entries, args = [], []
    for i, f in enumerate(pieces):
        entries += rename_imports(split / f, work / f, "base")
        args += [str(work / f), f"m{i}"]
    (work / "base.wasm").write_bytes(base_module(entries))
    features = subprocess.run(["wasm-opt", "--print-features", str(split / pieces[0])],
                              check=True, capture_output=True, text=True).stdout.split()
    merged = work / "merged.wasm"
    subprocess.run(["wasm-merge", str(work / "base.wasm"), "base", *args, *features,
                    "-o", str(merged)], check=True, stderr=subprocess.DEVNULL)
    # wasm-merge writes no target-features section; the build's wasm-opt reads the features
    # from it, as it does from the splitter's pieces.
    subprocess.run(["wasm-opt", "--mvp-features", *features, "--emit-target-features", str(merged),
                    "-o", str(split / own.group(1))], check=True, stderr=subprocess.DEVNULL)
    for f in pieces[1:]:
        (split / f).unlink()
    for f in work.iterdir():
        f.unlink()
    work.rmdir()

    # The loader: the merged file is a chunk of its own that the split point and the others load.
    chunk = f"__chunk_{split_name}"
    own_loader = definition[len(head) - len("makeLoad("):]
    own_loader = own_loader[:own_loader.rindex("[")] + "[]);"
    js = js[:at] + f"export const __wasm_split_load_{split_name} = wrapAsyncCb({chunk});" + js[end:]
    for dep in deps:
        m = re.search(rf"(/\*[^*]*\*/\n)?const {re.escape(dep)} = makeLoad\(", js)
        js = js[:m.start()] + js[block(js, m.end() - 1):]
    first_export = js.index("export const __wasm_split_load_")
    js = js[:first_export] + f"/* {split_name}, merged with its shared chunks */\nconst {chunk} = {own_loader}\n" + js[first_export:]

    def rewrite(m: re.Match) -> str:
        names = []
        for d in (x.strip() for x in m.group(1).split(",")):
            d = chunk if d in files else d
            if d and d not in names:
                names.append(d)
        return ", [" + ", ".join(names) + "]));"

    js = re.sub(r",\s*\[([^\]]*)\]\)\);", rewrite, js)
    for dep in deps:
        if re.search(rf"\b{re.escape(dep)}\b", js):
            raise SystemExit(f"merge-start-chunks: {dep} is still named in the loader")
    loader_path.write_text(js)
    print(f"merge-start-chunks: {split_name}: {len(pieces)} files merged into {own.group(1)}")


def main() -> None:
    split = Path(sys.argv[1])
    for split_name in sys.argv[2:]:
        merge(split, split_name)


if __name__ == "__main__":
    main()
