// /fleet: several servers on one page, each with its own stream. Three replay servers (two with
// the full stream, one stock-like without it, reached as `localhost` rather than 127.0.0.1)
// and one address where nothing listens. Servers are added through Settings, as a person would.
import { test, expect, byId, recordAttributes, seenAttributes, screenshot } from './replay';
import { RUN, LONG, closedPort } from './helpers';

test('four servers, four cards: each streams or polls its own runs, and one stopping changes only its card', async ({ page, replay }, testInfo) => {
  test.setTimeout(150_000);
  // The page comes from a server of its own; each fleet server starts playing when its card
  // connects (the first client), so every card sees its prompt run.
  const home = await replay({ scenario: 'a_success', noTelemetry: true });
  const alpha = await replay({ scenario: 'a_success', extraArgs: ['--enable-cors-header'] });
  const bravo = await replay({ scenario: 'e_queue3', speed: 0.5, noTelemetry: true, extraArgs: ['--enable-cors-header'] });
  const charlie = await replay({ scenario: 'c_error', speed: 0.5, extraArgs: ['--enable-cors-header'] });
  const down = await closedPort();
  const servers = [
    { name: 'alpha', address: alpha.url },
    { name: 'bravo', address: bravo.url.replace('127.0.0.1', 'localhost') },
    { name: 'charlie', address: charlie.url },
    { name: 'down', address: `127.0.0.1:${down}` },
  ];

  await recordAttributes(page, 'fleet-server', ['data-server', 'data-run-id', 'data-state']);
  await page.goto(new URL('/settings', home.url).href);
  for (const s of servers) {
    await byId(page, 'fleet-name').fill(s.name);
    await byId(page, 'fleet-address').fill(s.address);
    await byId(page, 'fleet-add').click();
  }
  await expect(byId(page, 'settings-fleet').getByRole('listitem')).toHaveCount(4);
  // The same server twice is refused, and says why.
  await byId(page, 'fleet-address').fill(alpha.url);
  await byId(page, 'fleet-add').click();
  await expect(byId(page, 'settings-fleet').getByRole('alert')).toContainText('already in the fleet');

  await page.getByRole('link', { name: 'Fleet', exact: true }).click();
  const card = (name: string) => page.locator(`[data-testid="fleet-server"][data-server="${name}"]`);
  await expect(byId(page, 'fleet-server')).toHaveCount(4);
  await expect(card('alpha')).toHaveAttribute('data-state', 'open', { timeout: LONG });
  await expect(card('alpha')).toHaveAttribute('data-endpoint', 'telemetry');
  await expect(card('charlie')).toHaveAttribute('data-state', 'open', { timeout: LONG });
  await expect(card('bravo')).toHaveAttribute('data-state', 'open', { timeout: LONG });
  await expect(card('bravo')).toHaveAttribute('data-endpoint', 'ws');
  await expect(card('down')).toHaveAttribute('data-state', /reconnecting|offline/, { timeout: LONG });

  // A prompt on each live server shows on its own card while it runs: streamed, or from the
  // stock server's queue.
  const shown = async (name: string) =>
    (await seenAttributes(page, 'fleet-server')).filter((s) => s['data-server'] === name).map((s) => s['data-run-id']);
  await expect.poll(() => shown('alpha'), { timeout: LONG }).toContain(RUN.a_success);
  await expect.poll(() => shown('charlie'), { timeout: LONG }).toContain(RUN.c_error);
  await expect.poll(async () => (await shown('bravo')).some((id) => (RUN.e_queue3 as readonly string[]).includes(id ?? '')), { timeout: LONG }).toBe(true);
  expect(await shown('down')).not.toContain(RUN.a_success);
  await screenshot(page, 'fleet.png', testInfo);

  // The keyboard reaches every card: Tab from the top of the page lands on each card's link.
  await page.locator('h1').click();
  const reached = new Set<string>();
  for (let i = 0; i < 20 && reached.size < 4; i++) {
    await page.keyboard.press('Tab');
    const name = await page.evaluate(() => document.activeElement?.closest('[data-testid="fleet-server"]')?.getAttribute('data-server') ?? '');
    if (name) reached.add(name);
  }
  expect([...reached].sort()).toEqual(['alpha', 'bravo', 'charlie', 'down']);

  // Charlie goes away: only its card changes.
  await charlie.stop();
  await expect(card('charlie')).toHaveAttribute('data-state', /reconnecting|offline/, { timeout: LONG });
  for (const name of ['alpha', 'bravo']) await expect(card(name)).toHaveAttribute('data-state', 'open');

  // The runs are stored under their servers: the history tab filters by server.
  await page.goto(new URL(`/history?server=${encodeURIComponent(new URL(charlie.url).origin)}`, home.url).href);
  await expect(page.locator(`[data-testid="history-row"][data-run-id="${RUN.c_error}"]`)).toBeVisible({ timeout: LONG });
  await expect(page.locator(`[data-testid="history-row"][data-run-id="${RUN.a_success}"]`)).toHaveCount(0);
});
