// What grows in wasm memory over a long flood (issue 22): drives the dashboard like bench.mjs's
// memory phase, but reads the counting allocator of a build with the `alloc-count` feature
// (`FEATURES=alloc-count DIST_DIR=<dir> scripts/build.sh`, src/browser/alloc_count.rs): live
// heap bytes next to wasm memory (a leak, or the allocator's high-water mark?), and which
// allocation sizes keep more live blocks from one reading to the last.
//
//   node bench/alloc_probe.mjs --dist <dir> [--steps 10000,100000,500000] [--rate 10000] [--no-indexeddb]
//     [--trace <size class> --every <n>]   after the first step, a stack for every n-th block of
//                                           that class (size 8k-7..8k): the stacks of blocks still
//                                           live at the end, grouped (with KEEP_NAMES=1 names)
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { FloodServer } from "./flood.mjs";

const HERE = path.dirname(new URL(import.meta.url).pathname);
const argv = process.argv.slice(2);
const arg = (k, d) => {
  const i = argv.lastIndexOf(`--${k}`);
  return i >= 0 ? argv[i + 1] : d;
};
const flag = (k) => argv.includes(`--${k}`);
const DIST = path.resolve(arg("dist", path.join(HERE, "..", "dist")));
const SHARED = path.resolve(HERE, "../../shared/fixtures/comfyui");
const FIXTURES = path.resolve(arg("fixtures", fs.existsSync(SHARED) ? SHARED : path.join(HERE, "../demo/recordings")));
const STEPS = arg("steps", "10000,100000,500000").split(",").map(Number);
const RATE = Number(arg("rate", 10000));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const INIT = `(() => {
  const b = window.__bench = { done: 0 };
  const P = WebSocket.prototype;
  const d = Object.getOwnPropertyDescriptor(P, "onmessage");
  Object.defineProperty(P, "onmessage", { configurable: true, enumerable: true,
    get() { return d.get.call(this); },
    set(fn) { d.set.call(this, typeof fn === "function" ? function (e) { const r = fn.call(this, e); b.done++; return r; } : fn); } });
  // Frames from the dashboard's socket worker arrive as arrays (src/stream/socket_worker.rs).
  const W = Worker.prototype;
  const wd = Object.getOwnPropertyDescriptor(W, "onmessage");
  Object.defineProperty(W, "onmessage", { configurable: true, enumerable: true,
    get() { return wd.get.call(this); },
    set(fn) { wd.set.call(this, typeof fn === "function" ? function (e) { const r = fn.call(this, e); if (Array.isArray(e.data)) b.done += e.data.length; return r; } : fn); } });
  const add = P.addEventListener;
  P.addEventListener = function (type, fn, opts) {
    if (type === "message" && typeof fn === "function") { const f = fn; fn = function (e) { const r = f.call(this, e); b.done++; return r; }; }
    return add.call(this, type, fn, opts);
  };
  addEventListener("TrunkApplicationStarted", (e) => { b.wasm = e.detail && e.detail.wasm; });
  const live = b.traced = new Map();
  globalThis.__allocProbe = (ptr, size) => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 60;
    live.set(ptr, new Error().stack);
    Error.stackTraceLimit = limit;
  };
  globalThis.__allocProbeFree = (ptr) => { live.delete(ptr); };
})();`;

const server = await new FloodServer({ dist: DIST, fixtures: FIXTURES }).start();
const browser = await chromium.launch({ executablePath: arg("chromium", "/usr/bin/chromium"), headless: true, args: ["--no-sandbox", "--disable-gpu"] });
const context = await browser.newContext();
const page = await context.newPage();
await page.addInitScript(INIT);
if (flag("no-indexeddb")) await page.addInitScript(() => Object.defineProperty(window, "indexedDB", { value: undefined }));
const cdp = await context.newCDPSession(page);
await cdp.send("HeapProfiler.enable");
await page.goto(server.url("/"));
await page.waitForFunction(() => !!document.querySelector("[data-testid=connection-status][data-state=open]"), null, { timeout: 60000 });
await sleep(1500);
const read = async () => {
  for (let t0 = Date.now(); Date.now() - t0 < 120000; await sleep(25)) {
    if ((await page.evaluate(() => window.__bench.done)) >= server.sent) break;
  }
  await sleep(600);
  await cdp.send("HeapProfiler.collectGarbage");
  return page.evaluate(() => ({
    wasm: window.__bench.wasm.memory.buffer.byteLength,
    stats: Array.from(window.wasmBindings.alloc_stats()),
    nodes: document.getElementsByTagName("*").length,
  }));
};
const readings = [];
let sent = 0;
for (const target of STEPS) {
  if (target > sent) await server.flood({ rate: RATE, maxFrames: target - sent, backpressure: 1 << 20 });
  sent = server.sent;
  const r = { messages: sent, ...(await read()) };
  readings.push(r);
  if (readings.length === 1 && arg("trace")) await page.evaluate(([c, e]) => window.wasmBindings.alloc_trace(c, e), [Number(arg("trace")), Number(arg("every", 16))]);
  console.error(`after ${sent}: wasm ${(r.wasm / 1e6).toFixed(2)} MB, live heap ${(r.stats[0] / 1e6).toFixed(3)} MB in ${r.stats[1]} blocks, ${r.nodes} elements`);
}
const stacks = arg("trace") ? await page.evaluate(() => [...window.__bench.traced.values()]) : [];
await browser.close();
await server.close();
const [a, b] = [readings[readings.length > 2 ? 1 : 0], readings[readings.length - 1]];
const per = 1e5 / (b.messages - a.messages);
console.log(`from ${a.messages} to ${b.messages} messages, per 100 000: wasm ${(((b.wasm - a.wasm) / 1e6) * per).toFixed(3)} MB, live heap ${(((b.stats[0] - a.stats[0]) / 1e6) * per).toFixed(3)} MB, ${((b.stats[1] - a.stats[1]) * per).toFixed(0)} blocks`);
const grew = [];
for (let k = 2; k < b.stats.length; k++) {
  const d = b.stats[k] - a.stats[k];
  if (d !== 0) grew.push({ size: k - 2 === b.stats.length - 3 ? "> 4096" : `${Math.max(1, (k - 2) * 8 - 7)}..${(k - 2) * 8}`, delta: d, at: [a.stats[k], b.stats[k]] });
}
grew.sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta));
for (const g of grew.slice(0, 25)) console.log(`  size ${g.size}: ${g.delta > 0 ? "+" : ""}${g.delta} live blocks (${g.at[0]} -> ${g.at[1]})`);

if (stacks.length) {
  // Frames below the allocator, cut at the first frame outside wasm (the event that ran it).
  const frames = (st) => st.split("\n").slice(1).map((l) => l.trim().replace(/^at /, "").replace(/ \(wasm:.*$/, "").replace(/ \(http.*$/, ""))
    .filter((f) => !/alloc_count|__rust_alloc|__rdl_|dlmalloc|alloc::alloc|^Error/.test(f));
  const groups = new Map();
  for (const st of stacks) {
    const k = frames(st).slice(0, Number(arg("depth", 14))).join("\n    ");
    groups.set(k, (groups.get(k) || 0) + 1);
  }
  console.log(`\n${stacks.length} traced blocks still live, by stack:`);
  for (const [k, n] of [...groups.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`${n} x\n    ${k}\n`);
}
