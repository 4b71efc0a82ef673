// Opens the dashboard in a fresh browser profile (a new Chromium context: empty IndexedDB) and
// prints, as one JSON line, what its history and compare pages show, for test_runlog_page.py.
//
//   node tests/comfyui/page_probe.cjs URL RUN_A RUN_B
//
// URL is the dashboard (e.g. http://127.0.0.1:8188/telemetry/ui/). Playwright and Debian's
// Chromium as tests/e2e uses them (its node_modules).
const path = require('node:path');
const { chromium } = require(path.join(__dirname, '../e2e/node_modules/playwright'));

const LONG = 60_000;

async function main() {
  const [url, runA, runB] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  try {
    const page = await (await browser.newContext()).newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    // Console errors (0.3.64 answers /api/jobs with 404, as expected) only explain a failure.
    const consoleErrors = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    try {
      await probe(page, url, runA, runB, errors);
    } catch (e) {
      // What the page showed, for the failing test's report.
      const text = await page.locator('main').innerText().catch(() => '(no main)');
      throw new Error(`${e.message}\nat ${page.url()}\npage: ${text.slice(0, 1500)}\nerrors: ${errors.concat(consoleErrors).join('\n')}`);
    }
  } finally {
    await browser.close();
  }
}

async function probe(page, url, runA, runB, errors) {
  {
    await page.goto(new URL('history', url).href);
    const source = page.getByTestId('history-source');
    await source.waitFor({ timeout: LONG });
    // The log's runs are merged into the store, then the list reads them.
    await page.waitForFunction(
      ([a, b]) => [a, b].every((id) => document.querySelector(`[data-testid="history-row"][data-run-id="${id}"]`)),
      [runA, runB],
      { timeout: LONG },
    );
    const serverLog = await source.getAttribute('data-server-log');
    const rows = await page.getByTestId('history-row').evaluateAll((rs) =>
      rs.map((r) => ({ id: r.getAttribute('data-run-id'), status: r.getAttribute('data-status'), source: r.getAttribute('data-source') })),
    );
    await page.goto(new URL(`compare?runs=${runA},${runB}`, url).href);
    await page.getByTestId('compare-diff').waitFor({ timeout: LONG });
    await page.waitForFunction(() => document.querySelector('[data-testid="compare-diff"]')?.getAttribute('data-count') !== '0', null, { timeout: LONG }).catch(() => {});
    const diff = await page.getByTestId('compare-diff-row').evaluateAll((rs) =>
      rs.map((r) => [r.getAttribute('data-param'), r.getAttribute('data-value-1'), r.getAttribute('data-value-2')]),
    );
    await page.goto(new URL(`history/${runA}`, url).href);
    await page.getByTestId('run-param').first().waitFor({ timeout: LONG });
    const params = await page.getByTestId('run-param').evaluateAll((ps) =>
      Object.fromEntries(ps.map((p) => [p.getAttribute('data-param'), p.getAttribute('data-value')])),
    );
    console.log(JSON.stringify({ serverLog, rows, diff, params, errors }));
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
