// ComfyUI's own execution tests, in spirit (tests/comfyui/execution_batch.py: caching, errors,
// validation refusals, expansion, concurrent async nodes, loops, partial execution, blockers, an
// interrupt), queued back to back twice by another client while the dashboard is open, with the
// extension (LRU cache, so the second pass is cached) and stock (classic cache, reconciliation only).
// Every accepted prompt must be in the page's history with ComfyUI's status and node counts between
// what ComfyUI executed and what the prompt holds (tests/e2e/batch.ts).
import { test, expect, byId, dashboard, type Comfy, type ComfyOptions } from './comfy';
import { mismatches, shownRows, table } from './batch';
import { screenshot } from './replay';
import type { Page, TestInfo } from '@playwright/test';
import { writeFileSync } from 'node:fs';

const LONG = 60_000;
const PASSES = 2;

async function batchMatches(page: Page, server: Comfy, endpoint: string, testInfo: TestInfo, shot: string): Promise<void> {
  await page.goto(dashboard(server));
  const conn = byId(page, 'connection-status');
  await expect(conn).toHaveAttribute('data-state', 'open', { timeout: LONG });
  await expect(conn).toHaveAttribute('data-endpoint', endpoint, { timeout: LONG });

  const batch = await server.batch(PASSES);
  const accepted = batch.filter((r) => r.prompt_id);
  expect(batch.length - accepted.length, 'prompts refused with 400 (validation)').toBe(5 * PASSES);
  expect(batch.filter((r) => !r.prompt_id).every((r) => r.http === 400)).toBe(true);
  writeFileSync(testInfo.outputPath('batch.json'), JSON.stringify(batch, null, 1));

  // The page that was open while they ran, reached by its own navigation (never reloaded): what it
  // shows comes from its stream and reconciliation. Then after a reload (the backfill, merged).
  for (const live of [true, false]) {
    if (live) await page.getByRole('link', { name: 'History', exact: true }).click();
    else await page.reload();
    await expect(page).toHaveURL(/\/history$/);
    let last = new Map();
    await expect
      .poll(
        async () => {
          last = await shownRows(page);
          return mismatches(batch, last);
        },
        { timeout: LONG, intervals: [1000, 2000] },
      )
      .toEqual([]);
    await expect(byId(page, 'history-count')).toHaveAttribute('data-count', String(accepted.length));
    // Kept beside the screenshots: what ComfyUI did and what the page showed, a line per prompt.
    writeFileSync(testInfo.outputPath(`page-${live ? 'live' : 'reloaded'}.txt`), table(batch, last));
  }
  await screenshot(page, shot, testInfo);
}

const SETUPS: [string, ComfyOptions, string][] = [
  ['with the extension', { extension: true, comfyArgs: ['--cache-lru', '100'] }, 'telemetry'],
  ['stock ComfyUI (no extension), same origin through the development proxy', { extension: false, proxy: true }, 'ws'],
];

for (const [name, opts, endpoint] of SETUPS) {
  test(`${name}: the execution batch of another client, every accepted prompt as ComfyUI ran it`, async ({ page, comfy }, testInfo) => {
    test.setTimeout(360_000);
    const server = await comfy(opts);
    await batchMatches(page, server, endpoint, testInfo, `real-batch-${opts.extension ? 'extension' : 'stock'}.png`);
  });
}
