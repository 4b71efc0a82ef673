// The built dashboard beside a REAL ComfyUI 0.3.64 (tests/e2e/comfy.ts), with the extension
// (dashboard at /telemetry/ui/) and without it (stock /ws behind the same-origin proxy), while
// another client queues the integration workflows. What the page shows must equal what ComfyUI's
// own /history/{id} says.
import { test, expect, byId, dashboard, expectedStatus, type Comfy } from './comfy';
import { screenshot } from './replay';
import type { Page } from '@playwright/test';

const LONG = 60_000;

/** The workflows of tests/comfyui/workflows.py every run-model check goes through. */
const MIX: [string, string | null, Record<string, unknown>][] = [
  ['success', 'another-client', {}],
  ['error', 'another-client', {}],
  ['parallel_async', 'another-client', {}],
  ['expansion', 'another-client', {}],
  ['blocked', 'another-client', { message: 'blocked on purpose' }],
  ['success', null, { steps: 3 }], // no client_id: ComfyUI sends only progress to anyone
  ['success', 'another-client', { seed: 7 }],
  ['success', 'another-client', { seed: 7 }], // cached re-run
  ['partial_cache', 'another-client', { seed: 8 }], // EmptyImage cached, the rest runs
  ['parallel_async', 'another-client', { seconds: 0.3, _targets: ['20'] }], // partial execution: one of three outputs
  ['long_running', 'another-client', { steps: 100, step_seconds: 0.1, interrupt: true }], // interrupted mid-run
];

async function connected(page: Page, endpoint: string): Promise<void> {
  const conn = byId(page, 'connection-status');
  await expect(conn).toHaveAttribute('data-state', 'open', { timeout: LONG });
  await expect(conn).toHaveAttribute('data-endpoint', endpoint, { timeout: LONG });
}

/** Runs MIX one after another; returns each prompt id with the status ComfyUI's history gives. */
async function runMix(comfy: Comfy): Promise<Map<string, string>> {
  const expected = new Map<string, string>();
  for (const [wf, client, { interrupt, ...kwargs }] of MIX) {
    const id = await comfy.queue(wf, client, kwargs);
    if (interrupt) await comfy.interruptWhenRunning(id);
    expected.set(id, expectedStatus(await comfy.finished(id)));
  }
  return expected;
}

/**
 * Waits until every prompt is in the history list with ComfyUI's status. `live`: the page that was
 * open while they ran goes to the list through its own navigation and is never reloaded, so what
 * it shows comes from its stream and reconciliation, not from the backfill of a fresh load.
 */
async function historyMatches(page: Page, url: string, expected: Map<string, string>, live = false): Promise<void> {
  if (live) await page.getByRole('link', { name: 'History', exact: true }).click();
  else await page.goto(url);
  await expect(page).toHaveURL(/\/history$/);
  await expect
    .poll(
      async () => {
        const rows = await byId(page, 'history-row').evaluateAll((rs) =>
          rs.map((r) => [r.getAttribute('data-run-id') ?? '', r.getAttribute('data-status') ?? '']),
        );
        const shown = new Map(rows as [string, string][]);
        const wrong = [...expected].filter(([id, st]) => shown.get(id) !== st);
        // The list refreshes on new runs; a reload is the user's fallback (never for a live check).
        if (wrong.length && !live) await page.reload();
        return wrong.map(([id, st]) => `${id}: want ${st}, shown ${shown.get(id) ?? 'missing'}`);
      },
      { timeout: LONG, intervals: [2000] },
    )
    .toEqual([]);
}

test.describe('with the extension', () => {
  test('every prompt of another client reaches the live page and the history as ComfyUI ran it', async ({ page, comfy }, testInfo) => {
    test.setTimeout(240_000);
    const server = await comfy({ extension: true });
    await page.goto(dashboard(server));
    await connected(page, 'telemetry');
    await expect(byId(page, 'connection-status')).toHaveAttribute('data-full-stream', 'true');

    const expected = await runMix(server);
    await historyMatches(page, dashboard(server, 'history'), expected, true);
    await historyMatches(page, dashboard(server, 'history'), expected);
    // The error of the failing workflow, as text (its message carries HTML).
    const failed = [...expected].find(([, st]) => st === 'failed')![0];
    await page.goto(dashboard(server, `history/${failed}`));
    await expect(byId(page, 'run-error')).toHaveAttribute('data-node-type', 'TelemetryFail', { timeout: LONG });
    await expect(byId(page, 'run-error')).toContainText('<b>boom</b>');
    await screenshot(page, 'real-extension-error-detail.png', testInfo);
  });

  test('node counts never exceed the prompt: expansion and concurrent async nodes', async ({ page, comfy }, testInfo) => {
    test.setTimeout(180_000);
    const server = await comfy({ extension: true });
    await page.goto(dashboard(server));
    await connected(page, 'telemetry');
    const samples: string[] = [];
    await page.exposeFunction('__progress', (s: string) => samples.push(s));
    await page.evaluate(() => {
      new MutationObserver(() => {
        const el = document.querySelector('[data-testid="run-progress"]');
        if (el) (window as unknown as { __progress: (s: string) => void }).__progress(`${el.getAttribute('data-nodes-done')}/${el.getAttribute('data-nodes-total')}`);
      }).observe(document, { subtree: true, attributes: true, childList: true });
    });
    for (const [wf, total] of [['expansion', 3], ['parallel_async', 7]] as const) {
      samples.length = 0;
      const id = await server.queue(wf);
      await server.finished(id);
      await expect(byId(page, 'current-run')).toHaveAttribute('data-run-id', id, { timeout: LONG });
      await expect(byId(page, 'current-run')).toHaveAttribute('data-status', 'succeeded', { timeout: LONG });
      await expect(byId(page, 'run-progress')).toHaveAttribute('data-nodes-total', String(total));
      await expect(byId(page, 'run-progress')).toHaveAttribute('data-nodes-done', String(total));
      const over = samples.filter((s) => {
        const [d, t] = s.split('/').map(Number);
        return t > 0 && d > t;
      });
      expect(over, `${wf}: progress above the prompt's node count`).toEqual([]);
      await screenshot(page, `real-${wf}.png`, testInfo);
    }
    // Concurrent async nodes overlap in the node timeline of the stored run.
    const parallel = await server.queue('parallel_async', 'another-client', { seconds: 1.5 });
    await server.finished(parallel);
    await expect(byId(page, 'current-run')).toHaveAttribute('data-status', 'succeeded', { timeout: LONG });
    await page.goto(dashboard(server, `history/${parallel}`));
    const bars = page.locator(['10', '11', '12'].map((id) => `[data-testid="node-bar"][data-node-id="${id}"]`).join(', '));
    await expect(bars).toHaveCount(3, { timeout: LONG });
    // The page may open on the record as it was stored mid-run (the live page's last write can
    // still be in flight when it is left) and the server's history completes it: wait for every
    // sleep's duration, then compare the spans.
    for (let i = 0; i < 3; i++) await expect(bars.nth(i)).toHaveAttribute('data-duration-ms', /^\d+$/, { timeout: LONG });
    const spans = await bars.evaluateAll((bs) =>
      bs.map((b) => [Number(b.getAttribute('data-start-ms')), Number(b.getAttribute('data-start-ms')) + Number(b.getAttribute('data-duration-ms'))]),
    );
    const latestStart = Math.max(...spans.map(([s]) => s));
    const earliestEnd = Math.min(...spans.map(([, e]) => e));
    expect(latestStart, `the three async sleeps ran at the same time: ${JSON.stringify(spans)}`).toBeLessThan(earliestEnd);
    await screenshot(page, 'real-parallel-async-timeline.png', testInfo);
  });

  test('opened mid-run, after an earlier prompt finished: the running prompt shows as running', async ({ page, comfy }, testInfo) => {
    test.setTimeout(180_000);
    const server = await comfy({ extension: true });
    await server.finished(await server.queue('success', 'another-client', { steps: 2 }));
    const running = await server.queue('long_running', 'another-client', { steps: 150, step_seconds: 0.1 });
    // Wait until it runs, then open the page.
    await expect.poll(async () => ((await server.json('/queue')) as { queue_running: unknown[][] }).queue_running.map((q) => q[1]), { timeout: LONG }).toEqual([running]);
    await page.goto(dashboard(server));
    const run = byId(page, 'current-run');
    await expect(run).toHaveAttribute('data-run-id', running, { timeout: 5_000 });
    await expect(run).toHaveAttribute('data-status', 'running', { timeout: 2_000 });
    await screenshot(page, 'real-opened-mid-run.png', testInfo);
    // Reload mid-run: still running, then it ends as ComfyUI says.
    await page.reload();
    await expect(byId(page, 'current-run')).toHaveAttribute('data-status', 'running', { timeout: 5_000 });
    const entry = await server.finished(running);
    await expect(byId(page, 'current-run')).toHaveAttribute('data-status', expectedStatus(entry), { timeout: LONG });
    const warnings = await page.locator('[data-testid="fallback-warning"]').evaluateAll((ws) => ws.map((w) => w.getAttribute('data-code')));
    expect(warnings, 'streamed, not followed by polling').not.toContain('events-not-streamed');
  });

  test('200 short prompts with reloads during and after: every run notified once, the 200th too, no record poorer', async ({ page, comfy }, testInfo) => {
    test.setTimeout(420_000);
    const server = await comfy({ extension: true });
    // Desktop notifications on and granted; each one is recorded in sessionStorage (kept across
    // reloads of this tab) as the browser would show it.
    await page.addInitScript(() => {
      localStorage.setItem('comfy-dashboard.notify', '1');
      class Recorded {
        static permission = 'granted';
        static requestPermission = async () => 'granted';
        constructor(title: string, options?: { body?: string }) {
          const all = JSON.parse(sessionStorage.getItem('notes') ?? '[]') as string[];
          all.push(`${title}: ${options?.body ?? ''}`);
          sessionStorage.setItem('notes', JSON.stringify(all));
        }
        close() {}
      }
      Object.defineProperty(window, 'Notification', { value: Recorded, configurable: true });
    });
    const notes = async () => JSON.parse((await page.evaluate(() => sessionStorage.getItem('notes'))) ?? '[]') as string[];
    await page.goto(dashboard(server));
    await connected(page, 'telemetry');
    const ids: string[] = [];
    const expected = new Map<string, string>();
    for (let i = 0; i < 200; i++) {
      ids.push(await server.queue('success', 'another-client', { steps: 1, step_seconds: 0.01 }));
      if (i === 24) {
        // A reload during the burst: the catch-up replays the runs that already ended.
        await server.finished(ids[20]);
        await page.reload();
        await connected(page, 'telemetry');
      }
    }
    for (const id of ids) expected.set(id, expectedStatus(await server.finished(id)));
    const last = ids[ids.length - 1];
    await expect(byId(page, 'current-run')).toHaveAttribute('data-run-id', last, { timeout: LONG });
    await expect(byId(page, 'current-run')).toHaveAttribute('data-status', 'succeeded', { timeout: LONG });
    // The 200th run is notified as the first was.
    const short = (id: string) => id.slice(0, 8);
    await expect.poll(async () => (await notes()).filter((n) => n.includes(short(last))).length, { timeout: 10_000 }).toBe(1);
    // The history list, open while runs end, refreshes by itself: its first page (the newest 50)
    // as ComfyUI ran them, and all 200 counted.
    const newest = new Map(ids.slice(-50).map((id) => [id, expected.get(id)!]));
    await historyMatches(page, dashboard(server, 'history'), newest, true);
    await expect(byId(page, 'history-count')).toHaveAttribute('data-count', '200', { timeout: LONG });
    // And after a reload once the burst is over (of the history page: the catch-up replays what
    // the extension still holds): nothing notified again, no record poorer.
    await page.reload();
    await expect(byId(page, 'history-count')).toHaveAttribute('data-count', '200', { timeout: LONG });
    await page.waitForTimeout(5000);
    const all = await notes();
    const twice = ids.filter((id) => all.filter((n) => n.includes(short(id))).length > 1);
    expect(twice, 'runs notified more than once').toEqual([]);
    expect(all.filter((n) => n.includes(short(ids[0]))).length, 'the first run was notified').toBe(1);
    const rows = await byId(page, 'history-row').evaluateAll((rs) => rs.map((r) => r.textContent ?? ''));
    // The workflow name and the prompt's node total (`done/3`) are what a poorer replay lost.
    const poor = rows.filter((t) => !t.includes('EmptyImage → TelemetrySleep → SaveImage') || !/\d+\/3/.test(t));
    expect(poor.length, `history rows without their workflow or node count: ${poor.slice(0, 3).join(' | ')}`).toBe(0);
    await screenshot(page, 'real-burst-200-history.png', testInfo);
  });

  test('ComfyUI stopped for 60 s mid-run: the page reconnects by itself and misses nothing after', async ({ page, comfy }, testInfo) => {
    test.setTimeout(300_000);
    const server = await comfy({ extension: true });
    await page.goto(dashboard(server));
    await connected(page, 'telemetry');
    const lost = await server.queue('long_running', 'another-client', { steps: 300, step_seconds: 0.1 });
    await expect(byId(page, 'current-run')).toHaveAttribute('data-status', 'running', { timeout: LONG });
    await server.down();
    // The quick attempts give up after 31 s; the page then watches for the server.
    await expect(byId(page, 'connection-status')).toHaveAttribute('data-state', 'offline', { timeout: LONG });
    await expect(byId(page, 'retry-connection')).toBeVisible();
    await page.waitForTimeout(60_000);
    await server.up();
    // Nobody presses retry: the watch's next probe (every 30 s) finds the server.
    const conn = byId(page, 'connection-status');
    await expect(conn).toHaveAttribute('data-state', 'open', { timeout: 35_000 });
    await expect(conn).toHaveAttribute('data-endpoint', 'telemetry');
    const after = await server.queue('success', 'another-client', { steps: 2 });
    const entry = await server.finished(after);
    await expect(byId(page, 'current-run')).toHaveAttribute('data-run-id', after, { timeout: LONG });
    await expect(byId(page, 'current-run')).toHaveAttribute('data-status', expectedStatus(entry), { timeout: LONG });
    // The run the old server took with it does not stay running: it is lost, and says so.
    await page.getByRole('link', { name: 'History', exact: true }).click();
    await expect(page.locator(`[data-testid="history-row"][data-run-id="${lost}"]`)).toHaveAttribute('data-status', 'lost', { timeout: LONG });
    await expect(page.locator(`[data-testid="history-row"][data-run-id="${after}"]`)).toHaveAttribute('data-status', expectedStatus(entry), { timeout: LONG });
    await screenshot(page, 'real-restart-history.png', testInfo);
  });
});

test.describe('stock ComfyUI (no extension), same origin through the development proxy', () => {
  test('every prompt of another client reaches the history, by reconciliation', async ({ page, comfy }) => {
    test.setTimeout(240_000);
    const server = await comfy({ extension: false, proxy: true });
    await page.goto(dashboard(server));
    await connected(page, 'ws');
    const expected = await runMix(server);
    await historyMatches(page, dashboard(server, 'history'), expected, true);
    // And after a reload (the backfill of a fresh load, merged with what the page stored).
    await historyMatches(page, dashboard(server, 'history'), expected);
  });

  test('a burst of identical, fully cached prompts queued back to back: all in the history', async ({ page, comfy }, testInfo) => {
    test.setTimeout(240_000);
    const server = await comfy({ extension: false, proxy: true });
    await page.goto(dashboard(server));
    await connected(page, 'ws');
    // The first runs; the next 20 are the same prompt, so every node is cached and each ends
    // within milliseconds, between two status frames.
    const first = await server.queue('success', 'another-client', { seed: 11, steps: 1 });
    await server.finished(first);
    const ids: string[] = [first];
    for (let i = 0; i < 20; i++) ids.push(await server.queue('success', 'another-client', { seed: 11, steps: 1 }));
    const expected = new Map<string, string>();
    for (const id of ids) expected.set(id, expectedStatus(await server.finished(id)));
    await historyMatches(page, dashboard(server, 'history'), expected, true);
    await screenshot(page, 'real-stock-cached-burst-history.png', testInfo);
  });

  test('a burst of 50 short prompts: all in the history', async ({ page, comfy }, testInfo) => {
    test.setTimeout(300_000);
    const server = await comfy({ extension: false, proxy: true });
    await page.goto(dashboard(server));
    await connected(page, 'ws');
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) ids.push(await server.queue('success', 'another-client', { steps: 1, step_seconds: 0.01 }));
    const expected = new Map<string, string>();
    for (const id of ids) expected.set(id, expectedStatus(await server.finished(id)));
    await historyMatches(page, dashboard(server, 'history'), expected, true);
    await screenshot(page, 'real-stock-burst-history.png', testInfo);
  });
});
