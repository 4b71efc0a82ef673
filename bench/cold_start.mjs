// How soon a cold load of the live page shows live state: two builds of the dashboard, each served
// by the replay server (the extension's /telemetry on the page's own origin, one recorded run),
// loaded alternately in fresh browser contexts (empty HTTP cache, empty IndexedDB) over an
// emulated link, so the ratio between them is measured in the same run on the same machine.
//
//   node bench/cold_start.mjs --dist new=dist --dist old=/path/to/old/dist \
//     [--runs 9] [--kbps 20000] [--rtt-ms 40] [--replay target/debug/comfy-replay] [--history]
//
// For each load, from the navigation's start (`performance.now()` in the page):
//   painted    the app's top bar is on the page (the main wasm ran);
//   connected  the connection pill says "open" (the socket is up and the core said so);
//   run        the recorded run's header is shown (its first frames went through the pipeline);
//   stored     the run is in IndexedDB (the store opened, was wired and wrote it), polled.
//   history    with `--history`: ms from a click on the History tab, once the run is stored, to
//              the history list on the page (the pages' code fetched and run: its first visit).
// `--kbps 0` leaves the link as it is (loopback).
import path from "node:path";
import { spawn } from "node:child_process";
import { chromium } from "playwright-core";

const HERE = path.dirname(new URL(import.meta.url).pathname);
const ROOT = path.resolve(HERE, "..");
const argv = process.argv.slice(2);
const arg = (k, d) => {
  const i = argv.lastIndexOf(`--${k}`);
  return i >= 0 ? argv[i + 1] : d;
};
const all = (k) => argv.flatMap((a, i) => (a === `--${k}` ? [argv[i + 1]] : []));

const RUNS = Number(arg("runs", 9));
const HISTORY = argv.includes("--history");
const KBPS = Number(arg("kbps", 20000));
const RTT = Number(arg("rtt-ms", 40));
const REPLAY = arg("replay", path.join(ROOT, "target/debug/comfy-replay"));
const CHROMIUM = arg("chromium", "/usr/bin/chromium");
const DISTS = all("dist").map((d) => {
  const [label, dir] = d.includes("=") ? d.split("=", 2) : [path.basename(d), d];
  return { label, dir: path.resolve(dir) };
});
if (DISTS.length === 0) throw new Error("give at least one --dist LABEL=DIR");
const log = (...a) => console.error("cold_start:", ...a);
const KEYS = ["painted", "connected", "run", "stored", ...(HISTORY ? ["history"] : [])];

/** A replay server for `dir` on a free port; resolves with its URL once it listens. */
function serve(dir) {
  const child = spawn(REPLAY, ["--dist", dir, "--port", "0", "--extension", "--scenario", "a_success", "--loop", "--gap-ms", "500"], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((ok, fail) => {
    let text = "";
    const look = (chunk) => {
      text += chunk;
      const m = text.match(/listening on (http:\/\/[^\s]+)/);
      if (m) ok({ url: m[1].replace(/\/$/, ""), child });
    };
    child.stdout.on("data", look);
    child.stderr.on("data", look);
    child.on("exit", (code) => fail(new Error(`replay exited (${code}): ${text}`)));
  });
}

// Marks taken in the page as they happen, so reading them later adds nothing to them.
const MARKS = () => {
  window.__marks = {};
  const mark = (k) => window.__marks[k] ?? (window.__marks[k] = performance.now());
  new MutationObserver(() => {
    if (document.querySelector("header.topbar")) mark("painted");
    if (document.querySelector('[data-testid="connection-status"][data-state="open"]')) mark("connected");
    if (document.querySelector('[data-testid="current-run"][data-run-id]:not([data-run-id=""])')) mark("run");
    if (document.querySelector('[data-testid="history-list"]')) mark("history");
  }).observe(document, { subtree: true, childList: true, attributes: true });
};

/** Whether IndexedDB holds a run yet (the store opened, was wired and wrote one). */
const STORED = () =>
  new Promise((ok) => {
    const r = indexedDB.open("comfy-dashboard");
    r.onerror = () => ok(false);
    r.onupgradeneeded = () => {
      r.transaction.abort();
      ok(false);
    };
    r.onsuccess = () => {
      const db = r.result;
      if (!db.objectStoreNames.contains("runs")) return db.close(), ok(false);
      const c = db.transaction(["runs"]).objectStore("runs").count();
      c.onsuccess = () => (db.close(), ok(c.result > 0));
      c.onerror = () => (db.close(), ok(false));
    };
  });

async function load(browser, url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript(MARKS);
  if (KBPS > 0) {
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    const bytesPerS = (KBPS * 1000) / 8;
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: RTT,
      downloadThroughput: bytesPerS,
      uploadThroughput: bytesPerS,
    });
  }
  await page.goto(url, { waitUntil: "commit" });
  await page.waitForFunction(() => window.__marks?.run !== undefined, null, { timeout: 60_000 });
  let stored;
  for (let i = 0; i < 600 && stored === undefined; i++) {
    if (await page.evaluate(STORED)) stored = await page.evaluate(() => performance.now());
    else await page.waitForTimeout(25);
  }
  if (HISTORY) {
    await page.evaluate(() => {
      window.__marks.clicked = performance.now();
      document.querySelector('nav a[href$="/history"]').click();
    });
    await page.waitForFunction(() => window.__marks?.history !== undefined, null, { timeout: 60_000 });
  }
  const marks = await page.evaluate(() => window.__marks);
  await context.close();
  return { ...marks, stored, history: HISTORY ? marks.history - marks.clicked : undefined };
}

const median = (xs) => {
  const s = xs.filter((x) => typeof x === "number").sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};

const servers = [];
try {
  for (const d of DISTS) servers.push({ ...d, ...(await serve(d.dir)) });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
  const results = new Map(DISTS.map((d) => [d.label, []]));
  for (let i = 0; i < RUNS; i++) {
    // Alternated, and the order swapped every round, so drift in the machine hits both.
    const order = i % 2 ? [...servers].reverse() : servers;
    for (const s of order) {
      const r = await load(browser, s.url + "/");
      results.get(s.label).push(r);
      log(`${s.label} #${i + 1}: ${KEYS.map((k) => `${k} ${r[k]?.toFixed(0)}`).join(", ")}`);
    }
  }
  await browser.close();
  const link = KBPS > 0 ? `${KBPS / 1000} Mbit/s, ${RTT} ms round trip` : "loopback, not throttled";
  const lines = [`Cold start of the live page (${link}; median of ${RUNS} loads each, ms from navigation):`, ""];
  const heads = ["painted", "connected", "run shown", "run stored", "history shown"].slice(0, KEYS.length);
  lines.push(`| build | ${heads.join(" | ")} |`, `|---|${heads.map(() => "---:|").join("")}`);
  const med = new Map();
  for (const d of DISTS) {
    const rs = results.get(d.label);
    const m = Object.fromEntries(KEYS.map((k) => [k, median(rs.map((r) => r[k]))]));
    med.set(d.label, m);
    lines.push(`| ${d.label} | ${KEYS.map((k) => m[k].toFixed(0)).join(" | ")} |`);
  }
  if (DISTS.length === 2) {
    const [a, b] = DISTS.map((d) => med.get(d.label));
    lines.push(`| ${DISTS[0].label} / ${DISTS[1].label} | ${KEYS.map((k) => (a[k] / b[k]).toFixed(2)).join(" | ")} |`);
  }
  console.log(lines.join("\n"));
} finally {
  for (const s of servers) s.child.kill();
}
