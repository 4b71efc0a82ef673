"""Reads what scripts/drop-dead-table-slots.py needs of a wasm: its sections, functions, data
segments, exports, element segments and names, and (for cargo's output linked with
`--emit-relocs`) the linker's symbol table and relocations.

Only the parts this build's wasm uses are decoded; anything else fails loudly (SystemExit), so a
toolchain that writes something new stops the build instead of being misread.
"""
import os
import sys
from importlib import import_module

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
_imports = import_module("shorten-imports")
uleb = _imports.uleb
to_uleb = _imports.to_uleb
read_name = _imports.read_name

# LLVM's WasmRelocs.def: which relocation types point at a function, at a table slot of a
# function, at a data symbol, and which carry an addend.
FUNCTION_INDEX = {0, 26}
TABLE_INDEX = {1, 2, 12, 18, 19, 24}
FUNCTION_OFFSET = {8, 22}
MEMORY_ADDR = {3, 4, 5, 11, 14, 15, 16, 17, 21, 23, 25}
OTHER = {6, 7, 9, 10, 13, 20}  # type, global, section offset, tag, table number
WITH_ADDEND = MEMORY_ADDR | FUNCTION_OFFSET | {9}
WIDTH = {2: 4, 5: 4, 16: 8, 19: 8, 23: 4, 26: 4, 8: 4, 22: 8, 9: 4, 13: 4}  # else an LEB: 5 (10 for 64)


def fail(message):
    raise SystemExit(f"wasm_relocs: {message}")


def sleb(buf, i):
    value = shift = 0
    while True:
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            if byte & 0x40:
                value -= 1 << shift
            return value, i


def const_expr(buf, i):
    """(i32.const value or None, index after the expression's `end`)."""
    value = None
    if buf[i] == 0x41:
        value, i = sleb(buf, i + 1)
    elif buf[i] == 0x42:
        _, i = sleb(buf, i + 1)
    elif buf[i] == 0x23:  # global.get
        _, i = uleb(buf, i + 1)
    else:
        fail(f"constant expression opcode {buf[i]:#x}")
    if buf[i] != 0x0B:
        fail("constant expression longer than one instruction")
    return value, i + 1


def limits(buf, i):
    flags = buf[i]
    _, i = uleb(buf, i + 1)
    if flags & 1:
        _, i = uleb(buf, i)
    return i


class Module:
    def __init__(self, wasm):
        self.wasm = wasm
        self.sections = []  # (id, name or None, payload start, payload end)
        i = 8
        while i < len(wasm):
            sid = wasm[i]
            size, body = uleb(wasm, i + 1)
            name = read_name(wasm, body)[0] if sid == 0 else None
            self.sections.append((sid, name, body, body + size))
            i = body + size
        self.imported_funcs = 0
        self.globals = []  # i32.const initial values (None otherwise)
        self.exports = []  # (name, kind, index)
        self.bodies = []  # (start, end) of each defined function's body, absolute
        self.segments = []  # (absolute start of the bytes, length, address or None)
        self.elems = []  # (section payload start of the segment, end, table, offset, flags, items)
        self.start = None
        for sid, name, start, end in self.sections:
            {1: lambda *a: None, 2: self._imports, 6: self._globals, 7: self._exports,
             8: self._start, 9: self._elems, 10: self._code, 11: self._data}.get(
                sid, lambda *a: None)(start, end)

    def section(self, sid, name=None):
        found = [s for s in self.sections if s[0] == sid and s[1] == name]
        return found[0] if found else None

    def _imports(self, i, end):
        count, i = uleb(self.wasm, i)
        for _ in range(count):
            _, i = read_name(self.wasm, i)
            _, i = read_name(self.wasm, i)
            kind = self.wasm[i]
            i += 1
            if kind == 0:
                _, i = uleb(self.wasm, i)
                self.imported_funcs += 1
            elif kind == 1:
                i = limits(self.wasm, i + 1)
            elif kind == 2:
                i = limits(self.wasm, i)
            elif kind == 3:
                i += 2
                self.globals.append(None)
            elif kind == 4:
                _, i = uleb(self.wasm, i + 1)
            else:
                fail(f"import kind {kind}")

    def _globals(self, i, end):
        count, i = uleb(self.wasm, i)
        for _ in range(count):
            value, i = const_expr(self.wasm, i + 2)
            self.globals.append(value)

    def _exports(self, i, end):
        count, i = uleb(self.wasm, i)
        for _ in range(count):
            name, i = read_name(self.wasm, i)
            kind = self.wasm[i]
            index, i = uleb(self.wasm, i + 1)
            self.exports.append((name, kind, index))

    def _start(self, i, end):
        self.start, _ = uleb(self.wasm, i)

    def _code(self, i, end):
        count, i = uleb(self.wasm, i)
        for _ in range(count):
            size, i = uleb(self.wasm, i)
            self.bodies.append((i, i + size))
            i += size

    def _data(self, i, end):
        count, i = uleb(self.wasm, i)
        for _ in range(count):
            flags, i = uleb(self.wasm, i)
            address = None
            if flags == 2:
                _, i = uleb(self.wasm, i)
            if flags in (0, 2):
                address, i = const_expr(self.wasm, i)
            elif flags != 1:
                fail(f"data segment flags {flags}")
            size, i = uleb(self.wasm, i)
            self.segments.append((i, size, address))
            i += size

    def _elems(self, i, end):
        count, i = uleb(self.wasm, i)
        for _ in range(count):
            seg_start = i
            flags, i = uleb(self.wasm, i)
            table, offset = 0, None
            if flags in (2, 6):
                table, i = uleb(self.wasm, i)
            if flags & 1 == 0:
                offset, i = const_expr(self.wasm, i)
            if flags in (1, 2, 3, 5, 6, 7):
                i += 1  # elemkind or reftype
            n, i = uleb(self.wasm, i)
            items = []  # a function index, or None for ref.null
            for _ in range(n):
                if flags & 4 == 0:
                    f, i = uleb(self.wasm, i)
                    items.append(f)
                elif self.wasm[i] == 0xD2:
                    f, i = uleb(self.wasm, i + 1)
                    if self.wasm[i] != 0x0B:
                        fail("element expression")
                    items.append(f)
                    i += 1
                elif self.wasm[i] == 0xD0:
                    if self.wasm[i + 2] != 0x0B:
                        fail("element expression")
                    items.append(None)
                    i += 3
                else:
                    fail(f"element expression opcode {self.wasm[i]:#x}")
            self.elems.append((seg_start, i, table, offset, flags, items))

    def function_names(self):
        """{function index: name} from the name section."""
        sec = self.section(0, "name")
        if sec is None:
            fail("no name section")
        _, i = read_name(self.wasm, sec[2])
        names = {}
        while i < sec[3]:
            kind = self.wasm[i]
            size, i = uleb(self.wasm, i + 1)
            if kind == 1:
                count, k = uleb(self.wasm, i)
                for _ in range(count):
                    index, k = uleb(self.wasm, k)
                    names[index], k = read_name(self.wasm, k)
            i += size
        return names

    def symbols(self):
        """The linker's symbol table: [(kind, flags, index or None, name, (segment, offset, size) or None)]."""
        sec = self.section(0, "linking")
        if sec is None:
            fail("no linking section: was the wasm linked with --emit-relocs?")
        _, i = read_name(self.wasm, sec[2])
        version, i = uleb(self.wasm, i)
        if version != 2:
            fail(f"linking section version {version}")
        symbols = []
        while i < sec[3]:
            kind = self.wasm[i]
            size, i = uleb(self.wasm, i + 1)
            if kind == 8:
                count, k = uleb(self.wasm, i)
                for _ in range(count):
                    skind = self.wasm[k]
                    flags, k = uleb(self.wasm, k + 1)
                    undefined = flags & 0x10
                    index = name = place = None
                    if skind in (0, 2, 4, 5):
                        index, k = uleb(self.wasm, k)
                        if not undefined or flags & 0x40:
                            name, k = read_name(self.wasm, k)
                    elif skind == 1:
                        name, k = read_name(self.wasm, k)
                        if not undefined:
                            seg, k = uleb(self.wasm, k)
                            off, k = uleb(self.wasm, k)
                            length, k = uleb(self.wasm, k)
                            place = (seg, off, length)
                    elif skind == 3:
                        index, k = uleb(self.wasm, k)
                    else:
                        fail(f"symbol kind {skind}")
                    symbols.append((skind, flags, index, name, place))
            i += size
        return symbols

    def relocations(self, section_index):
        """[(type, absolute offset, symbol index, addend)] of the section with that index."""
        out = []
        for sid, name, start, end in self.sections:
            if sid != 0 or not name.startswith("reloc."):
                continue
            _, i = read_name(self.wasm, start)
            target, i = uleb(self.wasm, i)
            if target != section_index:
                continue
            base = self.sections[target][2]
            count, i = uleb(self.wasm, i)
            for _ in range(count):
                ty = self.wasm[i]
                offset, i = uleb(self.wasm, i + 1)
                index, i = uleb(self.wasm, i)
                addend = 0
                if ty in WITH_ADDEND:
                    addend, i = sleb(self.wasm, i)
                elif ty not in FUNCTION_INDEX | TABLE_INDEX | OTHER:
                    fail(f"relocation type {ty}")
                out.append((ty, base + offset, index, addend))
        return out


def encode_elems(table, offset, items):
    """Active element segments that put `items` (function indices; None leaves the slot empty,
    as a table's slots start) into `table` from slot `offset`: one segment of plain function
    indices per run of functions, the compact encoding the original had."""
    out = []
    k = 0
    while k < len(items):
        if items[k] is None:
            k += 1
            continue
        run = k
        while k < len(items) and items[k] is not None:
            k += 1
        seg = bytearray(to_uleb(0) if table == 0 else to_uleb(2) + to_uleb(table))
        seg += b"\x41" + _sleb(offset + run) + b"\x0b"
        if table != 0:
            seg += b"\x00"  # elemkind funcref
        seg += to_uleb(k - run) + b"".join(to_uleb(f) for f in items[run:k])
        out.append(bytes(seg))
    return out or [bytes(to_uleb(0) if table == 0 else to_uleb(2) + to_uleb(table)) + b"\x41" + _sleb(offset) + b"\x0b" + (b"" if table == 0 else b"\x00") + to_uleb(0)]


def _sleb(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40):
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)
