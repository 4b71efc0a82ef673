// The history tab (/history, /history/:run_id, /compare) against recorded ComfyUI traces, found only
// through ui-contract test ids (/work/shared/ui-contract.md). Every test gets a fresh browser context
// (fresh IndexedDB) and its own replay server (replay.ts).
import type { Page } from '@playwright/test';
import { test, expect, byId, recordAttributes, seenAttributes, type Replay } from './replay';
import { RUN, LONG, badge, acceptDialogs, download, historyRows, gemDirectFixture, waitForRunEnd, shot } from './helpers';

const OUTPUT = 'probe_40fe31_00001_.png';

/** Plays a_success, b_cached, c_error (speed 2) on the live page until all three are stored. */
async function playThree(page: Page, replay: (o: { scenario: string[]; speed: number }) => Promise<Replay>): Promise<Replay> {
  const server = await replay({ scenario: ['a_success', 'b_cached', 'c_error'], speed: 2 });
  await page.goto(server.url);
  await expect(byId(page, 'current-run')).toHaveAttribute('data-run-id', RUN.c_error, { timeout: LONG });
  await waitForRunEnd(page, 'failed');
  return server;
}

/** Opens /history (optionally with a query) and waits for the count to settle on `count`. */
async function openHistory(page: Page, server: Replay, query = '', count?: number): Promise<void> {
  await page.goto(new URL(`/history${query}`, server.url).href);
  await expect(byId(page, 'history-list')).toBeVisible({ timeout: LONG });
  if (count !== undefined) {
    await expect(byId(page, 'history-count')).toHaveAttribute('data-count', String(count), { timeout: LONG });
    await expect(byId(page, 'history-row')).toHaveCount(count, { timeout: LONG });
  }
}

const rowOf = (page: Page, id: string) => page.locator(`[data-testid="history-row"][data-run-id="${id}"]`);

test.describe('history', () => {
  test('a reload mid-run keeps following the same run; it is stored once', async ({ page, replay }, testInfo) => {
    const server = await replay({ scenario: 'd_interrupted', speed: 0.5 });
    await page.goto(server.url);
    const run = byId(page, 'current-run');
    await expect(run).toHaveAttribute('data-status', 'running', { timeout: LONG });
    await expect(run).toHaveAttribute('data-run-id', RUN.d_interrupted);
    const progress = byId(page, 'run-progress');
    await expect.poll(async () => Number(await progress.getAttribute('data-step')), {
      message: 'data-step >= 2 before the reload', timeout: LONG,
    }).toBeGreaterThanOrEqual(2);
    const before = Number(await progress.getAttribute('data-step'));

    await recordAttributes(page, 'run-progress', ['data-step']);
    await recordAttributes(page, 'current-run', ['data-run-id', 'data-status']);
    await page.reload();

    // The same run, and it goes on: either more steps or its interruption.
    await expect(run).toHaveAttribute('data-run-id', RUN.d_interrupted, { timeout: LONG });
    await waitForRunEnd(page, 'interrupted');
    const runs = await seenAttributes(page, 'current-run');
    const ids = [...new Set(runs.map((r) => r['data-run-id']).filter((id) => id))];
    expect(ids, 'only this run was shown after the reload').toEqual([RUN.d_interrupted]);
    const steps = (await seenAttributes(page, 'run-progress')).map((s) => Number(s['data-step'])).filter((n) => n > 0);
    testInfo.annotations.push({ type: 'steps', description: `before reload ${before}; after ${steps.join(',')}` });
    await shot(page, 'history-reload-live.png', testInfo);

    await openHistory(page, server, '', 1);
    await expect(rowOf(page, RUN.d_interrupted)).toHaveAttribute('data-status', 'interrupted');
  });

  // A run restored after a reload keeps the start it had before the reload and is not treated as
  // followed: its events kept streaming over /telemetry.
  test('a run restored after a reload keeps its server duration and is not marked as followed', async ({ page, replay }) => {
    const server = await replay({ scenario: 'd_interrupted', speed: 0.5 });
    await page.goto(server.url);
    const run = byId(page, 'current-run');
    await expect(run).toHaveAttribute('data-status', 'running', { timeout: LONG });
    await expect.poll(async () => Number(await byId(page, 'run-progress').getAttribute('data-step')), { timeout: LONG })
      .toBeGreaterThanOrEqual(2);
    await page.reload();
    await expect(run).toHaveAttribute('data-run-id', RUN.d_interrupted, { timeout: LONG });
    await waitForRunEnd(page, 'interrupted');
    // Recorded execution_start .. execution_interrupted timestamps: 1.407 s.
    await expect(badge(page, 'duration_s')).toHaveAttribute('data-value', '1.4', { timeout: 5_000 });
    await expect(page.locator('[data-testid="fallback-warning"][data-code="events-not-streamed"]')).toHaveCount(0);
    await openHistory(page, server, '', 1);
    await expect(rowOf(page, RUN.d_interrupted)).toHaveAttribute('data-exit-reason', 'streamed');
  });

  test('lists every run with its status', async ({ page, replay }, testInfo) => {
    const server = await playThree(page, replay);
    await openHistory(page, server, '', 3);
    const rows = await historyRows(page);
    expect(Object.fromEntries(rows.map((r) => [r.id, r.status]))).toEqual({
      [RUN.a_success]: 'succeeded',
      [RUN.b_cached]: 'succeeded',
      [RUN.c_error]: 'failed',
    });
    await expect(byId(page, 'storage-status')).toHaveAttribute('data-used-bytes', /^\d+$/, { timeout: LONG });
    await expect(byId(page, 'storage-status')).toHaveAttribute('data-quota-bytes', /^\d+$/);
    const used = Number(await byId(page, 'storage-status').getAttribute('data-used-bytes'));
    const quota = Number(await byId(page, 'storage-status').getAttribute('data-quota-bytes'));
    expect(quota).toBeGreaterThan(0);
    expect(used).toBeLessThanOrEqual(quota);
    await shot(page, 'history-list.png', testInfo);
  });

  test('filters by status and text through the URL', async ({ page, replay }, testInfo) => {
    const server = await playThree(page, replay);

    await openHistory(page, server, '?status=failed', 1);
    await expect(rowOf(page, RUN.c_error)).toHaveAttribute('data-status', 'failed');
    const select = byId(page, 'filter-status');
    await expect(select).toHaveValue('failed');
    await shot(page, 'history-filter-failed.png', testInfo);

    await select.selectOption('succeeded');
    await expect(page).toHaveURL(/[?&]status=succeeded(&|$)/);
    await expect(byId(page, 'history-count')).toHaveAttribute('data-count', '2', { timeout: LONG });
    await expect(byId(page, 'history-row')).toHaveCount(2);
    expect((await historyRows(page)).map((r) => r.id).sort()).toEqual([RUN.a_success, RUN.b_cached].sort());

    await openHistory(page, server, '?q=boom', 1);
    await expect(rowOf(page, RUN.c_error)).toHaveCount(1);
    await expect(byId(page, 'filter-text')).toHaveValue('boom');
    await shot(page, 'history-filter-text.png', testInfo);

    await openHistory(page, server, `?q=${OUTPUT}`, 2);
    expect((await historyRows(page)).map((r) => r.id).sort()).toEqual([RUN.a_success, RUN.b_cached].sort());
  });

  test('a saved filter preset and the retention setting survive a reload, stored as before', async ({ page, replay }) => {
    const server = await replay({ scenario: 'a_success', speed: 2 });
    // A preset saved by an earlier build (serde's JSON) still loads.
    await page.goto(server.url);
    await page.evaluate(() => localStorage.setItem('comfy-dashboard.filter-presets', '[["older","q=boom"]]'));
    await openHistory(page, server, '?status=failed');
    await expect(page.getByRole('button', { name: 'older', exact: true })).toBeVisible({ timeout: LONG });
    await page.getByLabel('Preset name').fill('failed only');
    await byId(page, 'save-preset').click();
    await page.getByLabel('runs to keep').fill('7');
    await byId(page, 'apply-retention').click();
    await expect(byId(page, 'storage-status')).toContainText('Retention applied', { timeout: LONG });
    expect(await page.evaluate(() => [
      localStorage.getItem('comfy-dashboard.filter-presets'),
      localStorage.getItem('comfy-dashboard.retention'),
    ])).toEqual(['[["older","q=boom"],["failed only","status=failed"]]', '[7,null]']);

    await openHistory(page, server);
    await expect(page.getByLabel('runs to keep')).toHaveValue('7');
    await expect(page.getByLabel('days to keep')).toHaveValue('');
    await page.getByRole('button', { name: 'failed only', exact: true }).click();
    await expect(page).toHaveURL(/\/history\?status=failed$/);
    await expect(byId(page, 'filter-status')).toHaveValue('failed');
  });

  test('run detail: node timeline, cached nodes', async ({ page, replay }, testInfo) => {
    const server = await playThree(page, replay);
    await openHistory(page, server, '', 3);

    await rowOf(page, RUN.b_cached).getByRole('link').click();
    await expect(page).toHaveURL(new RegExp(`/history/${RUN.b_cached}$`));
    const detail = byId(page, 'run-detail');
    await expect(detail).toHaveAttribute('data-run-id', RUN.b_cached);
    const bars = byId(page, 'node-timeline').getByTestId('node-bar');
    await expect(bars).toHaveCount(3, { timeout: LONG });
    expect(await bars.evaluateAll((b) => b.map((e) => e.getAttribute('data-node-id')).sort())).toEqual(['1', '2', '3']);
    expect(await bars.evaluateAll((b) => b.map((e) => e.getAttribute('data-cached')))).toEqual(['true', 'true', 'true']);
    await expect(badge(page, 'status')).toHaveAttribute('data-value', 'succeeded');
    await shot(page, 'history-detail-cached.png', testInfo);

    // The streamed a_success run: same three nodes, none cached.
    await page.goto(new URL(`/history/${RUN.a_success}`, server.url).href);
    await expect(byId(page, 'run-detail')).toHaveAttribute('data-run-id', RUN.a_success);
    await expect(bars).toHaveCount(3, { timeout: LONG });
    expect(await bars.evaluateAll((b) => b.map((e) => e.getAttribute('data-node-id')).sort())).toEqual(['1', '2', '3']);
    expect(await bars.evaluateAll((b) => b.map((e) => e.getAttribute('data-cached')))).toEqual(['false', 'false', 'false']);
    await expect(byId(page, 'artifact-viewer')).toHaveAttribute('data-count', '1');
    await shot(page, 'history-detail.png', testInfo);
  });

  test('compare two selected runs', async ({ page, replay }, testInfo) => {
    const server = await playThree(page, replay);
    await openHistory(page, server, '', 3);

    await rowOf(page, RUN.a_success).getByRole('checkbox').check();
    await rowOf(page, RUN.b_cached).getByRole('checkbox').check();
    const button = byId(page, 'compare-selected');
    await expect(button).toBeEnabled();
    await button.click();
    await expect(page).toHaveURL(/\/compare\?runs=/);
    const url = new URL(page.url());
    expect(url.searchParams.get('runs')!.split(',').sort()).toEqual([RUN.a_success, RUN.b_cached].sort());

    const view = byId(page, 'compare-view');
    await expect.poll(async () => (await view.getAttribute('data-runs'))?.split(',').sort(), { timeout: LONG })
      .toEqual([RUN.a_success, RUN.b_cached].sort());
    const cached = view.locator('[data-field="nodes_cached"]');
    await expect(cached).toHaveAttribute('data-differs', 'true', { timeout: LONG });
    await expect(view.locator('[data-field="status"]')).toHaveAttribute('data-differs', 'false');
    await shot(page, 'history-compare.png', testInfo);
  });

  test('export CSV', async ({ page, replay }, testInfo) => {
    const server = await playThree(page, replay);
    await openHistory(page, server, '', 3);
    const csv = await download(page, byId(page, 'export-csv'));
    expect(csv.name).toMatch(/\.csv$/);
    expect([...csv.raw.subarray(0, 3)], 'starts with a UTF-8 BOM').toEqual([0xef, 0xbb, 0xbf]);
    const lines = csv.text.replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.trim());
    const header = lines[0].split(',');
    expect(header).toEqual(expect.arrayContaining(['run_id', 'status']));
    expect(lines).toHaveLength(4);
    const [idCol, statusCol] = [header.indexOf('run_id'), header.indexOf('status')];
    // Simple split is enough for these two leading id/status columns when they come before any
    // quoted free text; check that assumption rather than rely on it.
    const byRun = Object.fromEntries(lines.slice(1).map((l) => {
      const cells = l.split(',');
      return [cells[idCol], cells[statusCol]];
    }));
    expect(byRun).toEqual({ [RUN.a_success]: 'succeeded', [RUN.b_cached]: 'succeeded', [RUN.c_error]: 'failed' });
    await testInfo.attach('export.csv', { body: csv.raw, contentType: 'text/csv' });
    await shot(page, 'history-export-csv.png', testInfo);
  });

  test('export JSON, clear all, import it back (twice: no duplicates)', async ({ page, replay }, testInfo) => {
    const server = await playThree(page, replay);
    await openHistory(page, server, '', 3);
    const dialogs = acceptDialogs(page);

    const json = await download(page, byId(page, 'export-json'));
    expect(json.name).toMatch(/\.json$/);
    expect(() => JSON.parse(json.text.replace(/^\uFEFF/, ''))).not.toThrow();
    for (const id of [RUN.a_success, RUN.b_cached, RUN.c_error]) expect(json.text).toContain(id);

    await byId(page, 'clear-all').click();
    await expect(byId(page, 'history-count')).toHaveAttribute('data-count', '0', { timeout: LONG });
    await expect(byId(page, 'history-row')).toHaveCount(0);
    expect(dialogs.some((d) => d.startsWith('confirm:')), 'clear-all asked first').toBe(true);

    await byId(page, 'import-file').setInputFiles(json.file);
    await expect(byId(page, 'history-count')).toHaveAttribute('data-count', '3', { timeout: LONG });
    await expect(byId(page, 'history-row')).toHaveCount(3);
    // Cleared runs leave tombstones (they are not added back from ComfyUI's history), but an
    // import brings them back on purpose, as new runs.
    await expect(byId(page, 'action-message')).toContainText(/3 new, 0 updated/, { timeout: LONG });

    await byId(page, 'import-file').setInputFiles(json.file);
    await expect(byId(page, 'action-message')).toContainText(/0 new, 3 updated/, { timeout: LONG });
    await expect(byId(page, 'history-count')).toHaveAttribute('data-count', '3');
    await expect(byId(page, 'history-row')).toHaveCount(3);
    const rows = await historyRows(page);
    expect(Object.fromEntries(rows.map((r) => [r.id, r.status]))).toEqual({
      [RUN.a_success]: 'succeeded',
      [RUN.b_cached]: 'succeeded',
      [RUN.c_error]: 'failed',
    });
    await shot(page, 'history-imported.png', testInfo);
  });

  test('import gemDirect1 artifact metadata', async ({ page, replay }, testInfo) => {
    // g_validation_error queues nothing, so the imported run is the only one stored.
    const server = await replay({ scenario: 'g_validation_error', speed: 1 });
    await openHistory(page, server);
    await byId(page, 'import-file').setInputFiles(gemDirectFixture());
    await expect(byId(page, 'action-message')).toContainText(/gemDirect1/i, { timeout: LONG });
    const row = page.locator('[data-testid="history-row"][data-run-id*="scene-001"]');
    await expect(row).toHaveCount(1, { timeout: LONG });
    const id = (await row.getAttribute('data-run-id'))!;
    testInfo.annotations.push({ type: 'gemDirect run id', description: id });
    expect(id).toBe('test/scene-001');
    await expect(row).toHaveAttribute('data-status', 'succeeded');
    await shot(page, 'history-gemdirect-list.png', testInfo);

    await row.getByRole('link').click();
    const detail = byId(page, 'run-detail');
    await expect(detail).toHaveAttribute('data-run-id', id, { timeout: LONG });
    await expect(badge(page, 'gpu_name')).toHaveAttribute('data-value', 'NVIDIA GeForce RTX 3090', { timeout: LONG });
    await expect(badge(page, 'vram_delta_mb')).toHaveAttribute('data-value', '-576');
    await shot(page, 'history-gemdirect-detail.png', testInfo);
  });
});
