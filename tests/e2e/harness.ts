// What the replay and the real-ComfyUI fixtures share: a per-test server fixture (started on
// demand, stopped afterwards, its log attached to a failing test) and a page whose crashes and
// console errors are attached to a failing test's report.
import type { Page, TestInfo } from '@playwright/test';

/** A server process a test starts: its log lines, and how to stop it. */
export interface Server {
  readonly log: string[];
  stop(): Promise<void>;
}

type Use<T> = (value: T) => Promise<void>;

/**
 * A fixture that hands the test a `start(options)` for servers of one kind; every server it
 * started is stopped when the test ends, and on a failure its log is attached as `logName`.
 * (Playwright reads a fixture's dependencies from its first parameter's destructuring: it must
 * stay the literal `{}`.)
 */
export function serverFixture<O, S extends Server>(start: (opts: O) => Promise<S>, logName: string) {
  return async ({}, use: Use<(opts: O) => Promise<S>>, testInfo: TestInfo) => {
    const started: S[] = [];
    await use(async (opts) => {
      const server = await start(opts);
      started.push(server);
      return server;
    });
    for (const server of started) {
      await server.stop();
      if (testInfo.status !== testInfo.expectedStatus) {
        await testInfo.attach(logName, { body: server.log.join('\n'), contentType: 'text/plain' });
      }
    }
  };
}

/** The page fixture: app crashes (panics end up as page errors) and console errors in the report of a failing test. */
export async function pageWithErrors({ page }: { page: Page }, use: Use<Page>, testInfo: TestInfo) {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  await use(page);
  if (errors.length && testInfo.status !== testInfo.expectedStatus) {
    await testInfo.attach('browser-errors.txt', { body: errors.join('\n'), contentType: 'text/plain' });
  }
}
