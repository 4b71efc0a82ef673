// The split build (scripts/build.sh, issue #22): a cold load of the live page fetches only the main
// wasm; the history page's code arrives as its own wasm when the page is first visited, and a
// page whose chunk is already there does not fetch it again.
import { test, expect, byId } from './replay';
import { waitForRunEnd } from './helpers';
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

test('the live page loads no page chunk; history fetches its chunk on first visit, once', async ({ page, replay }) => {
  const server = await replay({ scenario: 'a_success', speed: 4 });
  const wasm = wasmRequests(page);

  await page.goto(server.url);
  await expect(byId(page, 'current-run')).toBeVisible();
  // The live page has followed a whole run: still only the main wasm.
  await waitForRunEnd(page, 'succeeded');
  expect(wasm.filter((f) => f.startsWith('comfy-dashboard-'))).toHaveLength(1);
  expect(wasm.filter((f) => !f.startsWith('comfy-dashboard-'))).toEqual([]);

  await page.locator('a[href$="/history"]').first().click();
  await expect(byId(page, 'history-list')).toBeVisible();
  const history = wasm.filter((f) => f.startsWith('split_HistoryRoute-'));
  expect(history).toHaveLength(1);
  const afterHistory = wasm.length;

  // Back to live and to history again: nothing is fetched twice.
  await page.locator('nav a[href="/"]').first().click();
  await expect(byId(page, 'current-run')).toBeVisible();
  await page.locator('a[href$="/history"]').first().click();
  await expect(byId(page, 'history-list')).toBeVisible();
  expect(wasm.length).toBe(afterHistory);
});

test('a page whose chunk cannot be fetched says so, the app keeps running, and the next visit loads it', async ({ page, replay }) => {
  const server = await replay({ scenario: 'a_success', speed: 4 });
  // As in a tab opened before the dashboard was updated: the chunk it asks for is gone.
  let blocked = true;
  await page.route(/split_HistoryRoute-[^/]*\.wasm$/, (route) => (blocked ? route.fulfill({ status: 404, body: '' }) : route.continue()));

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

test('the history migration and the demo are chunks of their own: fetched when needed, not on a first visit', async ({ page, replay }) => {
  const server = await replay({ scenario: 'a_success', speed: 4 });
  const wasm = wasmRequests(page);

  // A new history database has nothing to migrate: the migration's chunk stays on the server.
  await page.goto(server.url);
  await waitForRunEnd(page, 'succeeded');
  expect(wasm.filter((f) => f.startsWith('split_'))).toEqual([]);

  // A history an older build wrote (its data version below the records' own): the next load
  // fetches the migration's chunk, which runs its pass to the end and records the new version.
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
  await expect.poll(() => wasm.filter((f) => f.startsWith('split_Migrate-')).length).toBe(1);
  await expect.poll(() => dataVersion()).toBe(current);

  // Asking for the demo fetches its chunk, and it plays.
  await page.goto(new URL('/?demo', server.url).href);
  await expect(byId(page, 'connection-status')).toHaveAttribute('data-endpoint', 'demo', { timeout: 30_000 });
  expect(wasm.filter((f) => f.startsWith('split_Demo-'))).toHaveLength(1);
});
