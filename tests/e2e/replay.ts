// Test fixtures: a fresh replay server (the fake ComfyUI in replay/) per test, serving the built
// dashboard from dist/, plus small helpers that read the ui-contract test ids.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { test as base, expect, type Page, type TestInfo } from '@playwright/test';
import { pageWithErrors, serverFixture } from './harness';

export const REPO = path.resolve(__dirname, '../..');
export const SCREENSHOTS = path.join(__dirname, 'screenshots');

const TARGET = process.env.CARGO_TARGET_DIR
  ? path.resolve(REPO, process.env.CARGO_TARGET_DIR)
  : path.join(REPO, 'target');
const BINARY = process.env.REPLAY_BIN ?? path.join(TARGET, 'debug', 'comfy-replay');
const DIST = process.env.E2E_DIST ?? path.join(REPO, 'dist');

/** The full recording set when the repo's sibling shared/ is there, else the bundled demo copy. */
function fixturesDir(): string {
  if (process.env.E2E_FIXTURES) return path.resolve(process.env.E2E_FIXTURES);
  const shared = path.join(REPO, '../shared/fixtures/comfyui');
  return existsSync(shared) ? shared : path.join(REPO, 'demo/recordings');
}

export interface ReplayOptions {
  /** Scenario folder(s) to play, in order. */
  scenario: string | string[];
  speed?: number;
  loop?: boolean;
  noTelemetry?: boolean;
  noSystemStats?: boolean;
  autostart?: boolean;
  wsStream?: 'observer' | 'submitter';
  basePath?: string;
  /** A fixtures folder other than the recordings (e.g. one derived from newer ComfyUI's source). */
  fixtures?: string;
  /** Anything else, passed as-is. */
  extraArgs?: string[];
}

export class Replay {
  readonly log: string[] = [];
  url = '';
  private exited: Promise<void>;

  constructor(private readonly proc: ChildProcess) {
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
  }

  /** POST to the control API, e.g. `/__replay/outage`. */
  async control(route: string): Promise<void> {
    const res = await fetch(new URL(route, this.url), { method: 'POST' });
    if (!res.ok) throw new Error(`POST ${route}: HTTP ${res.status}`);
  }

  async state(): Promise<Record<string, unknown>> {
    const res = await fetch(new URL('/__replay/state', this.url));
    return (await res.json()) as Record<string, unknown>;
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGTERM');
      await Promise.race([this.exited, new Promise((r) => setTimeout(r, 3000))]);
      if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    }
  }
}

export async function startReplay(opts: ReplayOptions): Promise<Replay> {
  if (!existsSync(BINARY)) {
    throw new Error(`${BINARY} missing: run \`cargo build -p comfy-replay\` first (scripts/test.sh does)`);
  }
  if (!existsSync(path.join(DIST, 'index.html'))) {
    throw new Error(`${DIST}/index.html missing: run scripts/build.sh first`);
  }
  const scenarios = Array.isArray(opts.scenario) ? opts.scenario : [opts.scenario];
  const args = [
    '--port', '0',
    '--dist', DIST,
    '--fixtures', opts.fixtures ?? fixturesDir(),
    '--scenario', scenarios.join(','),
    '--speed', String(opts.speed ?? 1),
  ];
  if (opts.loop) args.push('--loop');
  if (opts.noTelemetry) args.push('--no-telemetry');
  if (opts.noSystemStats) args.push('--no-system-stats');
  if (opts.autostart) args.push('--autostart');
  if (opts.wsStream) args.push('--ws-stream', opts.wsStream);
  if (opts.basePath) args.push('--base-path', opts.basePath);
  args.push(...(opts.extraArgs ?? []));

  const proc = spawn(BINARY, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  const replay = new Replay(proc);
  replay.log.push(`$ ${BINARY} ${args.join(' ')}`);
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => replay.log.push(d.trimEnd()));

  replay.url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error('no "listening on" line within 15 s')), 15_000);
    const fail = (e: Error) => {
      clearTimeout(timer);
      proc.kill('SIGKILL');
      reject(new Error(`replay server: ${e.message}\n${replay.log.join('\n')}`));
    };
    proc.once('error', fail);
    const onExit = (code: number | null) => fail(new Error(`exited early with ${code}`));
    proc.once('exit', onExit);
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      replay.log.push(d.trimEnd());
      // The server prints exactly this line once it accepts connections (replay/src/main.rs).
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        proc.removeListener('exit', onExit);
        resolve(m[1]);
      }
    });
  });
  return replay;
}

type Fixtures = {
  /** Starts a replay server for this test; stopped (and its log attached on failure) afterwards. */
  replay: (opts: ReplayOptions) => Promise<Replay>;
};

export const test = base.extend<Fixtures>({
  replay: serverFixture(startReplay, 'replay-server.log'),
  page: pageWithErrors,
});
export { expect };

/** The element with this ui-contract test id. */
export const byId = (page: Page, id: string) => page.getByTestId(id);

/**
 * Records every value the given attributes of the `data-testid=id` element(s) take, from page load
 * on, so tests can assert on short-lived states (a queue of 3 lasts ~1 s) without sampling races.
 * Call before `page.goto`. Read back with `seenAttributes`.
 */
export async function recordAttributes(page: Page, id: string, attrs: string[]): Promise<void> {
  await page.addInitScript(
    ({ id, attrs }) => {
      const w = window as unknown as { __seen?: Record<string, Record<string, string | null>[]> };
      const seen = (w.__seen ??= {});
      const list = (seen[id] ??= []);
      let last = '';
      const snap = () => {
        for (const el of document.querySelectorAll(`[data-testid="${id}"]`)) {
          const rec: Record<string, string | null> = {};
          for (const a of attrs) rec[a] = el.getAttribute(a);
          const key = JSON.stringify(rec);
          if (key !== last) {
            last = key;
            list.push(rec);
          }
        }
      };
      new MutationObserver(snap).observe(document, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: attrs.concat(['data-testid']),
      });
    },
    { id, attrs },
  );
}

export async function seenAttributes(page: Page, id: string): Promise<Record<string, string | null>[]> {
  return page.evaluate(
    (id) => (window as unknown as { __seen?: Record<string, Record<string, string | null>[]> }).__seen?.[id] ?? [],
    id,
  );
}

/** Full-page screenshot into tests/e2e/screenshots/ (gitignored), also attached to the report. */
export async function screenshot(page: Page, name: string, testInfo?: TestInfo): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, name);
  await page.screenshot({ path: file, fullPage: true });
  if (testInfo) await testInfo.attach(name, { path: file, contentType: 'image/png' });
}
