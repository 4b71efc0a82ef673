// The live page (route `/`) against recorded ComfyUI traces, found only through ui-contract test ids
// (/work/shared/ui-contract.md). Every test starts its own replay server (replay.ts); playback starts
// when the dashboard's WebSocket connects, so each test sees its scenario from the beginning.
import { test, expect, byId, recordAttributes, seenAttributes, screenshot } from './replay';

const RUN_A = 'f265f327-46cd-4648-b93f-013611d81e1b'; // the prompt id recorded in a_success

test.describe('live page', () => {
  test('follows a full /telemetry stream to success', async ({ page, replay }, testInfo) => {
    const server = await replay({ scenario: 'a_success', speed: 1 });
    await recordAttributes(page, 'current-run', ['data-run-id', 'data-status']);
    await page.goto(server.url);

    const conn = byId(page, 'connection-status');
    await expect(conn).toHaveAttribute('data-state', 'open');
    await expect(conn).toHaveAttribute('data-endpoint', 'telemetry');

    const run = byId(page, 'current-run');
    await expect(run).toHaveAttribute('data-run-id', RUN_A);
    await expect(run).toHaveAttribute('data-status', 'succeeded');
    // `running` may be brief: check that it was shown for this run at some point before success.
    const states = await seenAttributes(page, 'current-run');
    expect(states, 'current-run went through running').toContainEqual({ 'data-run-id': RUN_A, 'data-status': 'running' });

    const progress = byId(page, 'run-progress');
    await expect(progress).toHaveAttribute('data-nodes-done', '3');
    await expect(progress).toHaveAttribute('data-nodes-total', /^(3)?$/);

    const log = byId(page, 'event-log');
    for (const type of ['execution_start', 'execution_success']) {
      await expect(log.locator(`[data-testid="event-log-entry"][data-type="${type}"]`).first()).toBeAttached();
    }
    await screenshot(page, 'live-success.png', testInfo);
  });

  test('shows a queue of three draining', async ({ page, replay }, testInfo) => {
    const server = await replay({ scenario: 'e_queue3', speed: 1 });
    await recordAttributes(page, 'queue-status', ['data-running', 'data-pending']);
    await page.goto(server.url);

    await expect
      .poll(
        async () =>
          (await seenAttributes(page, 'queue-status')).some(
            (s) => s['data-running'] === '1' && Number(s['data-pending']) >= 1,
          ),
        { message: 'queue-status showed running=1 with pending >= 1', timeout: 20_000 },
      )
      .toBe(true);
    await screenshot(page, 'live-queue3-busy.png', testInfo);

    const queue = byId(page, 'queue-status');
    await expect(queue).toHaveAttribute('data-running', '0', { timeout: 20_000 });
    await expect(queue).toHaveAttribute('data-pending', '0');
    await screenshot(page, 'live-queue3.png', testInfo);
  });

  test('shows a failed run', async ({ page, replay }, testInfo) => {
    const server = await replay({ scenario: 'c_error', speed: 1 });
    await page.goto(server.url);
    await expect(byId(page, 'connection-status')).toHaveAttribute('data-state', 'open');
    await expect(byId(page, 'current-run')).toHaveAttribute('data-status', 'failed');
    await screenshot(page, 'live-error.png', testInfo);
  });

  test('shows an interrupted run', async ({ page, replay }, testInfo) => {
    const server = await replay({ scenario: 'd_interrupted', speed: 2 });
    await page.goto(server.url);
    await expect(byId(page, 'connection-status')).toHaveAttribute('data-state', 'open');
    await expect(byId(page, 'current-run')).toHaveAttribute('data-status', 'interrupted');
    await screenshot(page, 'live-interrupted.png', testInfo);
  });

  test('falls back to /ws and follows the run through /api/queue and /api/history', async ({ page, replay }, testInfo) => {
    const server = await replay({ scenario: 'a_success', speed: 1, noTelemetry: true });
    await page.goto(server.url);

    const conn = byId(page, 'connection-status');
    await expect(conn).toHaveAttribute('data-endpoint', 'ws');
    await expect(conn).toHaveAttribute('data-state', 'open');
    // The observer stream carries only status broadcasts, so the run comes from polling.
    const run = byId(page, 'current-run');
    await expect(run).toHaveAttribute('data-run-id', RUN_A, { timeout: 30_000 });
    await expect(run).toHaveAttribute('data-status', 'succeeded', { timeout: 30_000 });
    await screenshot(page, 'live-ws-fallback.png', testInfo);
  });

  test('reconnects after an outage', async ({ page, replay }, testInfo) => {
    const server = await replay({ scenario: 'a_success', speed: 1, loop: true });
    await page.goto(server.url);

    const conn = byId(page, 'connection-status');
    await expect(conn).toHaveAttribute('data-state', 'open');

    await server.control('/__replay/outage');
    await expect(conn).toHaveAttribute('data-state', 'reconnecting');
    await expect.poll(async () => Number(await conn.getAttribute('data-attempt')), {
      message: 'data-attempt >= 1 while reconnecting',
    }).toBeGreaterThanOrEqual(1);
    await screenshot(page, 'live-outage.png', testInfo);

    await server.control('/__replay/recover');
    // Back-off is 1 s, 2 s, 4 s...: allow a few retries.
    await expect(conn).toHaveAttribute('data-state', 'open', { timeout: 30_000 });
    await screenshot(page, 'live-recovered.png', testInfo);
  });
});

test.describe('routes', () => {
  test('direct navigation to /history and /settings, and the nav links', async ({ page, replay }, testInfo) => {
    const server = await replay({ scenario: 'a_success', speed: 4 });

    // Deep links work because the replay server falls back to index.html.
    await page.goto(new URL('/history', server.url).href);
    await expect(byId(page, 'history-list')).toBeVisible();
    await screenshot(page, 'history.png', testInfo);

    await page.goto(new URL('/settings', server.url).href);
    await expect(page).toHaveURL(/\/settings$/);
    // The app has mounted (its nav is rendered) and this is not the live or history page.
    await expect(page.locator('a[href$="/history"]').first()).toBeVisible();
    await expect(byId(page, 'current-run')).toHaveCount(0);
    await expect(byId(page, 'history-list')).toHaveCount(0);
    await screenshot(page, 'settings.png', testInfo);

    // Nav links: client-side routing between the three pages (links are matched by their route).
    await page.locator('a[href$="/history"]').first().click();
    await expect(page).toHaveURL(/\/history$/);
    await expect(byId(page, 'history-list')).toBeVisible();

    await page.locator('a[href$="/settings"]').first().click();
    await expect(page).toHaveURL(/\/settings$/);
    await expect(byId(page, 'history-list')).toHaveCount(0);

    await page.locator('nav a[href="/"], a[href="/"], a[href="./"]').first().click();
    await expect(page).toHaveURL(new URL('/', server.url).href);
    await expect(byId(page, 'current-run')).toBeVisible();
  });
});
