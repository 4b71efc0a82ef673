#!/usr/bin/env python3
"""Gives the main wasm's JS imports short names, in the wasm and in its JS glue alike.

wasm-bindgen names each import `__wbg_<method>_<16 hex digits>` (and `__wbindgen_…`), and the
name is written twice: in the wasm's import section and as a key of the import object in the JS.
The hex digits do not compress: renaming the 300-odd imports to `a`, `b`, … `aB` takes 5.5 kB
gzip off the wasm and 3.8 kB off the JS (issue #22). Nothing else changes: the import object's
keys are the only place the JS names them (checked: the old name must be gone from the JS
afterwards), and the split chunks never import from the glue (only from `__wasm_split`).

The module they come from (MODULE, `./comfy-dashboard_bg.js`, written before each of the 300-odd
names in the wasm) becomes `a` too: -0.3 kB gzip, -0.5 kB brotli (its one key in the JS's import
object is renamed with it).

The same for the exports of wasm-bindgen's closure shims, which the glue alone calls: each is
named after its whole Rust signature (up to 334 characters) and written four times (the export,
and in the JS the call and the glue's function of that name); they become `_k0`, `_k1`, ….

    scripts/shorten-imports.py MAIN.wasm MAIN.js MODULE   # both files rewritten in place
"""
import re
import sys

ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def uleb(buf, i):
    value = shift = 0
    while True:
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def to_uleb(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def read_name(buf, i):
    n, i = uleb(buf, i)
    return buf[i : i + n].decode(), i + n


def write_name(text):
    raw = text.encode()
    return to_uleb(len(raw)) + raw


def short_name(k):
    name = ""
    while True:
        name = ALPHABET[k % len(ALPHABET)] + name
        k //= len(ALPHABET)
        if not k:
            return name


def skip_limits(buf, i):
    flags, i = uleb(buf, i)
    _, i = uleb(buf, i)
    if flags & 1:
        _, i = uleb(buf, i)
    return i


def rewrite_section(wasm, section_id, rewrite):
    """The wasm with the body of its section SECTION_ID replaced by rewrite(wasm, start, end)."""
    out = bytearray(wasm[:8])
    i = 8
    while i < len(wasm):
        section = wasm[i]
        size, body = uleb(wasm, i + 1)
        end = body + size
        if section == section_id:
            new = rewrite(wasm, body, end)
            out += bytes([section_id]) + to_uleb(len(new)) + new
        else:
            out += wasm[i:end]
        i = end
    return bytes(out)


# What MODULE is renamed to, in the wasm and in the JS's import object.
SHORT_MODULE = "a"


def rewrite_imports(wasm, rename):
    """The wasm with each import's module and field replaced by what
    rename(module, field, kind, descriptor) returns (descriptor: the bytes after the kind)."""

    def rewrite(wasm, body, end):
        count, k = uleb(wasm, body)
        imports = bytearray(to_uleb(count))
        for _ in range(count):
            mod, k = read_name(wasm, k)
            field, k = read_name(wasm, k)
            kind = wasm[k]
            desc = k + 1
            if kind == 0:  # function: its type index
                _, k = uleb(wasm, desc)
            elif kind == 1:  # table: element type, limits
                k = skip_limits(wasm, desc + 1)
            elif kind == 2:  # memory: limits
                k = skip_limits(wasm, desc)
            elif kind == 3:  # global: value type, mutability
                k = desc + 2
            else:
                raise SystemExit(f"wasm import kind {kind} not known")
            mod, field = rename(mod, field, kind, wasm[desc:k])
            imports += write_name(mod) + write_name(field) + wasm[desc - 1 : k]
        if k != end:
            raise SystemExit("the wasm's import section did not parse")
        return imports

    return rewrite_section(wasm, 2, rewrite)


def rename_imports(wasm, module):
    """The wasm with MODULE's imports (and MODULE itself) renamed, and {old: new}."""
    if wasm[:8] != b"\0asm\1\0\0\0":
        raise SystemExit("shorten-imports: not a wasm module")
    renames = {}

    def rename(mod, field, _kind, _descriptor):
        if mod == SHORT_MODULE:
            raise SystemExit(f"shorten-imports: the wasm already imports from a module {mod!r}")
        if mod == module:
            return SHORT_MODULE, renames.setdefault(field, short_name(len(renames)))
        return mod, field

    return rewrite_imports(wasm, rename), renames


# wasm-bindgen's exports of closure shims, named after their whole Rust signature (up to 334
# characters, e.g. `wasm_bindgen_<hash>___convert__closures_____invoke___js_sys_<hash>___…`).
# Only the glue calls them (the chunks link against the loader's three shared exports).
GLUE_EXPORT = re.compile(r"wasm_bindgen_[0-9a-f]{16}___\w+")


def rename_exports(wasm, js):
    """The wasm with wasm-bindgen's closure-shim exports renamed `_k0`, `_k1`, …, and {old: new}."""
    renames = {}

    def rewrite(wasm, body, end):
        count, k = uleb(wasm, body)
        exports = bytearray(to_uleb(count))
        names = set()
        for _ in range(count):
            name, k = read_name(wasm, k)
            desc = k
            _, k = uleb(wasm, k + 1)
            if GLUE_EXPORT.fullmatch(name):
                new = f"_k{len(renames)}"
                if re.search(r"\b" + new + r"\b", js):
                    raise SystemExit(f"shorten-imports: {new} is already a name in the JS")
                name = renames.setdefault(name, new)
            names.add(name)
            exports += write_name(name) + wasm[desc:k]
        if k != end or len(names) != count:
            raise SystemExit("shorten-imports: the export section did not parse")
        return exports

    return rewrite_section(wasm, 7, rewrite), renames


def main(wasm_path, js_path, module):
    with open(wasm_path, "rb") as f:
        wasm, renames = rename_imports(f.read(), module)
    with open(js_path) as f:
        js = f.read()
    wasm, exports = rename_exports(wasm, js)
    for old, new in exports.items():
        if not re.search(r"\bwasm\." + re.escape(old) + r"\b", js):
            raise SystemExit(f"shorten-imports: the JS does not call export {old}")
        # Every mention: the call `wasm.OLD(…)` and the glue's own function of the same name.
        js = re.sub(r"\b" + re.escape(old) + r"\b", new, js)
    js, keys = re.subn(r'(?<=[{,\s])"' + re.escape(module) + r'":', f'"{SHORT_MODULE}":', js)
    if keys != 1:
        raise SystemExit(f"shorten-imports: {module!r} is not exactly one import-object key in {js_path}")
    for old, new in renames.items():
        js, keys = re.subn(r"^(\s+)" + re.escape(old) + ": ", lambda m: f"{m.group(1)}{new}: ", js, flags=re.M)
        if keys != 1 or re.search(r"\b" + re.escape(old) + r"\b", js):
            raise SystemExit(f"shorten-imports: {old} is not exactly one import-object key in {js_path}")
    with open(wasm_path, "wb") as f:
        f.write(wasm)
    with open(js_path, "w") as f:
        f.write(js)
    print(f"shorten-imports: {module} and its {len(renames)} imports and {len(exports)} closure-shim exports renamed")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
