// The live tab's components (TelemetryBadges, QueuePolicyCard, FallbackWarningsCard, ArtifactViewer,
// run error, live preview, GPU status, interrupt button) against each recorded scenario, found only
// through ui-contract test ids (/work/shared/ui-contract.md). Every test starts its own replay server
// (replay.ts) and gets a fresh browser context, so a fresh IndexedDB.
import { test, expect, byId, recordAttributes, seenAttributes } from './replay';
import { RUN, LONG, badge, knob, warning, waitForRunEnd, acceptDialogs, shot } from './helpers';

test.describe('live components', () => {
  test('a_success: badges, policy, clean warnings, output image, GPU', async ({ page, replay }, testInfo) => {
    const server = await replay({ scenario: 'a_success', speed: 1 });
    await page.goto(server.url);
    await waitForRunEnd(page, 'succeeded');

    const run = byId(page, 'current-run');
    await expect(run).toHaveAttribute('data-run-id', RUN.a_success);

    await expect(badge(page, 'status')).toHaveAttribute('data-value', 'succeeded');
    await expect(badge(page, 'nodes_done')).toHaveAttribute('data-value', '3', { timeout: LONG });
    const duration = Number(await badge(page, 'duration_s').getAttribute('data-value'));
    expect(duration, 'duration_s is the recorded ~2.3 s run').toBeGreaterThanOrEqual(1.5);
    expect(duration).toBeLessThanOrEqual(2.5);
    // The queue wait was never measured (no "queued" moment in the stream): unknown, not 0.
    await expect(badge(page, 'queue_wait_s')).toHaveAttribute('data-value', '');
    await expect(badge(page, 'queue_wait_s')).toContainText(/unknown/i);

    const warnings = byId(page, 'fallback-warnings-card');
    await expect(warnings).toHaveAttribute('data-count', '0');
    await expect(warnings).toContainText('Clean run');

    const policy = byId(page, 'queue-policy-card');
    await expect(policy.getByTestId('queue-policy-knob')).toHaveCount(5);
    await expect(knob(page, 'max_attempts')).toHaveAttribute('data-value', 'unbounded');
    await expect(knob(page, 'max_wait_s')).toHaveAttribute('data-value', '600');

    const viewer = byId(page, 'artifact-viewer');
    await expect(viewer).toHaveAttribute('data-count', '1');
    const artifact = viewer.locator('[data-testid="artifact"][data-kind="image"][data-filename="probe_40fe31_00001_.png"]');
    await expect(artifact).toHaveCount(1);
    const img = artifact.locator('img');
    await img.scrollIntoViewIfNeeded(); // loading="lazy"
    await expect.poll(() => img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth), {
      message: 'the output image loaded', timeout: LONG,
    }).toBeGreaterThan(0);
    await expect(artifact).toHaveAttribute('data-missing', 'false');
    const src = await img.evaluate((i: HTMLImageElement) => i.src);
    expect(src).toContain('/api/view?');
    const res = await page.request.get(src);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toContain('image/png');

    await expect(byId(page, 'gpu-status')).toHaveAttribute('data-vram-total-mb', /^\d+$/, { timeout: LONG });
    await shot(page, 'live-components-success.png', testInfo);
  });

  test('b_cached: every node reported cached', async ({ page, replay }, testInfo) => {
    const server = await replay({ scenario: 'b_cached', speed: 1 });
    await page.goto(server.url);
    await waitForRunEnd(page, 'succeeded');
    await expect(byId(page, 'current-run')).toHaveAttribute('data-run-id', RUN.b_cached);
    await expect(badge(page, 'nodes_cached')).toHaveAttribute('data-value', '3');
    await shot(page, 'live-components-cached.png', testInfo);
  });

  test('c_error: failed run shows node, type, message and a collapsed traceback', async ({ page, replay }, testInfo) => {
    const server = await replay({ scenario: 'c_error', speed: 1 });
    await page.goto(server.url);
    await waitForRunEnd(page, 'failed');
    await expect(badge(page, 'status')).toHaveAttribute('data-value', 'failed');

    const error = byId(page, 'run-error');
    await expect(error).toHaveAttribute('data-node-id', '3');
    await expect(error).toHaveAttribute('data-node-type', 'FailAfter');
    await expect(error).toContainText('probe failure: boom');
    await expect(error).toContainText('RuntimeError');

    const details = error.locator('details');
    await expect(details).toHaveCount(1);
    await expect(details).not.toHaveAttribute('open', /.*/);
    await expect(details.locator('pre')).toBeHidden();
    // ComfyUI's traceback lines (frames only, install dir replaced by <comfyui>), ending in the raise.
    await expect(details.locator('pre')).toContainText('execution.py', { useInnerText: false });
    await expect(details.locator('pre')).toContainText('raise RuntimeError(message)', { useInnerText: false });
    await shot(page, 'live-components-error.png', testInfo);
    // Opening it shows the traceback.
    await details.locator('summary').click();
    await expect(details.locator('pre')).toBeVisible();
  });

  test('d_interrupted: interrupted run', async ({ page, replay }, testInfo) => {
    const server = await replay({ scenario: 'd_interrupted', speed: 2 });
    await page.goto(server.url);
    await waitForRunEnd(page, 'interrupted');
    await expect(byId(page, 'current-run')).toHaveAttribute('data-run-id', RUN.d_interrupted);
    await expect(badge(page, 'status')).toHaveAttribute('data-value', 'interrupted');
    await shot(page, 'live-components-interrupted.png', testInfo);
  });

  test('e_queue3: three runs shown in turn, all succeed', async ({ page, replay }, testInfo) => {
    const server = await replay({ scenario: 'e_queue3', speed: 1 });
    await recordAttributes(page, 'current-run', ['data-run-id', 'data-status']);
    await page.goto(server.url);
    await expect(byId(page, 'connection-status')).toHaveAttribute('data-state', 'open', { timeout: LONG });

    const last = RUN.e_queue3[2];
    await expect(byId(page, 'current-run')).toHaveAttribute('data-run-id', last, { timeout: LONG });
    await expect(byId(page, 'current-run')).toHaveAttribute('data-status', 'succeeded', { timeout: LONG });

    const seen = await seenAttributes(page, 'current-run');
    const ids = [...new Set(seen.map((s) => s['data-run-id']).filter((id) => id))];
    expect(ids, 'current-run showed the three prompts in queue order').toEqual([...RUN.e_queue3]);
    expect(seen, 'the last run ended succeeded').toContainEqual({ 'data-run-id': last, 'data-status': 'succeeded' });
    await shot(page, 'live-components-queue3.png', testInfo);
    // The first two were replaced by the next one as soon as they ended: their outcome is on the
    // history tab (client-side navigation keeps the in-memory state).
    await page.locator('a[href$="/history"]').first().click();
    for (const id of RUN.e_queue3) {
      await expect(page.locator(`[data-testid="history-row"][data-run-id="${id}"]`), `${id} succeeded`)
        .toHaveAttribute('data-status', 'succeeded', { timeout: LONG });
    }
  });

  // The 2nd and 3rd prompts are first seen pending in /api/queue, then stream fully: they end
  // streamed, not followed.
  test('e_queue3: queued runs that then stream end with exit reason "streamed"', async ({ page, replay }) => {
    const server = await replay({ scenario: 'e_queue3', speed: 1 });
    await page.goto(server.url);
    await expect(byId(page, 'current-run')).toHaveAttribute('data-run-id', RUN.e_queue3[2], { timeout: LONG });
    await waitForRunEnd(page, 'succeeded');
    await expect(badge(page, 'exit_reason')).toContainText('n/a (streamed)', { timeout: 5_000 });
    await page.locator('a[href$="/history"]').first().click();
    for (const id of RUN.e_queue3) {
      await expect(page.locator(`[data-testid="history-row"][data-run-id="${id}"]`), `${id} streamed`)
        .toHaveAttribute('data-exit-reason', 'streamed', { timeout: LONG });
    }
  });

  test('f_preview_metadata: live preview appears while running', async ({ page, replay }, testInfo) => {
    // At speed 1 the whole run lasts 0.3 s, about one 200 ms UI flush: play it 4x slower so the
    // previews (every 0.1 s recorded) land while the run is still shown as running.
    const server = await replay({ scenario: 'f_preview_metadata', speed: 0.25 });
    // Record the preview's src (and the run status at that moment) from page load on: the run is 0.3 s long.
    await page.addInitScript(() => {
      const w = window as unknown as { __previews: { src: string; status: string | null }[] };
      w.__previews = [];
      new MutationObserver(() => {
        const img = document.querySelector<HTMLImageElement>('[data-testid="live-preview"]');
        if (!img) return;
        const status = document.querySelector('[data-testid="current-run"]')?.getAttribute('data-status') ?? null;
        const last = w.__previews[w.__previews.length - 1];
        if (!last || last.src !== img.src || last.status !== status) w.__previews.push({ src: img.src, status });
      }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['src', 'data-status'] });
    });
    await page.goto(server.url);
    await waitForRunEnd(page, 'succeeded');

    const previews = await page.evaluate(
      () => (window as unknown as { __previews: { src: string; status: string | null }[] }).__previews,
    );
    expect(previews.length, 'a live preview was shown').toBeGreaterThan(0);
    expect(previews.every((p) => p.src.startsWith('blob:')), JSON.stringify(previews)).toBe(true);
    expect(previews.some((p) => p.status === 'running'), `preview shown while running: ${JSON.stringify(previews)}`).toBe(true);
    await shot(page, 'live-components-preview.png', testInfo);
  });

  test('--no-telemetry: run followed by polling, with its warnings and policy use', async ({ page, replay }, testInfo) => {
    const server = await replay({ scenario: 'a_success', speed: 1, noTelemetry: true });
    await page.goto(server.url);
    const conn = byId(page, 'connection-status');
    await expect(conn).toHaveAttribute('data-endpoint', 'ws', { timeout: LONG });
    await waitForRunEnd(page, 'succeeded');
    await expect(byId(page, 'current-run')).toHaveAttribute('data-run-id', RUN.a_success);

    for (const code of ['telemetry-endpoint-missing', 'events-not-streamed', 'reconstructed-from-history']) {
      await expect(warning(page, code), `warning ${code}`).toHaveCount(1, { timeout: LONG });
    }
    await expect(badge(page, 'exit_reason')).toHaveAttribute('data-value', 'success', { timeout: LONG });
    await expect.poll(async () => Number(await badge(page, 'history_attempts').getAttribute('data-value')), {
      message: 'history_attempts >= 1', timeout: LONG,
    }).toBeGreaterThanOrEqual(1);
    await expect.poll(async () => Number(await knob(page, 'max_attempts').getAttribute('data-used')), {
      message: 'max_attempts knob used >= 1', timeout: LONG,
    }).toBeGreaterThanOrEqual(1);
    await shot(page, 'live-components-polling.png', testInfo);
  });

  test('--no-system-stats: system-stats-unavailable warning', async ({ page, replay }, testInfo) => {
    const server = await replay({ scenario: 'a_success', speed: 1, noSystemStats: true });
    await page.goto(server.url);
    await waitForRunEnd(page, 'succeeded');
    const w = warning(page, 'system-stats-unavailable');
    await expect(w).toHaveCount(1, { timeout: LONG });
    await expect(w).toHaveAttribute('data-severity', /^(warning|error|info)$/);
    await shot(page, 'live-components-no-system-stats.png', testInfo);
  });

  test('interrupt button: confirm, then POST /api/interrupt with the prompt id', async ({ page, replay }, testInfo) => {
    // A quarter speed: the recorded run is interrupted 2.3 s after it starts, and on a loaded
    // machine the screenshot before the click outlasted it (the button was gone: a flaky test).
    const server = await replay({ scenario: 'd_interrupted', speed: 0.25 });
    const dialogs = acceptDialogs(page);
    await page.goto(server.url);
    await expect(byId(page, 'current-run')).toHaveAttribute('data-status', 'running', { timeout: LONG });
    const button = byId(page, 'interrupt-run');
    await expect(button).toBeVisible();
    await shot(page, 'live-components-interrupt-button.png', testInfo);

    const request = page.waitForRequest((r) => r.url().includes('/api/interrupt') && r.method() === 'POST', { timeout: LONG });
    await button.click();
    const req = await request;
    expect(dialogs.some((d) => d.startsWith('confirm:')), `a confirm dialog was shown: ${dialogs}`).toBe(true);
    expect(req.postDataJSON()).toMatchObject({ prompt_id: RUN.d_interrupted });
    // The replay server received it.
    await expect.poll(() => server.log.join('\n'), { timeout: LONG }).toContain('POST /interrupt received');
    await waitForRunEnd(page, 'interrupted');
  });

  test('?demo plays the bundled recording', async ({ page, replay }, testInfo) => {
    const server = await replay({ scenario: 'a_success', speed: 1 });
    await page.goto(new URL('/?demo', server.url).href);
    await expect(byId(page, 'connection-status')).toHaveAttribute('data-endpoint', 'demo', { timeout: LONG });
    await expect(byId(page, 'current-run')).toHaveAttribute('data-run-id', /.+/, { timeout: LONG });
    await expect(byId(page, 'current-run')).toHaveAttribute('data-status', /^(queued|running|succeeded|failed|interrupted)$/);
    await shot(page, 'live-components-demo.png', testInfo);
  });

  test('mobile 390x844: no horizontal scrolling', async ({ page, replay }, testInfo) => {
    await page.setViewportSize({ width: 390, height: 844 });
    const server = await replay({ scenario: 'a_success', speed: 1 });
    await page.goto(server.url);
    await waitForRunEnd(page, 'succeeded');
    await expect(byId(page, 'artifact-viewer')).toHaveAttribute('data-count', '1');
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({
      scrollWidth: document.scrollingElement!.scrollWidth,
      innerWidth: window.innerWidth,
    }));
    expect(scrollWidth, `page is ${scrollWidth}px wide in a ${innerWidth}px viewport`).toBeLessThanOrEqual(innerWidth + 1);
    await shot(page, 'live-components-mobile.png', testInfo);
  });
});
