// Accessibility audit: axe-core (npm, pinned in package.json) injected into the built page on every
// route, in the light and the dark theme, after a recording has played. The live page is audited
// mid-run, when the progress bar, the chart and the event log are all moving.
// Serious and critical violations fail the test; moderate and minor ones are listed in the report.
import { readFileSync } from 'node:fs';
import type { Page, TestInfo } from '@playwright/test';
import { test, expect, byId } from './replay';
import { RUN, LONG, waitForRunEnd } from './helpers';

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface Finding {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

async function audit(page: Page, route: string, testInfo: TestInfo): Promise<Finding[]> {
  await page.addScriptTag({ content: AXE });
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: string[] }> }> }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
  });
  testInfo.annotations.push({
    type: `axe ${route}`,
    description: found.length ? found.map((f) => `${f.impact} ${f.id} (${f.targets.length}): ${f.targets.join(', ')}`).join('; ') : 'no violations',
  });
  return found;
}

const blocking = (f: Finding[]) => f.filter((v) => v.impact === 'serious' || v.impact === 'critical');

for (const scheme of ['light', 'dark'] as const) {
  test.describe(`axe, ${scheme} theme`, () => {
    test.use({ colorScheme: scheme });

    test(`every route has no serious or critical violation (${scheme})`, async ({ page, replay }, testInfo) => {
      test.setTimeout(120_000);
      // a_success (with an output image), then d_interrupted slowly enough to audit it mid-run.
      const server = await replay({ scenario: ['a_success', 'd_interrupted'], speed: 0.5 });
      const all: Record<string, Finding[]> = {};
      await page.goto(server.url);
      const run = byId(page, 'current-run');
      await expect(run).toHaveAttribute('data-run-id', RUN.d_interrupted, { timeout: 90_000 });
      await expect(run).toHaveAttribute('data-status', 'running', { timeout: LONG });
      await expect.poll(async () => Number(await byId(page, 'run-chart').getAttribute('data-points')), { timeout: LONG })
        .toBeGreaterThanOrEqual(2);
      all['/ (mid-run)'] = await audit(page, '/ (mid-run)', testInfo);
      await waitForRunEnd(page, 'interrupted');
      all['/ (ended)'] = await audit(page, '/ (ended)', testInfo);

      const routes = [
        '/history',
        `/history/${RUN.a_success}`,
        `/compare?runs=${RUN.a_success},${RUN.d_interrupted}`,
        '/settings',
        '/fleet',
      ];
      // The fleet page with a card: this server and one where nothing listens.
      await page.evaluate((url) => localStorage.setItem('comfy-dashboard.fleet', JSON.stringify([
        { name: 'this one', address: url.replace(/\/$/, '') },
        { name: 'gone', address: 'http://127.0.0.1:9' },
      ])), server.url);
      for (const route of routes) {
        await page.goto(new URL(route, server.url).href);
        await expect(page.locator('h1')).toHaveCount(1, { timeout: LONG });
        if (route === '/history') await expect(byId(page, 'history-row')).toHaveCount(2, { timeout: LONG });
        if (route.startsWith('/history/')) await expect(byId(page, 'artifact')).toHaveCount(1, { timeout: LONG });
        if (route.startsWith('/compare')) await expect(page.locator('table.compare')).toBeVisible({ timeout: LONG });
        if (route === '/fleet') await expect(byId(page, 'fleet-server').first()).toHaveAttribute('data-state', 'open', { timeout: LONG });
        all[route] = await audit(page, route, testInfo);
      }
      const failures = Object.fromEntries(Object.entries(all).map(([r, f]) => [r, blocking(f)]).filter(([, f]) => f.length));
      expect(failures, 'serious/critical axe violations per route').toEqual({});
    });
  });
}
