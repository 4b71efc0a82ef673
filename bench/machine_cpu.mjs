// Where the whole machine's CPU goes under a flood, by process (issue 22): on 2 cores the page's
// sustained rate is bounded by everything Chromium does for it, not only its main thread. Sums
// utime+stime from /proc for each Chromium process (by --type: browser, renderer, gpu-process,
// utility (network, storage)) and for this node process (the flood server), over one flood.
//
//   node bench/machine_cpu.mjs --dist <dir> [--url /__bench/baseline.html] [--rate 5000] [--ms 5000]
//     [--no-indexeddb] [--chromium /usr/bin/chromium] [--threads]
// --threads also splits the renderer's and the browser's CPU by thread name (/proc/<pid>/task):
// the main thread, the compositor, raster and GC workers, the IO thread.
import fs from "node:fs";
import { arg, openFlooded, sleep, PROBE_MARK } from "./probe.mjs";
const RATE = Number(arg("rate", 5000));
const MS = Number(arg("ms", 5000));
const TICK = 100; // USER_HZ on Linux

/** The pids of this probe's Chromium: its browser process (marked) and every descendant, so
 * another Chromium on the machine (a test run beside) is not counted. */
function ours() {
  const parent = new Map(); let root = null;
  for (const pid of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      parent.set(pid, stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes(PROBE_MARK)) root = pid;
    } catch { /* gone */ }
  }
  const mine = new Set();
  for (const pid of parent.keys()) {
    for (let p = pid; p && p !== "0"; p = parent.get(p)) if (p === root) { mine.add(pid); break; }
  }
  return mine;
}

/** CPU ms of this probe's Chromium processes (see `ours`), keyed by pid, with its kind. */
function snapshot() {
  const out = new Map();
  const mine = ours();
  for (const pid of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split(/[\0 ]/);
      const isNode = Number(pid) === process.pid;
      if (!isNode && !mine.has(pid)) continue;
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ms = ((Number(f[11]) + Number(f[12])) * 1000) / TICK;
      const type = isNode ? "node (flood server)" : (cmd.find((a) => a.startsWith("--type=")) || "--type=browser").slice(7);
      const sub = cmd.find((a) => a.startsWith("--utility-sub-type="));
      out.set(pid, { kind: sub ? `${type} ${sub.slice(19).replace(/^.*\./, "")}` : type, ms });
    } catch { /* gone */ }
  }
  return out;
}

/** CPU ms of each thread of the renderer and browser processes, keyed by "kind: thread name". */
function threads(procs) {
  const out = new Map();
  for (const [pid, p] of procs) {
    if (p.kind !== "renderer" && p.kind !== "browser") continue;
    let tids = [];
    try { tids = fs.readdirSync(`/proc/${pid}/task`); } catch { continue; }
    for (const tid of tids) {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
        const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")).replace(/\d+$/, "#");
        const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        const key = `${p.kind}: ${name}`;
        out.set(`${pid}/${tid}`, { key, ms: ((Number(f[11]) + Number(f[12])) * 1000) / TICK });
      } catch { /* gone */ }
    }
  }
  return out;
}

const { server, browser, url } = await openFlooded({ rate: RATE, warmMs: 3000 });
await sleep(500);
const before = snapshot();
const beforeThreads = threads(before);
const t0 = Date.now();
const r = await server.flood({ rate: RATE, durationMs: MS });
await sleep(1000);
const after = snapshot();
const afterThreads = threads(after);
const wall = Date.now() - t0;
const by = {};
for (const [pid, a] of after) by[a.kind] = (by[a.kind] || 0) + a.ms - (before.get(pid)?.ms ?? 0);
const total = Object.values(by).reduce((s, v) => s + v, 0);
console.log(`${url} at ${RATE}/s for ${MS} ms (achieved ${r.achieved.toFixed(0)}/s, ${wall} ms measured): CPU ms by process`);
for (const [k, v] of Object.entries(by).sort((x, y) => y[1] - x[1])) if (v > 0) console.log(`${v.toFixed(0).padStart(7)}  ${k}`);
console.log(`${total.toFixed(0).padStart(7)}  total (of ${2 * wall} ms on 2 cores); requests ${JSON.stringify(server.requests)}`);
if (process.argv.includes("--threads")) {
  const byThread = {};
  for (const [id, t] of afterThreads) byThread[t.key] = (byThread[t.key] || 0) + t.ms - (beforeThreads.get(id)?.ms ?? 0);
  console.log("by thread (renderer and browser; # stands for a number):");
  for (const [k, v] of Object.entries(byThread).sort((x, y) => y[1] - x[1])) if (v >= 10) console.log(`${v.toFixed(0).padStart(7)}  ${k}`);
}
await browser.close(); await server.close();
