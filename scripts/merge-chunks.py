#!/usr/bin/env python3
"""Merges split points with the shared chunks they wait for into one wasm file each (issue #22;
called by scripts/wasm-split.sh between the splitter and wasm-opt).

wasm-split-cli cuts a shared chunk for every set of split points that reach the same code: the
pages came as 40-odd files, each compressed on its own, with little left to share a context
with. Two kinds of merge, each a GROUP of split points that becomes one file:

- `Store` (a start group: a name alone). The store's split point (`src/app/store_boot.rs`),
  which the page loads as it starts, merged with every shared chunk it waits for, even those
  other pages wait for too: those pages wait for the merged file instead, which is loaded by the
  time anybody opens them. One request instead of twelve, -4 kB gzip.
- `Pages=*Route` (a group: a name and its members, here every split point named `…Route`). The pages' split
  points merged with every shared chunk that only they wait for; a chunk a split point outside
  the group waits for (the run chart's, the demo's) stays a file of its own, which the merged
  file waits for. The first page visited loads every page's code at once (one file, cached
  after that), and every file together is 30 kB gzip smaller than the 30-odd pieces it
  replaces: one compression context, and wasm-opt sees the pieces whole.

The pieces import only the main wasm's memory, function table and stack pointer, and install
their functions in the table with active element segments (no exports, no start function), so
merging them is concatenating them: binaryen's wasm-merge does it, once each piece imports those
three from one module of their own ("base", which imports them from the main wasm and exports
them), so the merged file has one memory, not one per piece. In the loader, the merged file
becomes a shared chunk of its own (`__chunk_<GROUP>`), each member's split point loads just
that, and every other split point that waited for one of the merged chunks waits for it
instead: the loader memoizes each chunk, so nothing is fetched or instantiated twice.

    scripts/merge-chunks.py SPLIT_DIR GROUP [GROUP ...]    # GROUP: NAME, or NAME=MEMBER,… (* globs)
"""
import fnmatch
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
            raise SystemExit(f"merge-chunks: a piece imports a function ({field})")
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
            raise SystemExit(f"merge-chunks: the pieces import {field} differently")
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


LOADER = re.compile(r"(?:const (\w+) = makeLoad\(|export const __wasm_split_load_(\w+) = wrapAsyncCb\(makeLoad\()")


def definitions(js: str) -> dict[str, tuple[int, int, list[str]]]:
    """Every loader that names its file in the loader: its name (a chunk's `__chunk_…`, or a
    split point's), where its definition starts and ends, and the chunks it waits for."""
    found = {}
    for m in LOADER.finditer(js):
        end = block(js, m.end() - 1)
        deps = re.search(r",\s*\[([^\]]*)\]\)\)?;$", js[m.start():end])
        if not deps:
            raise SystemExit(f"merge-chunks: cannot read the loader of {m.group(1) or m.group(2)}")
        names = [d.strip() for d in deps.group(1).split(",") if d.strip()]
        found[m.group(1) or m.group(2)] = (m.start(), end, names)
    return found


def merge(split: Path, group: str, members: list[str], start: bool) -> None:
    loader_path = split / "__wasm_split.js"
    js = loader_path.read_text()
    loaders = definitions(js)
    # `*Route`: every split point of that shape, so a new page joins its group by its name.
    members = [n for pattern in members
               for n in (fnmatch.filter([k for k in loaders if not k.startswith("__chunk_")], pattern)
                         if "*" in pattern else [pattern])]
    deps = []
    for member in members:
        if member not in loaders:
            raise SystemExit(f"merge-chunks: the loader has no split point {member}")
        deps += [d for d in loaders[member][2] if d not in deps]
    # A chunk is merged when the group alone waits for it, or always for a start group.
    waiters = {d: {n for n, (_, _, ds) in loaders.items() if d in ds} for d in deps}
    chunk = f"__chunk_{group}"
    merged = [d for d in deps if re.fullmatch(r"__chunk_\d+", d)
              and (start or waiters[d] <= set(members))]
    kept = [d for d in deps if d not in merged]
    files = {}
    for name in members + merged:
        at, end, _ = loaders[name]
        m = re.search(r'fetch\(new URL\("\./((?:split|chunk)_[^"]+\.wasm)"', js[at:end])
        if not m:
            raise SystemExit(f"merge-chunks: cannot find {name}'s file in the loader")
        files[name] = m.group(1)
    if len(files) < 2:
        return

    # The merged file's loader: the first member's, as the splitter wrote it, with the merged
    # file's name and the chunks it still waits for.
    out = f"split_{group}.wasm"
    at, end, _ = loaders[members[0]]
    own = js[at:end]
    own = own[own.index("makeLoad("):].replace(f'"./{files[members[0]]}"', f'"./{out}"')
    own = own[:own.rindex("[")] + f"[{', '.join(kept)}]);"

    # The wasm: every piece imports the main wasm's three from "base", merged with it.
    pieces = [files[n] for n in members + merged]
    work = split / f".merge-{group}"
    work.mkdir(exist_ok=True)
    entries, args = [], []
    for i, f in enumerate(pieces):
        entries += rename_imports(split / f, work / f, "base")
        args += [str(work / f), f"m{i}"]
    (work / "base.wasm").write_bytes(base_module(entries))
    features = subprocess.run(["wasm-opt", "--print-features", str(split / pieces[0])],
                              check=True, capture_output=True, text=True).stdout.split()
    joined = work / "merged.wasm"
    # KEEP_NAMES=1 (scripts/wasm-split.sh): the function names through the merge, for twiggy.
    names = ["-g"] if os.environ.get("KEEP_NAMES") == "1" else []
    subprocess.run(["wasm-merge", str(work / "base.wasm"), "base", *args, *features, *names,
                    "-o", str(joined)], check=True, stderr=subprocess.DEVNULL)
    # wasm-merge writes no target-features section; the build's wasm-opt reads the features
    # from it, as it does from the splitter's pieces.
    subprocess.run(["wasm-opt", "--mvp-features", *features, *names, "--emit-target-features", str(joined),
                    "-o", str(split / out)], check=True, stderr=subprocess.DEVNULL)
    for f in pieces:
        if f != out:
            (split / f).unlink()
    for f in work.iterdir():
        f.unlink()
    work.rmdir()

    # The loader: the merged file is a chunk of its own that the members and the others load.
    # Cut from the end, so the earlier positions stay right.
    for name in sorted(members + merged, key=lambda n: -loaders[n][0]):
        at, end, _ = loaders[name]
        comment = re.search(r"/\*[^*]*\*/\n$", js[:at])
        at = comment.start() if comment and name in merged else at
        if name in members:
            js = js[:at] + f"export const __wasm_split_load_{name} = wrapAsyncCb({chunk});" + js[end:]
        else:
            js = js[:at] + js[end + (js[end:end + 1] == "\n"):]
    first_export = js.index("export const __wasm_split_load_")
    js = (js[:first_export] + f"/* {', '.join(members)}, merged with the shared chunks {'it waits' if start else 'only they wait'} for */\n"
          f"const {chunk} = {own}\n" + js[first_export:])

    def rewrite(m: re.Match) -> str:
        names = []
        for d in (x.strip() for x in m.group(1).split(",")):
            d = chunk if d in merged else d
            if d and d not in names:
                names.append(d)
        return ", [" + ", ".join(names) + "]" + m.group(2)

    js = re.sub(r",\s*\[([^\]]*)\](\)\)?;)", rewrite, js)
    for dep in merged:
        if re.search(rf"\b{re.escape(dep)}\b", js):
            raise SystemExit(f"merge-chunks: {dep} is still named in the loader")
    loader_path.write_text(js)
    print(f"merge-chunks: {group}: {len(pieces)} files merged into {out}")


def main() -> None:
    split = Path(sys.argv[1])
    for group in sys.argv[2:]:
        name, _, members = group.partition("=")
        merge(split, name, members.split(",") if members else [name], start=not members)


if __name__ == "__main__":
    main()
