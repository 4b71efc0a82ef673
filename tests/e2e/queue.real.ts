// Queue control beside a REAL ComfyUI 0.3.64 (tests/e2e/comfy.ts): another client queues five
// slow prompts behind a long one; the page lists all five in ComfyUI's order, cancelling the third
// removes exactly it from ComfyUI's own /api/queue (and stores it as cancelled), clearing removes
// the rest. With the extension (/telemetry/ui/) and on stock ComfyUI (/ws behind the proxy). The
// drain estimate is unknown on a fresh server and, once ten runs of the workflow are known,
// within 50 % of the time the queue really took to drain.
import { test, expect, byId, dashboard, type Comfy } from './comfy';
import { screenshot } from './replay';
import type { Page } from '@playwright/test';

const LONG = 60_000;

async function comfyPending(comfy: Comfy): Promise<string[]> {
  const q = (await comfy.json('/api/queue')) as { queue_pending: unknown[][] };
  // ComfyUI lists its heap; it runs them by number.
  return q.queue_pending
    .slice()
    .sort((a, b) => Number(a[0]) - Number(b[0]))
    .map((item) => String(item[1]));
}

const listed = (page: Page) =>
  byId(page, 'queue-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-run-id')));

async function historyStatus(page: Page, id: string): Promise<string | null> {
  return page.locator(`[data-testid="history-row"][data-run-id="${id}"]`).getAttribute('data-status', { timeout: 1000 }).catch(() => null);
}

for (const mode of ['extension', 'stock'] as const) {
  test(`${mode}: five pending in order, cancel the third, clear the rest`, async ({ page, comfy }, testInfo) => {
    test.setTimeout(240_000);
    const server = await comfy(mode === 'extension' ? { extension: true } : { extension: false, proxy: true });
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.accept();
    });
    await page.goto(dashboard(server));
    await expect(byId(page, 'connection-status')).toHaveAttribute('data-state', 'open', { timeout: LONG });

    // A long prompt holds the queue; five slow ones wait behind it.
    const blocker = await server.queue('long_running', 'another-client', { steps: 300, step_seconds: 0.1 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await server.queue('success', 'another-client', { steps: 20, step_seconds: 0.1 }));
    expect(await comfyPending(server)).toEqual(ids);
    await expect(byId(page, 'queue-item')).toHaveCount(5, { timeout: LONG });
    expect(await listed(page)).toEqual(ids);
    await expect(byId(page, 'pending-queue')).not.toContainText('another-client');
    // A fresh server has run nothing of this workflow.
    await expect(byId(page, 'queue-eta')).toHaveAttribute('data-seconds', '');
    await screenshot(page, `real-queue-pending-${mode}.png`, testInfo);

    const third = page.locator(`[data-testid="queue-item"][data-run-id="${ids[2]}"] [data-testid="cancel-queued"]`);
    await third.focus();
    await page.keyboard.press('Enter');
    await expect(byId(page, 'queue-item')).toHaveCount(4, { timeout: LONG });
    const rest = [ids[0], ids[1], ids[3], ids[4]];
    expect(await comfyPending(server)).toEqual(rest);
    expect(await listed(page)).toEqual(rest);
    expect(dialogs.some((d) => d.includes('position 3'))).toBe(true);

    await byId(page, 'clear-queue').click();
    await expect(byId(page, 'queue-item')).toHaveCount(0, { timeout: LONG });
    expect(await comfyPending(server)).toEqual([]);
    // The blocker was not pending: it still runs.
    const q = (await server.json('/api/queue')) as { queue_running: unknown[][] };
    expect(q.queue_running.map((i) => i[1])).toEqual([blocker]);
    await fetch(server.url + '/api/interrupt', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ prompt_id: blocker }) });
    await server.idle();

    // Stored as cancelled (never in ComfyUI's history: it never ran).
    await page.getByRole('link', { name: 'History', exact: true }).click();
    await expect.poll(async () => Promise.all(ids.map((id) => historyStatus(page, id))), { timeout: LONG }).toEqual(ids.map(() => 'cancelled'));
    const h = (await server.json(`/api/history/${ids[2]}`)) as Record<string, unknown>;
    expect(h).toEqual({});
  });
}

test('extension: the drain estimate is within 50 % of the real drain once ten runs are known', async ({ page, comfy }) => {
  test.setTimeout(240_000);
  const server = await comfy({ extension: true });
  await page.goto(dashboard(server));
  await expect(byId(page, 'connection-status')).toHaveAttribute('data-state', 'open', { timeout: LONG });
  const slow = { steps: 30, step_seconds: 0.1 };
  for (let i = 0; i < 10; i++) await server.finished(await server.queue('success', 'another-client', slow));
  // Five more: the estimate the page shows while they wait, against how long they really take.
  const blocker = await server.queue('success', 'another-client', slow);
  for (let i = 0; i < 4; i++) await server.queue('success', 'another-client', slow);
  const eta = byId(page, 'queue-eta');
  // One running, four waiting (each takes about 3 s, so the page sees them all queued).
  await expect(byId(page, 'queue-item')).toHaveCount(4, { timeout: LONG });
  await expect(eta).toHaveAttribute('data-seconds', /^[0-9]+$/);
  const started = Date.now();
  const estimate = Number(await eta.getAttribute('data-seconds'));
  await expect(eta).toContainText('from 10 earlier runs');
  await server.idle();
  const actual = (Date.now() - started) / 1000;
  expect(blocker).toBeTruthy();
  expect(Math.abs(estimate - actual), `estimated ${estimate} s, drained in ${actual.toFixed(1)} s`).toBeLessThanOrEqual(0.5 * actual);
});
