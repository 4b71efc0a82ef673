#!/usr/bin/env python3
"""No import circles: fails when modules of a crate import each other in a ring.

Each `.rs` file is a module. An edge A -> B is a `crate::…`, `super::…` or `self::…` path in A
(in a `use` or inline) that resolves to the file of module B. A module naturally uses what its
ancestors define and re-exports what its children define, so edges between a module and its
own ancestors or descendants are not counted: a circle is between siblings or cousins (the
shell's old stream circle manager -> follow -> manager, the store's migrate <-> run_store).

Usage: scripts/check-imports.py [CRATE_SRC_DIR ...]   (default: src core/src replay/src)
"""
import os
import re
import sys

PATH = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
GROUP = re.compile(r"\b(crate|super|self)::\{([^}]*)\}")
COMMENT = re.compile(r"//[^\n]*")


def modules(root):
    """module path (tuple) -> file, for every .rs file under root."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            if not f.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, f), root)
            parts = rel[:-3].split(os.sep)
            if parts[-1] in ("mod", "lib", "main"):
                parts = parts[:-1]
            # `#[path = "x_tests.rs"] mod tests;` files belong to their parent.
            if parts and parts[-1].endswith("_tests"):
                continue
            out[tuple(parts)] = os.path.join(root, rel)
    return out


def resolve(mods, here, kind, segs):
    if kind == "crate":
        base = ()
    elif kind == "self":
        base = here
    else:
        base = here[:-1]
        while segs and segs[0] == "super":
            base = base[:-1]
            segs = segs[1:]
    path = base + tuple(segs)
    for n in range(len(path), -1, -1):
        if path[:n] in mods:
            return path[:n]
    return None


def related(a, b):
    return a[: len(b)] == b or b[: len(a)] == a


def edges(mods):
    graph = {m: set() for m in mods}
    for here, file in mods.items():
        text = COMMENT.sub("", open(file, encoding="utf-8").read())
        found = [(k, [s for s in p.split("::") if s]) for k, p in PATH.findall(text)]
        for kind, inner in GROUP.findall(text):
            for item in inner.split(","):
                item = item.strip().split(" as ")[0]
                if item:
                    found.append((kind, [s for s in item.split("::") if s]))
        for kind, segs in found:
            target = resolve(mods, here, kind, segs)
            if target is not None and target != here and not related(here, target):
                graph[here].add(target)
    return graph


def cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index:
            visit(v)
    return out


def main():
    roots = sys.argv[1:] or ["src", "core/src", "replay/src"]
    bad = 0
    for root in roots:
        mods = modules(root)
        graph = edges(mods)
        for comp in cycles(graph):
            bad += 1
            names = sorted("::".join(m) or "<root>" for m in comp)
            print(f"{root}: import circle between {', '.join(names)}")
            for m in sorted(comp):
                for t in sorted(graph[m]):
                    if t in comp:
                        print(f"    {'::'.join(m)} -> {'::'.join(t)}")
        print(f"{root}: {len(mods)} modules, {sum(len(v) for v in graph.values())} edges checked")
    if bad:
        print(f"{bad} import circle(s)")
        return 1
    print("no import circles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
