// /fleet against real ComfyUI 0.3.64: two servers with the extension (one reached as 127.0.0.1,
// the other as localhost, which lets the page's origin in through COMFY_TELEMETRY_ALLOWED_ORIGINS
// and --enable-cors-header),
// one stock server started with --enable-cors-header, and an address where nothing listens. A
// prompt queued by another client on each server shows on that server's card; stopping one
// server changes only its card; the history tab filters by server.
import { test, expect, byId, dashboard } from './comfy';
import { recordAttributes, seenAttributes, screenshot } from './replay';
import { closedPort } from './helpers';

const LONG = 60_000;

test('the fleet: two extension servers under two host names, a stock one, one down', async ({ page, comfy }, testInfo) => {
  test.setTimeout(420_000);
  // The page is served by `home`; its origin is what the others must let in.
  const home = await comfy({ extension: true });
  const origin = new URL(home.url).origin;
  const [second, stock] = await Promise.all([
    // ComfyUI's own routes refuse another origin on loopback unless CORS is on; the extension's
    // need the origin allowed: the settings page says both, and the card says so when one is missing.
    comfy({ extension: true, env: { COMFY_TELEMETRY_ALLOWED_ORIGINS: origin }, comfyArgs: ['--enable-cors-header', origin] }),
    comfy({ extension: false, comfyArgs: ['--enable-cors-header', origin] }),
  ]);
  const servers = [
    { name: 'home', address: home.url },
    { name: 'second', address: second.url.replace('127.0.0.1', 'localhost') },
    { name: 'stock', address: stock.url },
    { name: 'down', address: `127.0.0.1:${await closedPort()}` },
  ];
  await recordAttributes(page, 'fleet-server', ['data-server', 'data-run-id', 'data-state']);
  // When each card first showed each run id (the page's clock is this machine's, as Node's).
  await page.addInitScript(() => {
    const w = window as unknown as { __first?: Record<string, number> };
    const first = (w.__first ??= {});
    new MutationObserver(() => {
      for (const el of document.querySelectorAll('[data-testid="fleet-server"]')) {
        const key = `${el.getAttribute('data-server')}|${el.getAttribute('data-run-id')}`;
        if (el.getAttribute('data-run-id') && !(key in first)) first[key] = Date.now();
      }
    }).observe(document, { subtree: true, attributes: true, childList: true, attributeFilter: ['data-run-id'] });
  });
  await page.goto(dashboard(home, 'settings'));
  for (const s of servers) {
    await byId(page, 'fleet-name').fill(s.name);
    await byId(page, 'fleet-address').fill(s.address);
    await byId(page, 'fleet-add').click();
  }
  await expect(byId(page, 'settings-fleet').getByRole('listitem')).toHaveCount(4);
  await page.getByRole('link', { name: 'Fleet', exact: true }).click();
  const card = (name: string) => page.locator(`[data-testid="fleet-server"][data-server="${name}"]`);
  await expect(byId(page, 'fleet-server')).toHaveCount(4);
  for (const [name, endpoint] of [['home', 'telemetry'], ['second', 'telemetry'], ['stock', 'ws']]) {
    await expect(card(name)).toHaveAttribute('data-state', 'open', { timeout: LONG });
    await expect(card(name)).toHaveAttribute('data-endpoint', endpoint, { timeout: LONG });
  }
  await expect(card('down')).toHaveAttribute('data-state', /reconnecting|offline/, { timeout: LONG });

  // One prompt per server, from another client, long enough for a stock server's queue poll.
  const shown = async (name: string) =>
    (await seenAttributes(page, 'fleet-server')).filter((s) => s['data-server'] === name).map((s) => s['data-run-id']);
  const queued = await Promise.all(
    [home, second, stock].map(async (c) => {
      const id = await c.queue('success', 'another-client', { steps: 30, step_seconds: 0.2 });
      return { id, at: Date.now() };
    }),
  );
  const ids = queued.map((q) => q.id);
  for (const [i, name] of ['home', 'second', 'stock'].entries()) {
    await expect.poll(() => shown(name), { timeout: LONG, message: `${name} shows ${ids[i]}` }).toContain(ids[i]);
  }
  // Streamed within a second of ComfyUI accepting the prompt; the stock server within one poll
  // interval (2 s: its broadcast queue count makes the page read the queue at once).
  const first = await page.evaluate(() => (window as unknown as { __first: Record<string, number> }).__first);
  const delays = ['home', 'second', 'stock'].map((name, i) => first[`${name}|${ids[i]}`] - queued[i].at);
  testInfo.annotations.push({ type: 'card latency (ms)', description: delays.join(', ') });
  expect(delays[0], 'home (streamed)').toBeLessThanOrEqual(1000);
  expect(delays[1], 'second (streamed)').toBeLessThanOrEqual(1000);
  expect(delays[2], 'stock (polled)').toBeLessThanOrEqual(2000);
  await screenshot(page, 'real-fleet.png', testInfo);
  await Promise.all([home, second, stock].map((c, i) => c.finished(ids[i])));

  // The second server stops: only its card changes.
  await second.down();
  await expect(card('second')).toHaveAttribute('data-state', /reconnecting|offline/, { timeout: LONG });
  for (const name of ['home', 'stock']) await expect(card(name)).toHaveAttribute('data-state', 'open');

  // Runs are stored under their server: the history tab filters by it.
  await page.goto(dashboard(home, `history?server=${encodeURIComponent(new URL(stock.url).origin)}`));
  const row = (id: string) => page.locator(`[data-testid="history-row"][data-run-id="${id}"]`);
  await expect(row(ids[2])).toBeVisible({ timeout: LONG });
  await expect(row(ids[0])).toHaveCount(0);
});
