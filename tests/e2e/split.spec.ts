// The split build (scripts/build.sh, issue #22): a cold load of the live page fetches only the main
// wasm, then the store's code (its own chunk, fetched while the page connects); the other pages'
// code arrives as one wasm (scripts/merge-chunks.py) when the first of them is visited, and no
// page fetches it again.
import { test, expect, byId } from './replay';
import { LONG, historyRows, shot, waitForRunEnd } from './helpers';
import type { Page } from '@playwright/test';

/** The names of the wasm files the page fetches from now on, in order. */
function wasmRequests(page: Page): string[] {
  const wasm: string[] = [];
  page.on('request', (r) => {
    const name = new URL(r.url()).pathname.split('/').pop() ?? '';
    if (name.endsWith('.wasm')) wasm.push(name);
  });
  return wasm;
}

/** The split points the live page itself loads: the store's code and the run chart's drawing. */
const LIVE_SPLITS = /^split_(Store|Chart)-/;

test('the live page loads no page chunk; history fetches the pages\' chunk on first visit, once, and the other pages need nothing more', async ({ page, replay }) => {
  const server = await replay({ scenario: 'a_success', speed: 4 });
  const wasm = wasmRequests(page);

  await page.goto(server.url);
  await expect(byId(page, 'current-run')).toBeVisible();
  // The live page has followed a whole run: the main wasm, the store's code and the run chart's
  // drawing (their own split points, with the shared chunks they need, each fetched once), no
  // page's split point.
  await waitForRunEnd(page, 'succeeded');
  expect(wasm.filter((f) => f.startsWith('comfy-dashboard-'))).toHaveLength(1);
  expect(wasm.filter((f) => f.startsWith('split_Store-'))).toHaveLength(1);
  expect(wasm.filter((f) => f.startsWith('split_Chart-'))).toHaveLength(1);
  expect(wasm.filter((f) => f.startsWith('split_') && !LIVE_SPLITS.test(f))).toEqual([]);
  expect(new Set(wasm).size).toBe(wasm.length);

  await page.locator('a[href$="/history"]').first().click();
  await expect(byId(page, 'history-list')).toBeVisible();
  const pages = wasm.filter((f) => f.startsWith('split_Pages-'));
  expect(pages).toHaveLength(1);
  const afterHistory = wasm.length;

  // Back to live and to history again: nothing is fetched twice.
  await page.locator('nav a[href="/"]').first().click();
  await expect(byId(page, 'current-run')).toBeVisible();
  await page.locator('a[href$="/history"]').first().click();
  await expect(byId(page, 'history-list')).toBeVisible();
  // Settings and fleet are pages of the same file: shown without fetching any wasm.
  await page.locator('nav a[href$="/settings"]').first().click();
  await expect(byId(page, 'settings-server')).toBeVisible();
  await page.locator('nav a[href$="/fleet"]').first().click();
  await expect(page.locator('h1.page-title', { hasText: 'Fleet' })).toBeVisible();
  await expect(byId(page, 'page-unavailable')).toHaveCount(0);
  expect(wasm.length).toBe(afterHistory);
});

test('a page whose chunk cannot be fetched says so, the app keeps running, and the next visit loads it', async ({ page, replay }) => {
  const server = await replay({ scenario: 'a_success', speed: 4 });
  // As in a tab opened before the dashboard was updated: the chunk it asks for is gone.
  let blocked = true;
  await page.route(/split_Pages-[^/]*\.wasm$/, (route) => (blocked ? route.fulfill({ status: 404, body: '' }) : route.continue()));

  await page.goto(server.url);
  await expect(byId(page, 'current-run')).toBeVisible();
  await page.locator('a[href$="/history"]').first().click();
  await expect(byId(page, 'page-unavailable')).toBeVisible();
  await expect(byId(page, 'page-unavailable')).toHaveAttribute('role', 'alert');
  await expect(byId(page, 'history-list')).toHaveCount(0);

  // The app did not abort: the live page still works.
  await page.locator('nav a[href="/"]').first().click();
  await waitForRunEnd(page, 'succeeded');

  // The failure was not remembered: the next visit fetches the chunk again and shows the page.
  blocked = false;
  await page.locator('a[href$="/history"]').first().click();
  await expect(byId(page, 'history-list')).toBeVisible();
  await expect(byId(page, 'page-unavailable')).toHaveCount(0);
});

test('the history migration runs from the store chunk, and the demo is a chunk of its own, fetched when asked for', async ({ page, replay }) => {
  const server = await replay({ scenario: 'a_success', speed: 4 });
  const wasm = wasmRequests(page);

  // The store's and the run chart's chunks are the only ones a run fetches.
  await page.goto(server.url);
  await waitForRunEnd(page, 'succeeded');
  expect(wasm.filter((f) => f.startsWith('split_') && !LIVE_SPLITS.test(f))).toEqual([]);

  // A history an older build wrote (its data version below the records' own): the next load's
  // store runs the migration's pass to the end and records the new version.
  const dataVersion = (set?: number) =>
    page.evaluate(async (set) => {
      const db = await new Promise<IDBDatabase>((ok, fail) => {
        const r = indexedDB.open('comfy-dashboard');
        r.onsuccess = () => ok(r.result);
        r.onerror = () => fail(r.error);
      });
      const tx = db.transaction(['meta'], 'readwrite');
      const meta = tx.objectStore('meta');
      if (set !== undefined) meta.put({ name: 'data_version', value: set });
      const got = await new Promise<unknown>((ok) => {
        const r = meta.get('data_version');
        r.onsuccess = () => ok(r.result?.value);
      });
      await new Promise((ok) => (tx.oncomplete = ok));
      db.close();
      return got;
    }, set);
  const current = await dataVersion();
  expect(typeof current).toBe('number');
  await dataVersion(0);
  await page.reload();
  await expect.poll(() => dataVersion()).toBe(current);
  await expect(byId(page, 'connection-status')).toHaveAttribute('data-state', 'open', { timeout: LONG });

  // Asking for the demo fetches its chunk, and it plays.
  await page.goto(new URL('/?demo', server.url).href);
  await expect(byId(page, 'connection-status')).toHaveAttribute('data-endpoint', 'demo', { timeout: 30_000 });
  expect(wasm.filter((f) => f.startsWith('split_Demo-'))).toHaveLength(1);
});

test('the run chart is drawn by a chunk of its own: not fetched before a run, fetched once when a run has samples', async ({ page, replay }, testInfo) => {
  const server = await replay({ scenario: 'a_success', speed: 2 });
  const wasm = wasmRequests(page);

  // No ComfyUI answering (no run, no series): the live page is up, the chart says it fills in
  // later, and no chunk was fetched but the store's.
  await server.control('/__replay/outage');
  await page.goto(server.url);
  await expect(byId(page, 'connection-status')).toHaveAttribute('data-state', /reconnecting|offline/, { timeout: LONG });
  const chart = byId(page, 'run-chart');
  await expect(chart).toContainText('fills in');
  expect(await chart.getAttribute('data-points')).toBe('0');
  expect(wasm.filter((f) => f.startsWith('comfy-dashboard-'))).toHaveLength(1);
  expect(wasm.filter((f) => f.startsWith('split_'))).toEqual([expect.stringMatching(/^split_Store-/)]);
  const storeFiles = wasm.length;

  // The server answers, a run plays: the drawing's split point (and the shared chunks it needs)
  // arrives once and the chart is drawn.
  await server.control('/__replay/recover');
  await expect.poll(async () => Number(await chart.getAttribute('data-points')), { timeout: LONG }).toBeGreaterThanOrEqual(2);
  await expect(chart.locator('svg path.progress-line')).toHaveAttribute('d', /^M.+L/, { timeout: LONG });
  await expect(chart.locator('.legend')).toContainText('steps per second');
  await waitForRunEnd(page, 'succeeded');
  expect(wasm.filter((f) => f.startsWith('split_Chart-'))).toHaveLength(1);
  expect(wasm.length).toBeGreaterThan(storeFiles);
  expect(wasm.filter((f) => f.startsWith('split_') && !LIVE_SPLITS.test(f))).toEqual([]);
  expect(new Set(wasm).size).toBe(wasm.length);
  await shot(page, 'split-chart-drawn.png', testInfo);
});

test('a run chart whose chunk cannot be fetched says so where the chart would be; the live page keeps working', async ({ page, replay }, testInfo) => {
  const server = await replay({ scenario: 'a_success', speed: 2 });
  await page.route(/split_Chart-[^/]*\.wasm$/, (route) => route.fulfill({ status: 404, body: '' }));

  await page.goto(server.url);
  const chart = byId(page, 'run-chart');
  await expect(chart.getByTestId('run-chart-unavailable')).toBeVisible({ timeout: LONG });
  await expect(chart.getByTestId('run-chart-unavailable')).toHaveAttribute('role', 'alert');
  await expect(chart.locator('svg')).toHaveCount(0);
  // Everything else follows the run to its end, and the chart's numbers are still there.
  await waitForRunEnd(page, 'succeeded');
  await expect(byId(page, 'artifact-viewer')).toHaveAttribute('data-count', /[1-9]/, { timeout: LONG });
  expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThanOrEqual(2);
  await shot(page, 'split-chart-unavailable.png', testInfo);
});

test('a store whose chunk cannot be fetched: the live page follows the run; history, which needs that code too, says it could not be loaded', async ({ page, replay }, testInfo) => {
  const server = await replay({ scenario: 'a_success', speed: 2 });
  await page.route(/split_Store-[^/]*\.wasm$/, (route) => route.fulfill({ status: 404, body: '' }));

  await page.goto(server.url);
  await waitForRunEnd(page, 'succeeded');
  await expect(byId(page, 'artifact-viewer')).toHaveAttribute('data-count', /[1-9]/, { timeout: LONG });
  // The history page's code includes the store's (scripts/merge-chunks.py): it cannot load
  // either, and says so; the app keeps running.
  await page.locator('a[href$="/history"]').first().click();
  await expect(byId(page, 'page-unavailable')).toBeVisible({ timeout: LONG });
  await shot(page, 'split-store-unavailable.png', testInfo);
  await page.locator('nav a[href="/"]').first().click();
  await expect(byId(page, 'current-run')).toHaveAttribute('data-status', 'succeeded');
});

test('a store chunk that fails to arrive is fetched again: the run is stored and history lists it, without a reload', async ({ page, replay }) => {
  const server = await replay({ scenario: 'a_success', speed: 2 });
  // As when ComfyUI, which serves the packaged dashboard, restarts as the page loads: the first
  // two fetches of the store's code fail, the third arrives.
  let refused = 0;
  let served = 0;
  await page.route(/split_Store-[^/]*\.wasm$/, async (route) => {
    if (refused < 2) {
      refused += 1;
      await route.fulfill({ status: 503, body: '' });
      return;
    }
    served += 1;
    await route.continue();
  });

  await page.goto(server.url);
  await waitForRunEnd(page, 'succeeded');
  const runId = await byId(page, 'current-run').getAttribute('data-run-id');
  expect(runId).toBeTruthy();
  // Tried again after 1 s and after 2 s more, then fetched once.
  await expect.poll(() => served, { timeout: LONG }).toBe(1);
  expect(refused).toBe(2);
  await page.locator('a[href$="/history"]').first().click();
  await expect(byId(page, 'history-row')).toHaveCount(1, { timeout: LONG });
  expect(await historyRows(page)).toEqual([{ id: runId, status: 'succeeded' }]);
  await expect(byId(page, 'page-unavailable')).toHaveCount(0);
  expect(served).toBe(1);
});

test('the live page does not wait for the store: a run shown while its chunk is held back is stored once it arrives', async ({ page, replay }) => {
  const server = await replay({ scenario: 'a_success', speed: 2 });
  // The store's chunk is held until the run has been followed to its end.
  let release: () => void = () => {};
  const released = new Promise<void>((ok) => (release = ok));
  await page.route(/split_Store-[^/]*\.wasm$/, async (route) => {
    await released;
    await route.continue();
  });
  const storedRuns = () =>
    page.evaluate(async () => {
      if (!(await indexedDB.databases()).some((d) => d.name === 'comfy-dashboard')) return -1;
      const db = await new Promise<IDBDatabase>((ok, fail) => {
        const r = indexedDB.open('comfy-dashboard');
        r.onsuccess = () => ok(r.result);
        r.onerror = () => fail(r.error);
      });
      if (!db.objectStoreNames.contains('runs')) return db.close(), -1;
      const n = await new Promise<number>((ok) => {
        const c = db.transaction(['runs']).objectStore('runs').count();
        c.onsuccess = () => ok(c.result);
      });
      db.close();
      return n;
    });

  await page.goto(server.url);
  await waitForRunEnd(page, 'succeeded');
  await expect(byId(page, 'connection-status')).toHaveAttribute('data-state', 'open');
  const runId = await byId(page, 'current-run').getAttribute('data-run-id');
  expect(runId).toBeTruthy();
  // Nothing was opened yet: the store's code has not arrived.
  expect(await storedRuns()).toBe(-1);

  // It arrives: the store opens, its sink writes the run the stream already holds.
  release();
  await expect.poll(storedRuns, { timeout: LONG }).toBe(1);
  await page.locator('a[href$="/history"]').first().click();
  await expect(byId(page, 'history-row')).toHaveCount(1, { timeout: LONG });
  expect(await historyRows(page)).toEqual([{ id: runId, status: 'succeeded' }]);
});

test('a spill an earlier page left is folded in by the next page writer', async ({ page, replay }) => {
  const server = await replay({ scenario: 'a_success', speed: 4 });
  await page.goto(server.url);
  await waitForRunEnd(page, 'succeeded');

  // What a page that fell behind in a flood leaves (`store/spill.rs`): a `spill:` entry in
  // `meta` holding encoded records, here a copy of the stored run under a key of its own.
  const idb = (write: boolean) =>
    page.evaluate(async (write) => {
      const db = await new Promise<IDBDatabase>((ok, fail) => {
        const r = indexedDB.open('comfy-dashboard');
        r.onsuccess = () => ok(r.result);
        r.onerror = () => fail(r.error);
      });
      const tx = db.transaction(['runs', 'meta'], 'readwrite');
      const ask = <T>(r: IDBRequest<T>) => new Promise<T>((ok) => (r.onsuccess = () => ok(r.result)));
      const runs = tx.objectStore('runs');
      const meta = tx.objectStore('meta');
      if (write) {
        const [record] = await ask(runs.getAll(null, 1));
        meta.put({ name: 'spill:1:0:7', runs: [{ ...record, key: 'spilled-e2e' }] });
      }
      const spills = await ask(meta.getAllKeys(IDBKeyRange.bound('spill:', 'spill;', false, true)));
      const folded = await ask(runs.get('spilled-e2e'));
      await new Promise((ok) => (tx.oncomplete = ok));
      db.close();
      return { spills: spills.length, folded: folded !== undefined };
    }, write);
  expect(await idb(true)).toEqual({ spills: 1, folded: false });

  // The next page's writer looks once it has written and is idle (a run plays again here),
  // finds the entry and folds it in.
  await page.reload();
  await expect(byId(page, 'connection-status')).toHaveAttribute('data-state', 'open', { timeout: LONG });
  await server.control('/__replay/restart');
  await expect.poll(() => idb(false), { timeout: LONG }).toEqual({ spills: 0, folded: true });
  await expect(byId(page, 'connection-status')).toHaveAttribute('data-state', 'open', { timeout: LONG });
});
