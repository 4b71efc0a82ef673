// Newer ComfyUI servers answer /api/jobs (pending, running, finished and cancelled prompts in one
// read). The replay server answers it with `--jobs` as comfy_execution/jobs.py does; the page
// detects it by asking and then reconciles and backfills through it. Without `--jobs` the route
// is a 404, as on 0.3.64, and every other spec covers that path.
import { test, expect, byId, screenshot } from './replay';
import { RUN, LONG } from './helpers';

const CANCELLED = '5a1c0c2e-0000-4000-8000-00000000c0de';

test('with /api/jobs: runs reconciled through it, a cancelled job shows as cancelled, an interrupted one as interrupted', async ({ page, replay }, testInfo) => {
  const server = await replay({
    scenario: ['a_success', 'c_error', 'd_interrupted'],
    speed: 4,
    noTelemetry: true,
    extraArgs: ['--jobs', '--cancelled-job', CANCELLED],
  });
  const reads: string[] = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/api/')) reads.push(u.pathname);
  });
  await page.goto(server.url);
  await expect(byId(page, 'connection-status')).toHaveAttribute('data-endpoint', 'ws', { timeout: LONG });
  await page.getByRole('link', { name: 'History', exact: true }).click();
  const row = (id: string) => page.locator(`[data-testid="history-row"][data-run-id="${id}"]`);
  await expect(row(CANCELLED)).toHaveAttribute('data-status', 'cancelled', { timeout: LONG });
  await expect(row(RUN.a_success)).toHaveAttribute('data-status', 'succeeded', { timeout: LONG });
  await expect(row(RUN.c_error)).toHaveAttribute('data-status', 'failed', { timeout: LONG });
  await expect(row(RUN.d_interrupted)).toHaveAttribute('data-status', 'interrupted', { timeout: LONG });
  expect(reads).toContain('/api/jobs');
  // Once the page knows the server has jobs, the queue is not polled beside it. The first jobs
  // read is the probe: reads asked for while its answer is on the way (or finished but not yet
  // read by the page) may still be queue reads. A second jobs read is only asked for by a page
  // that has read that answer, so no queue read may follow it.
  const second = reads.indexOf('/api/jobs', reads.indexOf('/api/jobs') + 1);
  expect(second, `reads: ${reads.join(' ')}`).toBeGreaterThan(0);
  const afterJobs = reads.slice(second + 1);
  expect(afterJobs.filter((p) => p === '/api/queue'), `reads after the first jobs read: ${afterJobs.join(' ')}`).toEqual([]);
  await screenshot(page, 'jobs-history.png', testInfo);
});
