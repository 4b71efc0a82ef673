// What newer ComfyUI reports, shown: a loop body's iterations, a running node's `activity` and
// every GPU of a two-GPU server, from a recording derived from ComfyUI's source (newer.ts).
import { test, expect, byId, recordAttributes, seenAttributes, screenshot } from './replay';
import { LONG } from './helpers';
import { readFileSync } from 'node:fs';
import { GPUS, ITERATIONS, LOOP_PROMPT, SECRET, writeNewerFixtures } from './newer';

test('a loop shows its iterations, a running node its activity, and both GPUs are listed', async ({ page, replay }, testInfo) => {
  const server = await replay({ scenario: 'l_loop_activity', fixtures: writeNewerFixtures(), speed: 1 });
  await recordAttributes(page, 'current-node', ['data-node-id', 'data-iteration', 'data-activity']);
  await page.goto(server.url);

  // Every device the server lists, the primary first, with its memory.
  const devices = byId(page, 'gpu-device');
  await expect(devices).toHaveCount(GPUS.length, { timeout: LONG });
  for (const [i, g] of GPUS.entries()) {
    await expect(devices.nth(i)).toHaveAttribute('data-name', g.name);
    await expect(devices.nth(i)).toHaveAttribute('data-vram-total-mb', String(Math.round(g.total / 1048576)));
    await expect(devices.nth(i)).toContainText(g.name);
  }

  const run = byId(page, 'current-run');
  await expect(run).toHaveAttribute('data-run-id', LOOP_PROMPT, { timeout: LONG });
  // While the loop runs, the live page names the prompt's own body node (never a copy's id),
  // its iteration and what it says it is doing; the title carries the progress.
  await expect(byId(page, 'current-node').first()).toHaveAttribute('data-node-id', '2', { timeout: LONG });
  await expect.poll(() => page.title(), { timeout: LONG }).toMatch(/^\d+% · ComfyUI telemetry$/);
  await expect(run).toHaveAttribute('data-status', 'succeeded', { timeout: LONG });
  await expect.poll(() => page.title(), { timeout: LONG }).toBe('ComfyUI telemetry');

  const seen = await seenAttributes(page, 'current-node');
  const body = seen.filter((s) => s['data-node-id'] === '2');
  const iterations = new Set(body.map((s) => s['data-iteration']));
  expect([...iterations].sort(), JSON.stringify(seen)).toEqual(['1', '2', '3', '4'].slice(0, ITERATIONS));
  expect(body.some((s) => s['data-activity'] === 'Sampling'), JSON.stringify(seen)).toBe(true);
  expect(seen.some((s) => (s['data-node-id'] ?? '').includes('.')), 'a copy id was shown').toBe(false);

  // The run's timeline: one bar for the body, marked with how often it ran.
  await page.goto(new URL(`/history/${LOOP_PROMPT}`, server.url).href);
  const bar = (id: string) => page.locator(`[data-testid="node-bar"][data-node-id="${id}"]`);
  await expect(bar('2')).toHaveAttribute('data-iterations', String(ITERATIONS), { timeout: LONG });
  await expect(bar('1')).toHaveAttribute('data-iterations', '1');
  await expect(page.locator('[data-testid="node-timeline"]')).toContainText(`×${ITERATIONS}`);
  await expect(page.locator('[data-testid="node-bar"][data-node-id*="."]')).toHaveCount(0);
  await screenshot(page, 'newer-loop-run.png', testInfo);

  // Take the run away: its prompt as ComfyUI API JSON, read from the server, the key removed.
  const [download] = await Promise.all([page.waitForEvent('download'), byId(page, 'run-download').click()]);
  expect(download.suggestedFilename()).toBe(`prompt-${LOOP_PROMPT.slice(0, 8)}.json`);
  const text = readFileSync(await download.path(), 'utf8');
  const prompt = JSON.parse(text) as Record<string, { class_type: string; inputs: Record<string, unknown> }>;
  expect(Object.keys(prompt).sort()).toEqual(['1', '2', '3', '7', '8']);
  expect(prompt['2'].class_type).toBe('SlowProgress');
  expect(prompt['2'].inputs.steps).toBe(3);
  expect(text).not.toContain(SECRET);
});
