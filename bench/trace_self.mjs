// Self CPU time per trace event name on the renderer's main thread during a flood (issue 22):
// where the native half of the main thread goes, next to the same for the plain page.
//   node bench/trace_self.mjs --dist <dir> [--rate 5000] [--ms 5000] [--url /__bench/baseline.html] [--n 40]
import { arg, openFlooded, sleep } from "./probe.mjs";
const RATE = Number(arg("rate", 5000)), MS = Number(arg("ms", 5000));
const { server, browser, page, url } = await openFlooded({ rate: RATE, warmMs: 2000, viewport: { width: 1280, height: 900 } });
await browser.startTracing(page, { categories: ["toplevel", "devtools.timeline", "v8", "blink", "loading", "IndexedDB", "mojom", "ipc", "disabled-by-default-devtools.timeline"] });
await server.flood({ rate: RATE, durationMs: MS });
await sleep(500);
const trace = JSON.parse((await browser.stopTracing()).toString());
await browser.close(); await server.close();
const events = trace.traceEvents || trace;
const mains = new Set(events.filter((e) => e.name === "thread_name" && e.args?.name === "CrRendererMain").map((e) => `${e.pid}:${e.tid}`));
const browserMain = new Set(events.filter((e) => e.name === "thread_name" && e.args?.name === "CrBrowserMain").map((e) => `${e.pid}:${e.tid}`));
function selfTimes(keys) {
  const xs = events.filter((e) => e.ph === "X" && keys.has(`${e.pid}:${e.tid}`) && e.tdur !== undefined).sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  const self = new Map(); const tops = new Map(); const stack = []; let top = 0;
  for (const e of xs) {
    while (stack.length && stack[stack.length - 1].ts + stack[stack.length - 1].dur <= e.ts) stack.pop();
    const parent = stack[stack.length - 1];
    if (parent) self.set(parent.name, (self.get(parent.name) || 0) - e.tdur / 1000);
    else { top += e.tdur / 1000; tops.set(e.name, (tops.get(e.name) || 0) + e.tdur / 1000); }
    self.set(e.name, (self.get(e.name) || 0) + e.tdur / 1000);
    stack.push(e);
  }
  return { top, self, tops };
}
for (const [label, keys] of [["renderer main", mains], ["browser main", browserMain]]) {
  const { top, self, tops } = selfTimes(keys);
  console.log(`${label}: ${top.toFixed(0)} ms CPU in top-level events (${MS} ms at ${RATE}/s, ${url}); by top-level event: ` +
    [...tops.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(", "));
  for (const [k, v] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(arg("n", 30)))) console.log(`${v.toFixed(0).padStart(7)} ${k}`);
}
