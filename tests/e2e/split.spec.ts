// The split build (scripts/build.sh, issue #22): a cold load of the live page fetches only the main
// wasm; the history page's code arrives as its own wasm when the page is first visited, and a
// page whose chunk is already there does not fetch it again.
import { test, expect, byId } from './replay';
import { waitForRunEnd } from './helpers';

test('the live page loads no page chunk; history fetches its chunk on first visit, once', async ({ page, replay }) => {
  const server = await replay({ scenario: 'a_success', speed: 4 });
  const wasm: string[] = [];
  page.on('request', (r) => {
    const name = new URL(r.url()).pathname.split('/').pop() ?? '';
    if (name.endsWith('.wasm')) wasm.push(name);
  });

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
