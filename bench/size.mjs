// Where the bytes go, without a browser: the bundle (gzip -9 and brotli 11 of every file index.html
// loads, as bench.mjs measures it), the wasm by crate, and the largest functions, from twiggy on a
// build with a name section, each function's gzip measured in the shipped order
// (bench/wasm_costs.mjs). Run through bench/size.sh, which builds that named wasm.
//
//   node bench/size.mjs --dist dist [--named-wasm named.wasm --twiggy twiggy] [--order wasm-order]
//                       [--top 40] [--json out.json]
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { execFileSync } from "node:child_process";
import { crateOf, withoutHashes } from "./crates.mjs";
import { gzipInPlace } from "./wasm_costs.mjs";

const argv = process.argv.slice(2);
const arg = (k, d) => {
  const i = argv.lastIndexOf(`--${k}`);
  return i >= 0 ? argv[i + 1] : d;
};
const DIST = path.resolve(arg("dist", "dist"));
const NAMED_WASM = arg("named-wasm", "");
const TWIGGY = arg("twiggy", "twiggy");
const ORDER = arg("order", "");
const TOP = Number(arg("top", 40));
const JSON_OUT = arg("json", "");
const kB = (b) => (b / 1000).toFixed(1);

const gzip = (buf) => zlib.gzipSync(buf, { level: 9 }).length;
const brotli = (buf) =>
  zlib.brotliCompressSync(buf, {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: buf.length },
  }).length;

/** The split points the live page loads as it starts, whatever it shows (`src/app/store_boot.rs`). */
const AT_START = ["Store"];

/** Every file of dist/ with its sizes; "page load" when index.html references it (as bench.mjs). */
function bundle() {
  const html = fs.readFileSync(path.join(DIST, "index.html"), "utf8");
  const rows = [];
  const walk = (dir, rel = "") => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.name.startsWith(".")) continue; // .stage, .trunk-lock
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(dir, e.name), r);
      else {
        const buf = fs.readFileSync(path.join(dir, e.name));
        const loaded = r === "index.html" || html.includes(`/${r}`) || html.includes(`"${r}"`);
        if (r.startsWith("recordings/") || !loaded) continue;
        rows.push({ file: r, raw: buf.length, gzip: gzip(buf), brotli: brotli(buf) });
      }
    }
  };
  walk(DIST);
  const sum = (k) => rows.reduce((s, r) => s + r[k], 0);
  return { rows, total: { raw: sum("raw"), gzip: sum("gzip"), brotli: sum("brotli") } };
}


/** The app's own crates a generic instantiation was made for: the last of ours named in it. */
function madeFor(name) {
  const ours = [...name.matchAll(/\b(comfy_dashboard|telemetry_core)::([a-z_][a-z0-9_]*)/g)];
  return ours.length ? `${ours[ours.length - 1][1]}::${ours[ours.length - 1][2]}` : null;
}

function twiggy(wasm, gz) {
  const items = JSON.parse(execFileSync(TWIGGY, ["top", "-n", "1000000", "-f", "json", wasm], { maxBuffer: 1 << 28 }).toString());
  const crates = new Map();
  const forOurs = new Map();
  const gzCrates = new Map();
  const gzOurs = new Map();
  const fns = [];
  let total = 0;
  const add = (m, k, n) => m.set(k, (m.get(k) || 0) + n);
  for (const it of items) {
    // v0 mangling (the release wasm's std-from-source build) names crates as `crate[hash]`.
    const name = withoutHashes(it.name);
    const c = crateOf(name);
    if (c === null) continue;
    // A function's measured gzip (each name once: twiggy lists a function once).
    const g = gz.byName.get(name) || 0;
    gz.byName.delete(name);
    add(crates, c, it.shallow_size);
    add(gzCrates, c, g);
    total += it.shallow_size;
    const m = madeFor(name);
    if (m) {
      add(forOurs, m, it.shallow_size);
      add(gzOurs, m, g);
    }
    fns.push({ name, crate: c, bytes: it.shallow_size, gzip: g });
  }
  fns.sort((a, b) => b.gzip - a.gzip || b.bytes - a.bytes);
  const sorted = (m, g) =>
    [...m.entries()].map(([k, bytes]) => ({ k, bytes, gzip: g.get(k) || 0 })).sort((a, b) => b.gzip - a.gzip || b.bytes - a.bytes);
  return { total, crates: sorted(crates, gzCrates), modules: sorted(forOurs, gzOurs), fns };
}

const b = bundle();
const L = [];
L.push(`| file | raw | gzip -9 | brotli 11 |`, `|---|---:|---:|---:|`);
for (const r of b.rows) L.push(`| ${r.file.replace(/-[0-9a-f]{12,16}/, "-…")} | ${kB(r.raw)} kB | ${kB(r.gzip)} kB | ${kB(r.brotli)} kB |`);
L.push(`| **everything the page loads** | **${kB(b.total.raw)} kB** | **${kB(b.total.gzip)} kB** | **${kB(b.total.brotli)} kB** |`, "");
// The split build (scripts/wasm-split.sh): what each lazily loaded page adds when first visited, its
// own wasm and the shared chunks it waits for, read from the split loader.
const loaderFile = fs.readdirSync(DIST).find((f) => /^__wasm_split-[0-9a-f]+\.js$/.test(f));
if (loaderFile) {
  const js = fs.readFileSync(path.join(DIST, loaderFile), "utf8");
  const size = (file) => {
    const buf = fs.readFileSync(path.join(DIST, file));
    return { raw: buf.length, gzip: gzip(buf), brotli: brotli(buf) };
  };
  const chunks = new Map();
  // The loader as the splitter writes it, or minified (terser renames its locals): a shared chunk
  // is `NAME = LOAD(() => { const X = fetch(new URL("./chunk_….wasm" …`.
  // A split point merged with its shared chunks (scripts/merge-chunks.py) is such a chunk too,
  // `split_….wasm`, and its split point loads just that: `__wasm_split_load_NAME = WRAP(CHUNK)`.
  // A merged chunk waits for chunks of its own (`…, [A, B])`), which its pages load with it.
  const waits = new Map();
  for (const m of js.matchAll(/(\w+)\s*=\s*\w+\(\(\)\s*=>\s*\{\s*const \w+\s*=\s*fetch\(new URL\("\.\/((?:chunk|split)_[^"]+)"[^]*?\}\s*,\s*\[([^\]]*)\]\)/g)) {
    chunks.set(m[1], m[2]);
    waits.set(m[1], m[3].split(",").map((v) => v.trim()).filter(Boolean));
  }
  L.push("Loaded when a page is first visited (its split and the shared chunks it needs; a chunk loads once).", "");
  L.push(`The live page fetches the ${AT_START.join(", ")} split point's chunks as it starts (while it connects); "after start" is what a page adds to those:`, "");
  L.push(`| page (split point) | files | raw | gzip -9 | brotli 11 | after start: files | gzip -9 |`, `|---|---:|---:|---:|---:|---:|---:|`);
  const splits = /export const __wasm_split_load_(\w+)\s*=\s*\w+\(\w+\((?:\(\)\s*=>\s*\{\s*const \w+\s*=\s*fetch\(new URL\("\.\/([^"]+)"[^]*?\}\s*|[^,]*),\s*\[([^\]]*)\]\)\)/g;
  const sumOf = (files) => files.map(size).reduce((a, x) => ({ raw: a.raw + x.raw, gzip: a.gzip + x.gzip, brotli: a.brotli + x.brotli }), { raw: 0, gzip: 0, brotli: 0 });
  const pages = [...js.matchAll(splits)].map((m) => ({
    name: m[1].replace(/^__/, "").replace(/_\d+$/, ""),
    files: [m[2], ...m[3].split(",").map((v) => chunks.get(v.trim())).filter(Boolean)].filter(Boolean),
  }));
  for (const m of js.matchAll(/export const __wasm_split_load_(\w+)\s*=\s*\w+\((\w+)\)\s*[;,]/g)) {
    if (chunks.has(m[2])) pages.push({ name: m[1], files: [m[2], ...waits.get(m[2])].map((c) => chunks.get(c)).filter(Boolean) });
  }
  const atStart = new Set(pages.filter((p) => AT_START.includes(p.name)).flatMap((p) => p.files));
  for (const p of pages) {
    const sum = sumOf(p.files);
    const after = p.files.filter((f) => !atStart.has(f));
    L.push(`| ${p.name} | ${p.files.length} | ${kB(sum.raw)} kB | ${kB(sum.gzip)} kB | ${kB(sum.brotli)} kB | ${after.length} | ${kB(sumOf(after).gzip)} kB |`);
  }
  const started = sumOf([...atStart]);
  L.push("", `**The live page's first load and the chunks it fetches as it starts: ${kB(b.total.gzip + started.gzip)} kB gzip, ${kB(b.total.brotli + started.brotli)} kB brotli** (${atStart.size} more files).`);
  // Issue #22's budget: every file of the build, as after a visit to every page.
  const everyFile = [...new Set(pages.flatMap((p) => p.files))];
  const every = sumOf(everyFile);
  L.push("", `**Every file together (the first load and every chunk, as after a visit to every page): ${kB(b.total.gzip + every.gzip)} kB gzip, ${kB(b.total.brotli + every.brotli)} kB brotli** (${b.rows.length + everyFile.length} files).`);
  L.push("");
}
let t = null;
if (NAMED_WASM) {
  const gz = await gzipInPlace(NAMED_WASM, ORDER);
  const gzTotal = gz.total;
  t = twiggy(NAMED_WASM, gz);
  const share = (g) => `${((g / gzTotal) * 100).toFixed(1)} %`;
  L.push(
    `wasm by crate: twiggy's shallow sizes (${kB(t.total)} kB without the name section), and each function's gzip in place: ` +
      `its bodies fed to one zlib stream in the shipped order (${ORDER ? "tools/wasm-order's" : "wasm-opt's"}), flushed after each ` +
      `(${kB(gzTotal)} kB in all, a few per cent above the file's own gzip; bench/wasm_costs.mjs). Static data and tables count raw only:`,
    "",
  );
  L.push(`| crate | raw | gzip in place | share of the gzip |`, `|---|---:|---:|---:|`);
  for (const c of t.crates.slice(0, 20)) L.push(`| ${c.k} | ${kB(c.bytes)} kB | ${kB(c.gzip)} kB | ${share(c.gzip)} |`);
  const rest = t.crates.slice(20);
  const restSum = (k) => rest.reduce((s, c) => s + c[k], 0);
  if (rest.length) L.push(`| ${rest.length} more | ${kB(restSum("bytes"))} kB | ${kB(restSum("gzip"))} kB | ${share(restSum("gzip"))} |`);
  L.push("", `Code whose symbol names one of our modules (any crate's generic code instantiated for it counts for the last of ours it names):`, "");
  L.push(`| module | raw | gzip in place |`, `|---|---:|---:|`);
  for (const m of t.modules.slice(0, 25)) L.push(`| ${m.k} | ${kB(m.bytes)} kB | ${kB(m.gzip)} kB |`);
  L.push("", `The ${TOP} functions that cost the most gzip:`, "");
  L.push(`| gzip in place | raw | crate | function |`, `|---:|---:|---|---|`);
  for (const f of t.fns.slice(0, TOP)) L.push(`| ${f.gzip} | ${f.bytes} | ${f.crate} | \`${f.name.replace(/\|/g, "\\|").slice(0, 150)}\` |`);
}
process.stdout.write(L.join("\n") + "\n");
if (JSON_OUT) fs.writeFileSync(JSON_OUT, JSON.stringify({ bundle: b, twiggy: t && { ...t, fns: t.fns.slice(0, 500) } }, null, 1));
