// What the flood probes share (cpu_probe.mjs, trace_self.mjs, machine_cpu.mjs): their arguments,
// the flood server on a dist, and a headless Chromium page on it, open and warmed by a first flood.
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { FloodServer } from "./flood.mjs";

const argv = process.argv.slice(2);
/** `--name value` from the command line, else `fallback`. */
export const arg = (name, fallback) => {
  const i = argv.lastIndexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
/** Whether `--name` is on the command line. */
export const flag = (name) => argv.includes(`--${name}`);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const HERE = path.dirname(new URL(import.meta.url).pathname);
const SHARED = path.resolve(HERE, "../../shared/fixtures/comfyui");

/**
 * The flood server on `--dist`, a Chromium page on `--url` (default `/`, the dashboard, waited for
 * until its socket is open), `--no-indexeddb` honoured, then `warmMs` of flood at `rate` and a
 * second of rest, so what follows measures a page that has settled. `prepare(server)` runs
 * before the page opens.
 */
/** On this probe's browser command line only: tells its processes from other Chromiums'. */
export const PROBE_MARK = `--bench-probe=${process.pid}`;

export async function openFlooded({ rate, warmMs, viewport, prepare } = {}) {
  const fixtures = path.resolve(arg("fixtures", fs.existsSync(SHARED) ? SHARED : path.join(HERE, "../demo/recordings")));
  const server = await new FloodServer({ dist: path.resolve(arg("dist")), fixtures }).start();
  if (prepare) prepare(server);
  const browser = await chromium.launch({ executablePath: arg("chromium", "/usr/bin/chromium"), headless: true, args: ["--no-sandbox", "--disable-gpu", PROBE_MARK] });
  const page = await (await browser.newContext({ ...(viewport ? { viewport } : {}), ...(flag("reduced-motion") ? { reducedMotion: "reduce" } : {}) })).newPage();
  if (flag("no-indexeddb")) await page.addInitScript(() => Object.defineProperty(window, "indexedDB", { value: undefined }));
  const url = arg("url", "/");
  await page.goto(server.url(url));
  if (url === "/") await page.waitForFunction(() => !!document.querySelector("[data-testid=connection-status][data-state=open]"), null, { timeout: 60000 });
  else await sleep(3000);
  await server.flood({ rate, durationMs: warmMs });
  await sleep(1000);
  return { server, browser, page, url };
}
