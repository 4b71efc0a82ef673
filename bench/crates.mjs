// Which crate a wasm item belongs to, for bench.mjs and size.mjs alike.

/** A demangled v0 symbol without its crates' disambiguating hashes (`tachys[17a9e…]::` → `tachys::`). */
export function withoutHashes(name) {
  return name.replace(/\[[0-9a-f]{1,16}\](?=::)/g, "");
}

/** Crate of a demangled Rust symbol (twiggy's names), or a bucket for non-function items. */
export function crateOf(name) {
  if (name.startsWith('"function names"') || name.startsWith("custom section") || name === "\"name\" section headers") return null;
  if (name.startsWith("data segment") || /^data\[\d+\]$/.test(name)) return "(static data)";
  if (name.startsWith("import ")) return "(imports)";
  if (name.startsWith("export ")) return "(exports)";
  if (/^code\[\d+\]$/.test(name)) return "(unnamed functions)";
  if (name.startsWith("__wbg") || name.startsWith("__wbindgen") || name.startsWith("__externref")) return "wasm_bindgen";
  const clean = withoutHashes(name);
  const head = (s) => {
    s = s.replace(/^(<|&mut |&|\*const |\*mut |dyn |impl |\(|\[)+/, "");
    const m = /^([a-z_][a-z0-9_]*)::/.exec(s);
    return m ? m[1] : null;
  };
  if (clean.startsWith("<")) {
    // <A as B>::f: A's crate when A is a path, else B's (a primitive or a type parameter).
    const as = clean.indexOf(" as ");
    const a = head(clean);
    if (a) return a;
    if (as > 0) {
      const b = head(clean.slice(as + 4));
      if (b) return b;
    }
    if (/^<(str|\[|u8|u16|u32|u64|usize|i\d+|isize|f32|f64|bool|char)/.test(clean)) return "core";
    return "(generic impls)";
  }
  return head(clean) || (/^[a-z_][a-z0-9_]*$/.test(clean) ? "(C / runtime: " + clean + ")" : "(other)");
}
