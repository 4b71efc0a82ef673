// Queue control on the live tab against the replay server: another client queues five prompts
// (`--hold-prompts` keeps them pending), the page lists all five in run order with a client label,
// cancelling the third removes exactly it from the server's queue and stores it as cancelled,
// clearing removes the rest. The drain estimate is unknown without an earlier run of the
// workflow and a number once the server has one. axe audits the list in both themes.
import { readFileSync } from 'node:fs';
import type { Page, TestInfo } from '@playwright/test';
import { test, expect, byId } from './replay';
import { RUN, LONG, acceptDialogs, historyRows, shot } from './helpers';

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const RAW_CLIENT = 'another-client-socket-id-0123456789';

/** A workflow the recordings never ran. */
const NEW_GRAPH = {
  '1': { class_type: 'EmptyImage', inputs: { width: 8, height: 8, batch_size: 1, color: 0 } },
  '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
  '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'held' } },
};

/** a_success's workflow (EmptyImage → SlowProgress → SaveImage). */
const A_SUCCESS_GRAPH = {
  '1': { class_type: 'EmptyImage', inputs: { width: 64, height: 64, batch_size: 1, color: 3381759 } },
  '2': { class_type: 'SlowProgress', inputs: { image: ['1', 0], steps: 10, step_seconds: 0.2, send_preview: false, seed: 2 } },
  '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'probe' } },
};

async function queuePrompt(base: string, prompt: object): Promise<string> {
  const res = await fetch(new URL('/api/prompt', base), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ prompt, client_id: RAW_CLIENT }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { prompt_id: string }).prompt_id;
}

async function serverPending(base: string): Promise<string[]> {
  const q = (await (await fetch(new URL('/api/queue', base))).json()) as { queue_pending: unknown[][] };
  return q.queue_pending.map((item) => String(item[1]));
}

const listed = (page: Page) =>
  byId(page, 'queue-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-run-id')));

async function seriousAxe(page: Page, label: string, testInfo: TestInfo): Promise<string[]> {
  await page.addScriptTag({ content: AXE });
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: Array<{ id: string; impact: string | null; nodes: Array<{ target: string[] }> }> }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  testInfo.annotations.push({ type: `axe ${label}`, description: found.join('; ') || 'no violations' });
  return found.filter((f) => f.startsWith('serious') || f.startsWith('critical'));
}

test('five pending prompts in order; cancel the third removes exactly it; clear removes the rest', async ({ page, replay }, testInfo) => {
  test.setTimeout(120_000);
  const server = await replay({ scenario: 'a_success', speed: 2, noTelemetry: true, extraArgs: ['--hold-prompts'] });
  const dialogs = acceptDialogs(page);
  await page.goto(server.url);
  await expect(byId(page, 'connection-status')).toHaveAttribute('data-state', 'open', { timeout: LONG });
  await expect(byId(page, 'current-run')).toHaveAttribute('data-status', 'succeeded', { timeout: LONG });

  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push(await queuePrompt(server.url, NEW_GRAPH));
  await expect(byId(page, 'queue-item')).toHaveCount(5, { timeout: LONG });
  expect(await listed(page)).toEqual(ids);
  await expect(byId(page, 'queue-status')).toHaveAttribute('data-pending', '5');
  const list = byId(page, 'pending-queue');
  await expect(list).toContainText('EmptyImage → ImageInvert → SaveImage');
  await expect(list).toContainText('c~');
  await expect(list).not.toContainText(RAW_CLIENT);
  // Nothing of this workflow ran on this server: unknown, never a made-up number.
  await expect(byId(page, 'queue-eta')).toHaveAttribute('data-seconds', '');
  await expect(byId(page, 'queue-eta')).toContainText('unknown');
  await shot(page, 'queue-pending-five.png', testInfo);

  // The keyboard reaches cancel: focus the third item's button and press Enter.
  const third = page.locator(`[data-testid="queue-item"][data-run-id="${ids[2]}"] [data-testid="cancel-queued"]`);
  await expect(third).toHaveAccessibleName(/Cancel prompt .*position 3/);
  await third.focus();
  await page.keyboard.press('Enter');
  await expect(byId(page, 'queue-item')).toHaveCount(4, { timeout: LONG });
  expect(await listed(page)).toEqual([ids[0], ids[1], ids[3], ids[4]]);
  expect(await serverPending(server.url)).toEqual([ids[0], ids[1], ids[3], ids[4]]);
  expect(dialogs.some((d) => d.startsWith('confirm:') && d.includes('position 3')), dialogs.join(' | ')).toBe(true);

  await byId(page, 'clear-queue').click();
  await expect(byId(page, 'queue-item')).toHaveCount(0, { timeout: LONG });
  expect(await serverPending(server.url)).toEqual([]);
  await expect(byId(page, 'clear-queue')).toHaveCount(0);
  await expect(byId(page, 'queue-control-error')).toHaveCount(0);

  // Stored: the cancelled prompts are in the history as cancelled, a_success as it ended.
  await page.getByRole('link', { name: 'History', exact: true }).click();
  await expect.poll(async () => (await historyRows(page)).filter((r) => r.status === 'cancelled').length, { timeout: LONG }).toBe(5);
  const rows = await historyRows(page);
  for (const id of ids) expect(rows.find((r) => r.id === id)?.status, id).toBe('cancelled');
  expect(rows.find((r) => r.id === RUN.a_success)?.status).toBe('succeeded');

  // a_success's workflow has run once here: its pending prompts now have an estimate.
  await page.getByRole('link', { name: 'Live', exact: true }).click();
  await queuePrompt(server.url, A_SUCCESS_GRAPH);
  await expect(byId(page, 'queue-item')).toHaveCount(1, { timeout: LONG });
  await expect(byId(page, 'queue-eta')).toHaveAttribute('data-seconds', /^[0-9]+$/);
  await expect(byId(page, 'queue-eta')).toContainText('from 1 earlier run of');
});

test('a refused cancel shows why and changes nothing', async ({ page, replay }) => {
  const server = await replay({ scenario: 'a_success', speed: 2, noTelemetry: true, extraArgs: ['--hold-prompts'] });
  acceptDialogs(page);
  await page.goto(server.url);
  await expect(byId(page, 'connection-status')).toHaveAttribute('data-state', 'open', { timeout: LONG });
  const id = await queuePrompt(server.url, NEW_GRAPH);
  await expect(byId(page, 'queue-item')).toHaveCount(1, { timeout: LONG });
  // What a stock ComfyUI on another origin without --enable-cors-header does: 403, empty body.
  await page.route('**/api/queue', (route) =>
    route.request().method() === 'POST' ? route.fulfill({ status: 403, body: '' }) : route.continue(),
  );
  await byId(page, 'cancel-queued').click();
  await expect(byId(page, 'queue-control-error')).toContainText('HTTP 403', { timeout: LONG });
  await expect(byId(page, 'queue-control-error')).toContainText('--enable-cors-header');
  await expect(byId(page, 'queue-item')).toHaveAttribute('data-run-id', id);
  expect(await serverPending(server.url)).toEqual([id]);
});

for (const scheme of ['light', 'dark'] as const) {
  test(`axe: the live tab with the pending list (${scheme})`, async ({ page, replay }, testInfo) => {
    await page.emulateMedia({ colorScheme: scheme });
    const server = await replay({ scenario: 'a_success', speed: 2, noTelemetry: true, extraArgs: ['--hold-prompts'] });
    await page.goto(server.url);
    await expect(byId(page, 'current-run')).toHaveAttribute('data-status', 'succeeded', { timeout: LONG });
    for (let i = 0; i < 3; i++) await queuePrompt(server.url, NEW_GRAPH);
    await expect(byId(page, 'queue-item')).toHaveCount(3, { timeout: LONG });
    expect(await seriousAxe(page, `/ with 3 pending (${scheme})`, testInfo)).toEqual([]);
  });
}
