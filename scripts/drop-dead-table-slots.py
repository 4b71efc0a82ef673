#!/usr/bin/env python3
"""Empties the function-table slots that only the dropped classes' code could reach, so wasm-opt
can drop the functions in them (issue #22).

The split build exports the function table (`wasm-bindgen --keep-lld-exports`: the chunks call
through it), and wasm-opt keeps every function an exported table holds. When
`scripts/drop-exported-classes.py` has removed wasm-streams' class exports, the code behind them
goes, but the functions their boxed futures' vtables name (`future_to_promise`'s closures for
`IntoUnderlyingSource::pull`, `IntoUnderlyingSink::write`, … and their `drop_in_place`s) keep
their slots, and so their code.

Which slots are dead is proven on cargo's output, which the linker wrote with `--emit-relocs`:
every use of a slot's number is a table-index relocation, in a function's code or in a data
symbol (a vtable). Starting from every export but the dropped classes' ones (the chunks' split
points, wasm-bindgen's descriptors and the start function included), the functions and data
symbols they reach through relocations are live; code without relocations counts as calling every
function its bytes could name. A slot is dead when every relocation that takes its number lies in
code or data nothing live reaches (a data relocation that no symbol covers counts as live). The
chunks are cut out of the same output, so their uses are counted too.

It runs twice. Before wasm-bindgen, on the splitter's main wasm (which keeps cargo's function
names, by which each dead function is found): wasm-bindgen then also leaves out the JS imports
only that code called. After wasm-bindgen (`--after-bindgen`), wasm-bindgen's descriptor
functions are no longer roots: wasm-bindgen ran them at build time and they are gone, so the
closure shims only they named (one per closure signature of every js-sys binding linked, e.g.
`Int8Array::for_each`; the glue calls the ones it needs through exports) are dead too. That file
has demangled names, so a slot is found by its number, which wasm-bindgen keeps (the name there
must spell the mangled name's identifiers, or the build stops). A name must name one function in
cargo's output and in the splitter's, or its slot stays.

A dead slot is left out of its element segment (which is cut there), so it stays empty, as a
table's slots start; the other slots keep their numbers, as the chunks and the data need.
wasm-bindgen and wasm-opt then drop the code.

    scripts/drop-dead-table-slots.py CARGO.wasm SPLIT-MAIN.wasm CLASS...   # SPLIT-MAIN.wasm rewritten
    scripts/drop-dead-table-slots.py CARGO.wasm SPLIT-MAIN.wasm --after-bindgen MAIN_bg.wasm CLASS...
"""
import bisect
import os
import sys
from collections import defaultdict
from importlib import import_module

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
w = import_module("wasm_relocs")


def dead_table_functions(raw, dropped):
    """The function indices of cargo's output whose table slots nothing live uses."""
    m = w.Module(raw)
    symbols = m.symbols()
    nfuncs = m.imported_funcs + len(m.bodies)
    code = [k for k, s in enumerate(m.sections) if s[0] == 10][0]
    data = [k for k, s in enumerate(m.sections) if s[0] == 11][0]

    spans = []  # (start address, end address, symbol index) of each defined data symbol
    for si, (kind, _, _, _, place) in enumerate(symbols):
        if kind == 1 and place is not None:
            seg, off, size = place
            address = m.segments[seg][2]
            if address is None:
                w.fail(f"data symbol {symbols[si][3]} in a passive segment")
            spans.append((address + off, address + off + max(size, 1), si))
    spans.sort()
    starts = [s[0] for s in spans]
    longest = max((s[1] - s[0] for s in spans), default=0)

    def symbols_at(lo, hi):
        """Data symbols overlapping [lo, hi)."""
        k = bisect.bisect_left(starts, lo - longest)
        out = []
        while k < len(spans) and spans[k][0] < hi:
            if spans[k][1] > lo:
                out.append(("d", spans[k][2]))
            k += 1
        return out

    def targets(ty, index, addend):
        if index >= len(symbols):
            w.fail(f"relocation against symbol {index}, which the table does not have")
        kind, _, sindex, name, place = symbols[index]
        if ty in w.FUNCTION_INDEX | w.TABLE_INDEX | w.FUNCTION_OFFSET:
            if kind != 0:
                w.fail(f"function relocation against {name}")
            return [("f", sindex)]
        if ty in w.MEMORY_ADDR:
            if kind != 1:
                w.fail(f"memory relocation against {name}")
            out = [("d", index)]
            if place is not None:
                seg, off, _ = place
                at = m.segments[seg][2] + off + addend
                out += symbols_at(at, at + 1)
            return out
        return []

    edges = defaultdict(set)
    sites = defaultdict(list)  # function -> the nodes whose liveness keeps its slot
    body_starts = [b[0] for b in m.bodies]
    with_relocs = set()
    for ty, at, index, addend in m.relocations(code):
        k = bisect.bisect_right(body_starts, at) - 1
        if k < 0 or at >= m.bodies[k][1]:
            w.fail(f"code relocation at {at} outside every function")
        node = ("f", m.imported_funcs + k)
        with_relocs.add(k)
        for t in targets(ty, index, addend):
            edges[node].add(t)
            if ty in w.TABLE_INDEX:
                sites[t].append([node])
    for k, (start, end) in enumerate(m.bodies):
        if k in with_relocs:
            continue
        # No relocations (wasm_split_cli_support's "stubs"): any `call`/`return_call` its bytes
        # could hold counts.
        for i in range(start, end):
            if m.wasm[i] in (0x10, 0x12):
                f, _ = w.uleb(m.wasm, i + 1)
                if f < nfuncs:
                    edges[("f", m.imported_funcs + k)].add(("f", f))
    seg_starts = [s[0] for s in m.segments]
    for ty, at, index, addend in m.relocations(data):
        k = bisect.bisect_right(seg_starts, at) - 1
        start, length, address = m.segments[k]
        if at >= start + length or address is None:
            w.fail(f"data relocation at {at} outside every active segment")
        lo = address + at - start
        sources = symbols_at(lo, lo + w.WIDTH.get(ty, 5)) or [("root",)]
        for t in targets(ty, index, addend):
            for s in sources:
                edges[s].add(t)
            if ty in w.TABLE_INDEX:
                sites[t].append(sources)

    roots = [("root",)]
    for name, kind, index in m.exports:
        if kind == 0 and not name.startswith(dropped):
            roots.append(("f", index))
    if m.start is not None:
        roots.append(("f", m.start))
    for value in m.globals:
        if value is not None:
            roots += symbols_at(value, value + 1)
    live = set(roots)
    todo = list(roots)
    while todo:
        for t in edges.get(todo.pop(), ()):
            if t not in live:
                live.add(t)
                todo.append(t)
    return m, sorted(
        f
        for (_, f), places in sites.items()
        if all(not any(node in live for node in nodes) for nodes in places)
    )


def identifiers(mangled):
    """The longer identifiers of a v0-mangled name (`<length>[_]<identifier>`), which its
    demangled form spells out too."""
    out = []
    i = 0
    while i < len(mangled):
        if not mangled[i].isdigit() or (i and mangled[i - 1].isalnum()):
            i += 1
            continue
        k = i
        while k < len(mangled) and mangled[k].isdigit():
            k += 1
        n = int(mangled[i:k])
        if k < len(mangled) and mangled[k] == "_":
            k += 1
        word = mangled[k : k + n]
        if n >= 4 and len(word) == n and word.replace("_", "").isalnum():
            out.append(word)
            i = k + n
        else:
            i = k
    # A generic's instantiating crate closes the name and is not demangled.
    if out and mangled.endswith(out[-1]):
        out.pop()
    return out


def table_slots(module):
    """{slot: function index} of the active segments of table 0."""
    slots = {}
    for _, _, table, offset, _, items in module.elems:
        if table == 0 and offset is not None:
            for k, f in enumerate(items):
                slots[offset + k] = f
    return slots


def main(raw_path, split_path, *rest):
    after = rest[:1] == ("--after-bindgen",)
    wasm_path, classes = (rest[1], rest[2:]) if after else (split_path, rest)
    dropped = tuple(c.lower() + "_" for c in classes) + tuple(f"__wbg_{c.lower()}_" for c in classes)
    if after:
        # wasm-bindgen has run the descriptor functions, and left none in its output.
        dropped += ("__wbindgen_describe",)
    with open(raw_path, "rb") as f:
        raw, dead = dead_table_functions(f.read(), dropped)
    raw_names = raw.function_names()
    raw_count = defaultdict(int)
    for name in raw_names.values():
        raw_count[name] += 1
    with open(split_path, "rb") as f:
        split = w.Module(f.read())
    split_index = defaultdict(list)
    for index, name in split.function_names().items():
        split_index[name].append(index)
    split_slots = defaultdict(list)
    for slot, f in table_slots(split).items():
        split_slots[f].append(slot)
    with open(wasm_path, "rb") as f:
        main_wasm = w.Module(f.read())
    names = main_wasm.function_names()
    slots = table_slots(main_wasm)

    # The splitter's main wasm keeps cargo's names; wasm-bindgen keeps its table slots (and
    # demangles the names, which must still spell the mangled name's identifiers).
    gone = set()
    for f in dead:
        name = raw_names.get(f)
        found = split_index.get(name, [])
        if name is None or raw_count[name] != 1 or len(found) != 1:
            print(f"drop-dead-table-slots: {str(name)[:100]} is not one function in each file: kept")
            continue
        for slot in split_slots.get(found[0], []):
            g = slots.get(slot)
            if g is None or not all(word in names.get(g, "") for word in identifiers(name)):
                w.fail(f"slot {slot} holds {names.get(g, g)} in {wasm_path}, not {name}")
            gone.add(slot)

    wasm = main_wasm.wasm
    segments = []
    moved = []  # runs after the first of a segment that was cut: appended, so that no segment's
    # index changes (for a `table.init` or `elem.drop` that names one)
    emptied = []
    for seg_start, seg_end, table, offset, flags, items in main_wasm.elems:
        hit = [k for k in range(len(items)) if offset is not None and offset + k in gone]
        if table != 0 or not hit:
            segments.append(wasm[seg_start:seg_end])
            continue
        emptied += [(offset + k, items[k]) for k in hit]
        runs = w.encode_elems(table, offset, [None if offset + k in gone else f for k, f in enumerate(items)])
        segments.append(runs[0])
        moved += runs[1:]
        # An appended run is written after every other segment: none may write its slots.
        cut_end = offset + len(items)
        for _, _, t, o, _, other in main_wasm.elems:
            if t == 0 and o is not None and o != offset and o < cut_end and o + len(other) > offset:
                w.fail(f"element segment at {o} overlaps the one cut at {offset}")
    segments += moved
    _, _, start, end = main_wasm.section(9)
    body = w.to_uleb(len(segments)) + b"".join(segments)
    section_start = start - len(w.to_uleb(end - start)) - 1
    out = wasm[:section_start] + bytes([9]) + w.to_uleb(len(body)) + body + wasm[end:]
    with open(wasm_path, "wb") as f:
        f.write(out)
    for slot, f in emptied:
        print(f"drop-dead-table-slots: slot {slot}: {names.get(f, f)[:160]}")
    print(f"drop-dead-table-slots: {len(emptied)} table slots emptied ({len(dead)} dead in cargo's output)")


if __name__ == "__main__":
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
