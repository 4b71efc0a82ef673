// Playwright for the dashboard: Debian's chromium (never a downloaded browser), one worker because
// the machine has 2 cores and every test starts its own replay server (tests/e2e/replay.ts).
import { execSync } from 'node:child_process';
import { defineConfig } from '@playwright/test';

function chromiumPath(): string {
  try {
    const p = execSync('command -v chromium', { shell: '/bin/sh', encoding: 'utf8' }).trim();
    if (p) return p;
  } catch {
    // not on PATH: fall through to Debian's location
  }
  return '/usr/bin/chromium';
}

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  workers: 1,
  retries: 0,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  reporter: 'list',
  // Whole test; the outage test waits up to ~20 s for the back-off to reconnect.
  timeout: 60_000,
  expect: { timeout: 15_000 },
  outputDir: 'test-results',
  use: {
    browserName: 'chromium',
    launchOptions: {
      executablePath: chromiumPath(),
      // Root needs --no-sandbox; the rest keep Chromium off the (closed) network.
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
