// A real ComfyUI 0.3.64 for the end-to-end tests (tests/comfyui/harness.py `serve --control`):
// each test starts its own on a free port with a fresh base directory, with or without the
// extension, optionally behind the same-origin development proxy that serves dist/. Prompts are
// queued by "another client" through the harness (tests/comfyui/workflows.py), never by the page.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { test as base, expect, type Page } from '@playwright/test';
import { pageWithErrors, serverFixture } from './harness';
import { REPO } from './replay';

const DIST = process.env.E2E_DIST ?? path.join(REPO, 'dist');
const PYTHON = process.env.COMFYUI_PYTHON ?? '';

export interface ComfyOptions {
  extension: boolean;
  /** Serve dist/ behind a same-origin proxy to ComfyUI (as `trunk serve` does). */
  proxy?: boolean;
  comfyArgs?: string[];
  /** Environment for ComfyUI beyond the test's own, e.g. `COMFY_TELEMETRY_ALLOWED_ORIGINS`. */
  env?: Record<string, string>;
}

type Reply = Record<string, unknown>;

export class Comfy {
  readonly log: string[] = [];
  url = '';
  proxy = '';
  private waiting: ((r: Reply) => void)[] = [];
  private exited: Promise<void>;

  constructor(private readonly proc: ChildProcess) {
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => this.log.push(d.trimEnd()));
  }

  /** The first JSON line (the server's address), then one reply per control line. */
  async started(): Promise<void> {
    const lines = readline.createInterface({ input: this.proc.stdout! });
    const first = new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`ComfyUI did not start:\n${this.log.join('\n')}`)), 240_000);
      this.proc.once('exit', (c) => reject(new Error(`harness exited with ${c}:\n${this.log.join('\n')}`)));
      this.waiting.push((r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
    lines.on('line', (line) => {
      this.log.push(line);
      let reply: Reply;
      try {
        reply = JSON.parse(line) as Reply;
      } catch {
        return;
      }
      this.waiting.shift()?.(reply);
    });
    const info = await first;
    this.url = String(info.url);
    this.proxy = info.proxy ? String(info.proxy) : '';
  }

  private command(line: string): Promise<Reply> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.proc.stdin!.write(line + '\n');
    });
  }

  /** Queues a workflow of tests/comfyui/workflows.py as another client; returns its prompt id. */
  async queue(workflow: string, clientId: string | null = 'another-client', kwargs: Record<string, unknown> = {}): Promise<string> {
    const r = await this.command(`queue ${workflow} ${clientId ?? '-'} ${JSON.stringify(kwargs)}`);
    const body = r.body as { prompt_id?: string };
    if (r.status !== 200 || !body.prompt_id) throw new Error(`queue ${workflow}: ${JSON.stringify(r)}`);
    return body.prompt_id;
  }

  /** Queues a prompt that ComfyUI refuses (HTTP 400): the status and body. */
  async queueInvalid(): Promise<Reply> {
    return this.command('queue invalid -');
  }

  /**
   * Queues `passes` copies of tests/comfyui/execution_batch.py's prompts back to back from that
   * module's own /ws + POST /prompt client and waits until ComfyUI's /history holds them all.
   */
  async batch(passes: number): Promise<BatchRow[]> {
    const r = await this.command(`batch ${passes}`);
    if (!Array.isArray(r.batch)) throw new Error(`batch: ${JSON.stringify(r)}`);
    return r.batch as BatchRow[];
  }

  async down(): Promise<void> {
    await this.command('down');
  }

  async up(): Promise<void> {
    await this.command('up');
  }

  /** Waits until `promptId` runs, then interrupts it as ComfyUI's own button does. */
  async interruptWhenRunning(promptId: string, timeout = 60_000): Promise<void> {
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      const q = (await this.json('/queue')) as { queue_running: unknown[][] };
      if (q.queue_running.some((item) => item[1] === promptId)) {
        await new Promise((r) => setTimeout(r, 1000)); // a few steps in
        await fetch(this.url + '/interrupt', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ prompt_id: promptId }) });
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${promptId} never ran`);
  }

  async json(route: string): Promise<unknown> {
    const res = await fetch(this.url + route);
    return res.json();
  }

  /** ComfyUI's own history entry once the prompt has finished. */
  async finished(promptId: string, timeout = 120_000): Promise<HistoryEntry> {
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      const h = (await this.json(`/history/${promptId}`)) as Record<string, HistoryEntry>;
      const e = h[promptId];
      if (e?.status?.status_str) return e;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${promptId} not in ComfyUI's history after ${timeout} ms`);
  }

  async idle(timeout = 120_000): Promise<void> {
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      const q = (await this.json('/queue')) as { queue_running: unknown[]; queue_pending: unknown[] };
      if (!q.queue_running.length && !q.queue_pending.length) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('ComfyUI queue not idle');
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.stdin!.end();
      this.proc.kill('SIGTERM');
      await Promise.race([this.exited, new Promise((r) => setTimeout(r, 20_000))]);
      if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    }
  }
}

export interface HistoryEntry {
  status: { status_str: 'success' | 'error'; completed: boolean; messages: [string, Record<string, unknown>][] };
  outputs: Record<string, unknown>;
  prompt: unknown[];
}

/** One prompt of the execution batch, as its client saw it (tests/comfyui/execution_batch.py). */
export interface BatchRow {
  name: string;
  pass: number;
  /** HTTP status of POST /prompt: 200 accepted, 400 refused by validation. */
  http: number;
  /** Nodes in the prompt as posted. */
  nodes: number;
  targets: string[] | null;
  prompt_id: string | null;
  refused: string | null;
  /** Accepted only: the prompt's nodes ComfyUI reported cached or finished. */
  executed?: string[];
  /** Accepted only: how many prompt nodes its outputs to execute need (ComfyUI runs no other). */
  needed?: number;
  status_str?: 'success' | 'error';
  /** Accepted only: the types of /history's status messages. */
  messages?: string[];
}

/** The dashboard's status for a ComfyUI history entry: its messages first, then status_str. */
export function expectedStatus(entry: HistoryEntry): string {
  const types = entry.status.messages.map((m) => m[0]);
  if (types.includes('execution_interrupted')) return 'interrupted';
  if (types.includes('execution_error')) return 'failed';
  return entry.status.status_str === 'success' ? 'succeeded' : 'failed';
}

export async function startComfy(opts: ComfyOptions): Promise<Comfy> {
  if (!PYTHON || !existsSync(PYTHON)) {
    throw new Error('COMFYUI_PYTHON is not set: run through scripts/test.sh (it prepares tests/comfyui/venv.sh)');
  }
  if (!existsSync(path.join(DIST, 'index.html'))) throw new Error(`${DIST}/index.html missing: run scripts/build.sh`);
  const args = [path.join(REPO, 'tests/comfyui/harness.py'), 'serve', '--control'];
  if (opts.extension) args.push('--extension');
  if (opts.proxy) args.push('--proxy-dist', DIST);
  if (opts.comfyArgs?.length) args.push('--', ...opts.comfyArgs);
  const env = { ...process.env, ...(opts.env ?? {}) };
  const proc = spawn(PYTHON, args, { cwd: REPO, env, stdio: ['pipe', 'pipe', 'pipe'] });
  const comfy = new Comfy(proc);
  await comfy.started();
  return comfy;
}

type Fixtures = { comfy: (opts: ComfyOptions) => Promise<Comfy> };

export const test = base.extend<Fixtures>({
  comfy: serverFixture(startComfy, 'harness.log'),
  page: pageWithErrors,
});
export { expect };

/** The dashboard's own address for this server: the extension's /telemetry/ui/ or the proxy. */
export function dashboard(c: Comfy, route = ''): string {
  return c.proxy ? `${c.proxy}/${route}` : `${c.url}/telemetry/ui/${route}`;
}

export const byId = (page: Page, id: string) => page.getByTestId(id);
