// Where the whole machine's CPU goes under a flood, by process (issue 22): on 2 cores the page's
// sustained rate is bounded by everything Chromium does for it, not only its main thread. Sums
// utime+stime from /proc for each Chromium process (by --type: browser, renderer, gpu-process,
// utility (network, storage)) and for this node process (the flood server), over one flood.
//
//   node bench/machine_cpu.mjs --dist <dir> [--url /__bench/baseline.html] [--rate 5000] [--ms 5000]
//     [--no-indexeddb] [--chromium /usr/bin/chromium]
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { FloodServer } from "./flood.mjs";
const argv = process.argv.slice(2);
const arg = (k, d) => { const i = argv.lastIndexOf(`--${k}`); return i >= 0 ? argv[i + 1] : d; };
const DIST = path.resolve(arg("dist"));
const RATE = Number(arg("rate", 5000));
const MS = Number(arg("ms", 5000));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const HERE = path.dirname(new URL(import.meta.url).pathname);
const SHARED = path.resolve(HERE, "../../shared/fixtures/comfyui");
const FIXTURES = path.resolve(arg("fixtures", fs.existsSync(SHARED) ? SHARED : path.join(HERE, "../demo/recordings")));
const TICK = 100; // USER_HZ on Linux

/** CPU ms of every process whose command line names chromium, keyed by pid, with its kind. */
function snapshot() {
  const out = new Map();
  for (const pid of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split(/[\0 ]/);
      const isNode = Number(pid) === process.pid;
      if (!isNode && !cmd[0].includes("chrom")) continue;
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

const server = await new FloodServer({ dist: DIST, fixtures: FIXTURES }).start();
const browser = await chromium.launch({ executablePath: arg("chromium", "/usr/bin/chromium"), headless: true, args: ["--no-sandbox", "--disable-gpu"] });
const page = await (await browser.newContext()).newPage();
if (argv.includes("--no-indexeddb")) await page.addInitScript(() => Object.defineProperty(window, "indexedDB", { value: undefined }));
await page.goto(server.url(arg("url", "/")));
if (!arg("url")) await page.waitForFunction(() => !!document.querySelector("[data-testid=connection-status][data-state=open]"), null, { timeout: 60000 });
else await sleep(3000);
await server.flood({ rate: RATE, durationMs: 3000 });
await sleep(1500);
const before = snapshot();
const t0 = Date.now();
const r = await server.flood({ rate: RATE, durationMs: MS });
await sleep(1000);
const after = snapshot();
const wall = Date.now() - t0;
const by = {};
for (const [pid, a] of after) by[a.kind] = (by[a.kind] || 0) + a.ms - (before.get(pid)?.ms ?? 0);
const total = Object.values(by).reduce((s, v) => s + v, 0);
console.log(`${arg("url", "/")} at ${RATE}/s for ${MS} ms (achieved ${r.achieved.toFixed(0)}/s, ${wall} ms measured): CPU ms by process`);
for (const [k, v] of Object.entries(by).sort((x, y) => y[1] - x[1])) if (v > 0) console.log(`${v.toFixed(0).padStart(7)}  ${k}`);
console.log(`${total.toFixed(0).padStart(7)}  total (of ${2 * wall} ms on 2 cores); requests ${JSON.stringify(server.requests)}`);
await browser.close(); await server.close();
