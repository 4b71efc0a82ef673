// The /telemetry extension (issue "make /telemetry real"): the replay server speaks the
// extension's protocol (`--extension`: hello, catch-up, telemetry.queued, telemetry.gpu) and the
// dashboard, which never queues anything itself, streams a run queued by another client live.
import { test, expect, byId, recordAttributes, seenAttributes, screenshot } from './replay';

const RUN_A = 'f265f327-46cd-4648-b93f-013611d81e1b';

test('a run queued by another client streams live on the full stream', async ({ page, replay }, testInfo) => {
  const server = await replay({ scenario: 'a_success', speed: 1, extraArgs: ['--extension'] });
  await recordAttributes(page, 'current-run', ['data-run-id', 'data-status']);
  await page.goto(server.url);

  const conn = byId(page, 'connection-status');
  await expect(conn).toHaveAttribute('data-state', 'open');
  await expect(conn).toHaveAttribute('data-endpoint', 'telemetry');
  await expect(conn, 'the hello switches the page to the full stream').toHaveAttribute('data-full-stream', 'true');
  await expect(conn).toContainText('full stream');

  const run = byId(page, 'current-run');
  await expect(run).toHaveAttribute('data-run-id', RUN_A);
  await expect(run).toHaveAttribute('data-status', 'succeeded', { timeout: 20_000 });
  expect(await seenAttributes(page, 'current-run')).toContainEqual({ 'data-run-id': RUN_A, 'data-status': 'running' });

  // telemetry.queued names the workflow and its node count before any node runs.
  await expect(byId(page, 'run-progress')).toHaveAttribute('data-nodes-total', '3');
  await expect(byId(page, 'run-progress')).toHaveAttribute('data-nodes-done', '3');
  // Streamed, not followed: no polling warnings.
  const codes = await page.locator('[data-testid="fallback-warning"]').evaluateAll((ws) => ws.map((w) => w.getAttribute('data-code')));
  expect(codes).not.toContain('events-not-streamed');
  expect(codes).not.toContain('telemetry-endpoint-missing');
  // telemetry.gpu samples reach the GPU card.
  await expect(byId(page, 'gpu-status')).toHaveAttribute('data-vram-total-mb', /^\d+$/);
  await screenshot(page, 'extension-full-stream.png', testInfo);
});

test('a page that connects mid-run catches up from the extension', async ({ page, replay }, testInfo) => {
  const server = await replay({ scenario: 'd_interrupted', speed: 0.25, autostart: true, extraArgs: ['--extension'] });
  // Let the run get going before the dashboard connects.
  await expect.poll(async () => Number((await server.state()).elapsed_ms ?? 0), { timeout: 20_000 }).toBeGreaterThan(3000);
  await page.goto(server.url);
  const run = byId(page, 'current-run');
  await expect(run).toHaveAttribute('data-status', 'running', { timeout: 20_000 });
  await expect(run).toHaveAttribute('data-run-id', /.+/);
  // The hello's queue and the catch-up replay give the node count and the nodes already done.
  await expect(byId(page, 'run-progress')).toHaveAttribute('data-nodes-total', '3');
  await expect(byId(page, 'run-progress')).toHaveAttribute('data-nodes-done', /^[1-9]/);
  await screenshot(page, 'extension-catch-up.png', testInfo);
  await expect(run).toHaveAttribute('data-status', 'interrupted', { timeout: 30_000 });
});
