// Recommendations and the printable report (issue 25), found only through ui-contract test ids.
// The recordings play first (so the store holds real runs), then a generated history of 300 runs
// is imported through the history tab's import: a workflow that got 2.5x slower halfway, and a
// workflow whose runs fail with out-of-memory errors one time in three. The panel must name both
// with their evidence runs, the run page the findings about that run, and /report printed to PDF
// by Chromium must say the period, the totals and every finding. axe audits the panel and the
// report in both themes.
import { readFileSync } from 'node:fs';
import type { Page, TestInfo } from '@playwright/test';
import { test, expect, byId } from './replay';
import { RUN, LONG, waitForRunEnd, shot, download } from './helpers';
import { pdfText, squeeze } from './pdf-text';

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const MIN = 60_000;
const SLOW = 'portrait-v2.json';
const OOM = 'upscale-4x.json';

type Run = Record<string, unknown> & { error?: Record<string, unknown> | null };

/** Stored runs (the `run` of each record) read straight from the page's IndexedDB. */
async function storedRuns(page: Page): Promise<Run[]> {
  return page.evaluate(
    () =>
      new Promise<Run[]>((resolve, reject) => {
        const open = indexedDB.open('comfy-dashboard');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const req = open.result.transaction('runs').objectStore('runs').getAll();
          req.onsuccess = () => {
            open.result.close();
            resolve((req.result as Array<{ run: Run }>).map((r) => r.run));
          };
          req.onerror = () => reject(req.error);
        };
      }),
  );
}

/** UUID-shaped, distinct in the first 8 characters (the short id the page shows). */
const uuid = (n: number) => `${(0x25000000 + n).toString(16)}-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** 300 runs from two recorded templates; deterministic (a fixed LCG for the jitter). */
function generate(ok: Run, failed: Run, now: number) {
  let seed = 25;
  const jitter = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) - 0.5;
  const runs: Run[] = [];
  const slow: string[] = [];
  const oom: string[] = [];
  const start0 = now - 300 * 20 * MIN;
  const make = (t: Run, n: number, workflow: string, start: number, dur: number): Run => {
    const r = JSON.parse(JSON.stringify(t)) as Run;
    Object.assign(r, {
      prompt_id: uuid(n), number: null, workflow, outputs: [], nodes: [], current_node: null,
      first_seen_ms: start - 500, queued_at_ms: start - 500, started_at_ms: start, ended_at_ms: start + dur,
      server_queued_ms: Math.round(start - 500), server_started_ms: Math.round(start), server_ended_ms: Math.round(start + dur),
      last_update_ms: start + dur, reported_duration_s: null,
    });
    return r;
  };
  for (let i = 0; i < 300; i++) {
    const start = start0 + i * 20 * MIN;
    if (i % 3 === 2) {
      // The OOM workflow: every third of its runs fails with an out-of-memory error.
      const k = (i - 2) / 3;
      if (k % 3 === 0) {
        const r = make(failed, i, OOM, start, 4_000);
        r.error = { ...(failed.error ?? {}), exception_type: 'torch.OutOfMemoryError',
          exception_message: 'Allocation on device 0 would exceed allowed memory. (out of memory)' };
        runs.push(r);
        oom.push(uuid(i));
      } else {
        runs.push(make(ok, i, OOM, start, 30_000 * (1 + 0.2 * jitter())));
      }
    } else {
      // The slowing workflow: 8 s runs, then 20 s from the middle of the period on.
      const dur = (i < 150 ? 8_000 : 20_000) * (1 + 0.2 * jitter());
      runs.push(make(ok, i, SLOW, start, dur));
      slow.push(uuid(i));
    }
  }
  return { runs, slow, oom };
}

async function audit(page: Page, label: string, testInfo: TestInfo): Promise<string[]> {
  await page.addScriptTag({ content: AXE });
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (d: Document, o: object) => Promise<{ violations: Array<{ id: string; impact: string | null; nodes: Array<{ target: string[] }> }> }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
  });
  testInfo.annotations.push({ type: `axe ${label}`, description: found.length ? found.map((f) => `${f.impact} ${f.id}: ${f.targets.join(', ')}`).join('; ') : 'no violations' });
  return found.filter((f) => f.impact === 'serious' || f.impact === 'critical').map((f) => `${f.id}: ${f.targets.join(', ')}`);
}

const finding = (page: Page, rule: string) =>
  byId(page, 'recommendations').locator(`[data-testid="recommendation"][data-rule="${rule}"]`);

test('the panel, the run page and the printed report show a planted slowdown and an OOM cluster', async ({ page, replay }, testInfo) => {
  test.setTimeout(240_000);
  const server = await replay({ scenario: ['a_success', 'c_error'], speed: 2 });
  await page.goto(server.url);
  await expect(byId(page, 'current-run')).toHaveAttribute('data-run-id', RUN.c_error, { timeout: LONG });
  await waitForRunEnd(page, 'failed');
  await page.goto(new URL('/history', server.url).href);
  await expect(byId(page, 'history-count')).toHaveAttribute('data-count', '2', { timeout: LONG });

  const recorded = await storedRuns(page);
  const ok = recorded.find((r) => r.prompt_id === RUN.a_success)!;
  const failed = recorded.find((r) => r.prompt_id === RUN.c_error)!;
  expect(failed.error, 'the recorded failure carries its error').toBeTruthy();
  const { runs, slow, oom } = generate(ok, failed, Date.now());
  await byId(page, 'import-file').setInputFiles({ name: 'history.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(runs)) });
  await expect(byId(page, 'action-message')).toContainText('Imported 300', { timeout: LONG });
  await expect(byId(page, 'history-count')).toHaveAttribute('data-count', '302', { timeout: LONG });

  // The panel: both planted patterns, each with evidence runs from the right workflow.
  const slower = finding(page, 'workflow-slower');
  const cluster = finding(page, 'failure-cluster');
  await expect(slower).toHaveCount(1, { timeout: LONG });
  await expect(cluster).toHaveCount(1, { timeout: LONG });
  await expect(slower).toContainText(SLOW);
  await expect(cluster).toContainText(OOM);
  await expect(cluster).toContainText(/out of memory/i);
  const ids = async (l: typeof slower) => ((await l.getAttribute('data-runs')) ?? '').split(',').filter(Boolean);
  const slowIds = await ids(slower);
  const oomIds = await ids(cluster);
  expect(slowIds.length).toBeGreaterThan(0);
  expect(slowIds.every((id) => slow.includes(id)), `slowdown evidence ${slowIds} from ${SLOW}`).toBe(true);
  expect(oomIds.length).toBeGreaterThanOrEqual(3);
  expect(oomIds.every((id) => oom.includes(id)), `OOM evidence ${oomIds} are the OOM failures`).toBe(true);
  expect(Number(await cluster.getAttribute('data-confidence'))).toBeGreaterThan(0.5);
  expect(Number(await slower.getAttribute('data-confidence'))).toBeGreaterThan(0.5);
  await expect(byId(page, 'recommendations')).toHaveAttribute('data-count', String(await byId(page, 'recommendation').count()));
  for (const id of oomIds) await expect(cluster.locator(`a[href$="/history/${id}"]`)).toHaveCount(1);
  await shot(page, 'insight-panel.png', testInfo);

  // A reload starts from the stored aggregates (the snapshot and the log of the 300 imported
  // runs written with them) and shows the same findings with the same evidence.
  await page.reload();
  await expect(finding(page, 'workflow-slower')).toHaveAttribute('data-runs', slowIds.join(','), { timeout: LONG });
  await expect(finding(page, 'failure-cluster')).toHaveAttribute('data-runs', oomIds.join(','), { timeout: LONG });

  // An evidence link leads to the run page, which lists the findings about that run.
  await finding(page, 'failure-cluster').locator(`a[href$="/history/${oomIds[0]}"]`).click();
  await expect(byId(page, 'run-detail')).toHaveAttribute('data-run-id', oomIds[0], { timeout: LONG });
  await expect(finding(page, 'failure-cluster')).toHaveCount(1, { timeout: LONG });
  await expect(finding(page, 'workflow-slower')).toHaveCount(0);

  // The report, printed by Chromium.
  await page.goto(new URL('/report', server.url).href);
  const report = byId(page, 'report');
  await expect(report).toHaveAttribute('data-runs', '302', { timeout: LONG });
  const from = (await report.getAttribute('data-from'))!;
  const to = (await report.getAttribute('data-to'))!;
  expect(from).toMatch(/^\d{4}-\d\d-\d\d$/);
  expect(to).toMatch(/^\d{4}-\d\d-\d\d$/);
  // Times in the reader's zone, as on the rest of the page: the generation time, the runs'
  // starts and the evidence runs are <time> elements with their UTC instant in datetime.
  await expect(byId(page, 'report-period-text').locator('time[datetime]')).toHaveCount(1);
  await expect(byId(page, 'report-runs').locator('tbody tr').first().locator('time[datetime]')).toHaveCount(1);
  await expect(byId(page, 'report-findings').locator('.evidence time[datetime]').first()).toBeVisible();
  const titles = await byId(page, 'report-findings').locator('[data-testid="recommendation"] h3').allTextContents();
  expect(titles.length).toBeGreaterThanOrEqual(2);
  const totals = (await byId(page, 'report-totals').locator('p').textContent())!;
  expect(totals).toContain('302 runs');
  // The JSON download (written by the core's own writer, byte for byte what serde_json wrote:
  // the core's tests compare them): the report's sections in their declared order, indented.
  const json = await download(page, byId(page, 'report-json'));
  expect(json.name).toBe('comfy-report.json');
  expect(json.text.startsWith('{\n  "generated_at_ms": ')).toBe(true);
  const data = JSON.parse(json.text);
  expect(Object.keys(data)).toEqual(['generated_at_ms', 'scope', 'period', 'totals', 'success_rate', 'workflows',
    'slowest_nodes', 'failures', 'queue_wait', 'memory', 'findings', 'runs', 'runs_omitted']);
  expect(data.totals.runs).toBe(302);
  expect(data.runs.length + data.runs_omitted).toBe(302);
  const rules = data.findings.map((f: { rule: string }) => f.rule);
  expect(rules).toEqual(expect.arrayContaining(['workflow-slower', 'failure-cluster']));
  expect(data.findings.length).toBe(titles.length);
  await shot(page, 'report.png', testInfo);
  for (const format of ['A4', 'Letter'] as const) {
    const pdf = await page.pdf({ format });
    await testInfo.attach(`report-${format}.pdf`, { body: pdf, contentType: 'application/pdf' });
    const text = squeeze(pdfText(pdf));
    expect(text, `${format}: the period`).toContain(squeeze(`Period: ${from} to ${to}`));
    expect(text, `${format}: the totals`).toContain(squeeze(totals));
    for (const t of titles) expect(text, `${format}: finding "${t}"`).toContain(squeeze(t));
    for (const h of ['Totals', 'Duration per workflow', 'Slowest nodes', 'Failures by class', 'Queue wait', 'GPU memory', 'Runs'])
      expect(text, `${format}: section ${h}`).toContain(squeeze(h));
    expect(text, `${format}: no navigation or controls`).not.toContain(squeeze('Print / Save as PDF'));
    expect(text).not.toContain(squeeze('ComfyUI telemetry'));
  }

  // axe on the panel and the report, light and dark.
  const blocking: Record<string, string[]> = {};
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(new URL('/history', server.url).href);
    await expect(finding(page, 'failure-cluster')).toHaveCount(1, { timeout: LONG });
    blocking[`/history ${scheme}`] = await audit(page, `/history ${scheme}`, testInfo);
    await page.goto(new URL('/report', server.url).href);
    await expect(byId(page, 'report')).toHaveAttribute('data-runs', '302', { timeout: LONG });
    blocking[`/report ${scheme}`] = await audit(page, `/report ${scheme}`, testInfo);
  }
  expect(Object.fromEntries(Object.entries(blocking).filter(([, v]) => v.length)), 'serious/critical axe violations').toEqual({});
});

test('the report\'s period selector names a custom range and recognises a preset', async ({ page, replay }) => {
  const server = await replay({ scenario: 'a_success', speed: 2 });
  const select = byId(page, 'report-period');
  // Bounds from the history tab's dates: a custom range, named by its dates.
  await page.goto(new URL('/report?from=2026-11-01&to=2026-11-15', server.url).href);
  await expect(byId(page, 'report')).toHaveAttribute('data-from', '2026-11-01', { timeout: LONG });
  await expect(select).toHaveValue('custom');
  await expect(select.locator('option[value="custom"]')).toHaveText('Custom: 2026-11-01 to 2026-11-15');
  await expect(select.locator('option[value="custom"]')).toHaveJSProperty('hidden', false);
  // A preset replaces the bounds; the selector shows it, after a reload too.
  await select.selectOption('7');
  await expect(page).toHaveURL(/\/report\?from=\d{4}-\d\d-\d\d$/);
  await expect(select).toHaveValue('7');
  await page.reload();
  await expect(byId(page, 'report')).toBeVisible({ timeout: LONG });
  await expect(select).toHaveValue('7');
  await expect(select.locator('option[value="custom"]')).toHaveJSProperty('hidden', true);
  await select.selectOption('0');
  await expect(page).toHaveURL(/\/report$/);
  await expect(select).toHaveValue('0');
});
