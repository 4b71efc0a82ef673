// The server's run log on the history tab (issue 23), against the replay server's `--runlog FILE`
// (replay/src/runlog.rs), which serves the extension's `/telemetry/runs` from a file written by
// the extension's own record code (core/tests/fixtures/runlog/page.json: p-a and p-b differ only
// in steps and seed; p-c was lost when ComfyUI died). Each test has a fresh browser profile.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect, byId, REPO, type Replay } from './replay';
import { RUN, LONG, acceptDialogs, waitForRunEnd, shot } from './helpers';

const FIXTURE = path.join(REPO, 'core/tests/fixtures/runlog/page.json');

/** The fixture's runs, plus the one a_success plays live (so one row is in both places). */
function runlogFile(out: string): string {
  const page = JSON.parse(readFileSync(FIXTURE, 'utf8'));
  const live = JSON.parse(JSON.stringify(page.runs[0]));
  live.prompt_id = RUN.a_success;
  live.run.prompt_id = RUN.a_success;
  live.series = null;
  live.start_ms = page.runs[0].start_ms - 1;
  page.runs.push(live);
  writeFileSync(out, JSON.stringify(page));
  return out;
}

const rowOf = (page: Page, id: string) => page.locator(`[data-testid="history-row"][data-run-id="${id}"]`);

async function openHistory(page: Page, server: Replay): Promise<void> {
  await page.goto(new URL('/history', server.url).href);
  await expect(byId(page, 'history-list')).toBeVisible({ timeout: LONG });
}

async function serverIds(server: Replay): Promise<string[]> {
  const res = await fetch(new URL('/api/telemetry/runs', server.url));
  const body = (await res.json()) as { runs: { prompt_id: string }[] };
  return body.runs.map((r) => r.prompt_id);
}

test('a fresh profile lists the server log merged with what it saw live, each row saying where it came from', async ({ page, replay }, testInfo) => {
  const file = runlogFile(testInfo.outputPath('runlog.json'));
  const server = await replay({ scenario: 'a_success', speed: 2, extraArgs: ['--extension', '--runlog', file] });
  await page.goto(server.url);
  await waitForRunEnd(page, 'succeeded');

  await openHistory(page, server);
  await expect(byId(page, 'history-source')).toHaveAttribute('data-server-log', 'yes', { timeout: LONG });
  await expect(byId(page, 'history-count')).toHaveAttribute('data-count', '4', { timeout: LONG });
  await expect(rowOf(page, 'p-a')).toHaveAttribute('data-source', 'server');
  await expect(rowOf(page, 'p-b')).toHaveAttribute('data-source', 'server');
  await expect(rowOf(page, 'p-c'), 'open when ComfyUI died: lost, never running').toHaveAttribute('data-status', 'lost');
  const both = rowOf(page, RUN.a_success);
  await expect(both).toHaveAttribute('data-source', 'both');
  await expect(both, 'the live record kept its status').toHaveAttribute('data-status', 'succeeded');
  await shot(page, 'runlog-history.png', testInfo);

  // The server forgets p-c: this browser keeps it, now as its own.
  await fetch(new URL('/api/telemetry/runs/p-c', server.url), { method: 'DELETE' });
  await page.reload();
  await expect(byId(page, 'history-source')).toHaveAttribute('data-server-log', 'yes', { timeout: LONG });
  await expect(rowOf(page, 'p-c')).toHaveAttribute('data-source', 'browser', { timeout: LONG });
  await expect(rowOf(page, 'p-a')).toHaveAttribute('data-source', 'server');
});

test('the run page lists the parameters and Compare exactly the ones that differ', async ({ page, replay }, testInfo) => {
  const server = await replay({ scenario: 'a_success', speed: 2, extraArgs: ['--extension', '--runlog', FIXTURE] });
  const params = byId(page, 'run-params');
  const param = (name: string) => params.locator(`[data-testid="run-param"][data-param="${name}"]`);
  // A link to a run this profile never saw: read from the server's log.
  await page.goto(new URL('/history/p-b', server.url).href);
  await expect(param('steps')).toHaveAttribute('data-value', '30', { timeout: LONG });
  await expect(byId(page, 'run-detail')).toContainText('p-b');

  await openHistory(page, server);
  await expect(rowOf(page, 'p-a')).toBeVisible({ timeout: LONG });

  await page.goto(new URL('/history/p-a', server.url).href);
  await expect(param('steps')).toHaveAttribute('data-value', '20', { timeout: LONG });
  await expect(param('seed')).toHaveAttribute('data-value', '1234');
  await expect(param('checkpoint')).toHaveAttribute('data-value', 'sd15.safetensors');
  await expect(param('sampler')).toHaveAttribute('data-value', 'euler');
  await expect(param('comfyui_version')).toHaveAttribute('data-value', '0.3.64');
  await expect(params).toContainText('sd15.safetensors');

  await page.goto(new URL('/compare?runs=p-a,p-b', server.url).href);
  const rows = byId(page, 'compare-diff').locator('[data-testid="compare-diff-row"]');
  await expect(rows).toHaveCount(2, { timeout: LONG });
  expect(await rows.evaluateAll((rs) => rs.map((r) => [r.getAttribute('data-param'), r.getAttribute('data-value-1'), r.getAttribute('data-value-2')])))
    .toEqual([['steps', '20', '30'], ['seed', '1234', '99']]);
  await shot(page, 'runlog-compare.png', testInfo);

  await page.goto(new URL('/compare?runs=p-a,p-c', server.url).href);
  await expect(byId(page, 'compare-view')).toBeVisible({ timeout: LONG });
  await expect(byId(page, 'compare-diff')).toHaveAttribute('data-count', '0', { timeout: LONG });
});

test('deleting runs deletes them from the server log too, after a confirmation that says so', async ({ page, replay }) => {
  const server = await replay({ scenario: 'a_success', speed: 2, extraArgs: ['--extension', '--runlog', FIXTURE] });
  const dialogs = acceptDialogs(page);
  await openHistory(page, server);
  await expect(rowOf(page, 'p-b')).toBeVisible({ timeout: LONG });
  await expect(byId(page, 'history-source')).toHaveAttribute('data-server-log', 'yes');

  await rowOf(page, 'p-b').locator('input[type="checkbox"]').check();
  await byId(page, 'delete-selected').click();
  await expect(byId(page, 'action-message')).toContainText('Deleted 1 run(s) here and on the server', { timeout: LONG });
  expect(dialogs.join('\n')).toMatch(/server's run log/);
  await expect(rowOf(page, 'p-b')).toHaveCount(0);
  expect(await serverIds(server)).not.toContain('p-b');
  await page.reload();
  await expect(rowOf(page, 'p-a')).toBeVisible({ timeout: LONG });
  await expect(rowOf(page, 'p-b'), 'it does not come back').toHaveCount(0);
});

test('without a run log the history is the browser\'s alone and deleting stays local', async ({ page, replay }) => {
  const server = await replay({ scenario: 'a_success', speed: 2, extraArgs: ['--extension'] });
  const dialogs = acceptDialogs(page);
  await page.goto(server.url);
  await waitForRunEnd(page, 'succeeded');
  await openHistory(page, server);
  await expect(byId(page, 'history-source')).toHaveAttribute('data-server-log', 'no', { timeout: LONG });
  const row = rowOf(page, RUN.a_success);
  await expect(row).toHaveAttribute('data-source', 'browser');
  await row.locator('input[type="checkbox"]').check();
  await byId(page, 'delete-selected').click();
  await expect(row).toHaveCount(0, { timeout: LONG });
  expect(dialogs.join('\n')).not.toMatch(/server/);

  // ComfyUI's /api/history still lists the run; the next load's backfill must not add it back.
  const backfill = page.waitForResponse((r) => r.url().includes('/api/history?max_items='), { timeout: LONG });
  await page.goto(server.url);
  await backfill;
  await waitForRunEnd(page, 'succeeded');
  await openHistory(page, server);
  await expect(byId(page, 'history-count')).toHaveAttribute('data-count', '0', { timeout: LONG });
  await expect(rowOf(page, RUN.a_success), 'it does not come back').toHaveCount(0);
});
