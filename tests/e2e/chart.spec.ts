// The run chart (run-chart): drawn live from the current run's series while it plays, stored with
// the run, and drawn again from the store on the run's detail page. Screenshots of both go to
// tests/e2e/screenshots/ (live-chart-mid-run.png, detail-chart.png).
import { test, expect, byId } from './replay';
import { RUN, LONG, waitForRunEnd, shot } from './helpers';

test('the live page charts the current run and its detail page charts it again from the store', async ({ page, replay }, testInfo) => {
  test.setTimeout(120_000);
  const server = await replay({ scenario: 'd_interrupted', speed: 0.5 });
  await page.goto(server.url);
  const chart = byId(page, 'run-chart');
  await expect(byId(page, 'current-run')).toHaveAttribute('data-status', 'running', { timeout: LONG });
  await expect(chart).toHaveAttribute('data-run-id', RUN.d_interrupted, { timeout: LONG });
  await expect.poll(async () => Number(await chart.getAttribute('data-points')), { timeout: LONG }).toBeGreaterThanOrEqual(4);
  await expect(chart.locator('svg path.progress-line')).toHaveAttribute('d', /^M.+L/);
  await chart.scrollIntoViewIfNeeded();
  await shot(page, 'live-chart-mid-run.png', testInfo);

  await expect(byId(page, 'run-announcement')).toHaveText(/started/, { timeout: LONG });
  await waitForRunEnd(page, 'interrupted');
  // The polite live region says how it ended.
  await expect(byId(page, 'run-announcement')).toHaveAttribute('data-kind', 'interrupted', { timeout: LONG });
  await expect(byId(page, 'run-announcement')).toHaveAttribute('aria-live', 'polite');
  const live = {
    points: Number(await chart.getAttribute('data-points')),
    peak: await chart.getAttribute('data-peak-mb'),
    memory: await chart.getAttribute('data-memory'),
  };
  expect(live.points).toBeGreaterThanOrEqual(4);
  testInfo.annotations.push({ type: 'live chart', description: JSON.stringify(live) });

  // A fresh page load: the series comes from IndexedDB, not from memory.
  await page.goto(new URL(`/history/${RUN.d_interrupted}`, server.url).href);
  const stored = byId(page, 'run-chart');
  await expect(stored).toHaveAttribute('data-run-id', RUN.d_interrupted, { timeout: LONG });
  await expect.poll(async () => Number(await stored.getAttribute('data-points')), { timeout: LONG }).toBeGreaterThanOrEqual(4);
  expect(await stored.getAttribute('data-memory')).toBe(live.memory);
  expect(await stored.getAttribute('data-peak-mb')).toBe(live.peak);
  await expect(stored.locator('svg path.progress-line')).toHaveAttribute('d', /^M.+L/);
  await shot(page, 'detail-chart.png', testInfo);
});

test('trends show above the history list by default, and collapsing them is remembered', async ({ page, replay }) => {
  const server = await replay({ scenario: 'a_success', speed: 2 });
  await page.goto(server.url);
  await waitForRunEnd(page, 'succeeded');
  await page.goto(new URL('/history', server.url).href);
  const toggle = byId(page, 'trends-toggle');
  await expect(toggle).toHaveAttribute('aria-expanded', 'true', { timeout: LONG });
  await expect(byId(page, 'trends').locator('svg').first()).toBeVisible({ timeout: LONG });
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await page.reload();
  await expect(byId(page, 'trends-toggle')).toHaveAttribute('aria-expanded', 'false', { timeout: LONG });
});
