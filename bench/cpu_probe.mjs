// Where the dashboard's main-thread CPU goes under a flood (issue 22): a CPU profile with self
// and inclusive time per function (wasm frames are named with a KEEP_NAMES=1 build, see
// scripts/wasm-split.sh), the API requests the page made, and optionally the renderer's trace
// events (--trace). --api-delay <ms> delays every /api answer: the page then makes fewer reads,
// which tells their share of the cost (it found the back-to-back queue reads).
//
//   node bench/cpu_probe.mjs --dist <dir> [--rate 1000] [--ms 8000] [--no-indexeddb] [--trace]
//     [--api-delay 300] [--n 40] [--out /tmp/prof.cpuprofile]
import fs from "node:fs";
import path from "node:path";
import { arg, flag, openFlooded, sleep } from "./probe.mjs";
const RATE = Number(arg("rate", 1000));
const MS = Number(arg("ms", 8000));
const API_DELAY = Number(arg("api-delay", 0));
const delayApi = (server) => {
  const serve = server.serve.bind(server);
  server.serve = (req, res) => (req.url.startsWith("/api/") ? setTimeout(() => serve(req, res), API_DELAY) : serve(req, res));
};
const { server, browser, page } = await openFlooded({ rate: RATE, warmMs: 3000, prepare: API_DELAY ? delayApi : undefined });
const cdp = await page.context().newCDPSession(page);
if (flag("trace")) {
  const browser2 = browser;
  await browser2.startTracing(page, { categories: ["devtools.timeline", "v8", "disabled-by-default-devtools.timeline", "toplevel"] });
  await server.flood({ rate: RATE, durationMs: MS });
  await sleep(500);
  const trace = JSON.parse((await browser2.stopTracing()).toString());
  const events = trace.traceEvents || trace;
  const main = new Set(events.filter((e) => e.name === "thread_name" && e.args && e.args.name === "CrRendererMain").map((e) => `${e.pid}:${e.tid}`));
  const by = {}; const cpu = {};
  for (const e of events) {
    if (e.ph !== "X" || !main.has(`${e.pid}:${e.tid}`) || !e.dur) continue;
    by[e.name] = (by[e.name] || 0) + e.dur / 1000;
    if (e.tdur !== undefined) cpu[e.name] = (cpu[e.name] || 0) + e.tdur / 1000;
  }
  console.log(`trace (${MS} ms at ${RATE}/s), inclusive wall ms / cpu ms:`);
  for (const [k, v] of Object.entries(by).sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`${v.toFixed(0).padStart(7)} ${(cpu[k] ?? 0).toFixed(0).padStart(7)} ${k}`);
  await sleep(500);
}
await cdp.send("Profiler.enable");
await cdp.send("Profiler.setSamplingInterval", { interval: 250 });
await cdp.send("Profiler.start");
await server.flood({ rate: RATE, durationMs: MS });
await sleep(500);
const { profile: prof } = await cdp.send("Profiler.stop");
console.log("requests", JSON.stringify(server.requests), "sent", server.sent);
await browser.close(); await server.close();
fs.writeFileSync(arg("out", "/tmp/prof.cpuprofile"), JSON.stringify(prof));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children || []) parent.set(c, n.id);
const name = (n) => { const cf = n.callFrame; return cf.functionName || `(anon ${path.basename(cf.url)}:${cf.lineNumber})`; };
const self = new Map(), incl = new Map();
let busy = 0, total = 0;
prof.samples.forEach((id, i) => {
  const dt = (prof.timeDeltas[i + 1] ?? 0) / 1000;
  total += dt;
  const n = byId.get(id);
  if (name(n) === "(idle)") return;
  busy += dt;
  self.set(name(n), (self.get(name(n)) || 0) + dt);
  const seen = new Set();
  for (let x = id; x !== undefined; x = parent.get(x)) {
    const k = name(byId.get(x));
    if (seen.has(k)) continue; seen.add(k);
    incl.set(k, (incl.get(k) || 0) + dt);
  }
});
console.log(`busy ${busy.toFixed(0)} ms of ${total.toFixed(0)} ms at ${RATE}/s for ${MS} ms`);
const top = (m, n) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
console.log("--- self"); for (const [k, v] of top(self, Number(arg("n", 40)))) console.log(`${v.toFixed(0).padStart(6)} ${(100*v/busy).toFixed(1).padStart(5)}% ${k.slice(0, 160)}`);
console.log("--- inclusive"); for (const [k, v] of top(incl, Number(arg("n", 80)))) console.log(`${v.toFixed(0).padStart(6)} ${(100*v/busy).toFixed(1).padStart(5)}% ${k.slice(0, 160)}`);
