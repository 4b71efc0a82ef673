// Small helpers shared by live-components.spec.ts and history.spec.ts, on top of replay.ts.
// Everything is found through the ui-contract test ids (/work/shared/ui-contract.md).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Download, Locator, Page, TestInfo } from '@playwright/test';
import { expect, byId, REPO, screenshot } from './replay';
import { createServer } from 'node:net';

/** Prompt ids recorded in the fixtures (prompts.json of each scenario). */
export const RUN = {
  a_success: 'f265f327-46cd-4648-b93f-013611d81e1b',
  b_cached: 'e489d350-dd64-4068-b5a8-61a7c7f61611',
  c_error: 'b8038d43-39f1-44e8-8935-950803a4336f',
  d_interrupted: 'c648fb54-0737-4f17-8abe-38eed93bf844',
  e_queue3: [
    '5fd4633c-d03c-48d4-ad03-737a10c9c5e4',
    '4689c52a-ba14-4892-b730-f16f0f54e625',
    'a9e8a372-1fde-4a1f-bb58-27bcd2d39e42',
  ],
  f_preview_metadata: 'a3bdb443-bd11-45d3-b0a4-5de780979824',
} as const;

/** Generous: the machine has 2 cores shared with other builds. */
export const LONG = 30_000;

export const ENDED = /^(succeeded|failed|interrupted)$/;

/** `telemetry-badge[data-field=…]` inside `scope` (defaults to the whole page). */
export const badge = (scope: Page | Locator, field: string): Locator =>
  scope.locator(`[data-testid="telemetry-badge"][data-field="${field}"]`);

export const knob = (scope: Page | Locator, key: string): Locator =>
  scope.locator(`[data-testid="queue-policy-knob"][data-knob="${key}"]`);

export const warning = (scope: Page | Locator, code: string): Locator =>
  scope.locator(`[data-testid="fallback-warning"][data-code="${code}"]`);

/** Waits for the connection to open and the current run to reach a final status. */
export async function waitForRunEnd(page: Page, status: RegExp | string = ENDED): Promise<void> {
  await expect(byId(page, 'connection-status')).toHaveAttribute('data-state', 'open', { timeout: LONG });
  await expect(byId(page, 'current-run')).toHaveAttribute('data-status', status, { timeout: LONG });
}

/** Accepts every confirm() the page shows from now on; returns the messages seen. */
export function acceptDialogs(page: Page): string[] {
  const seen: string[] = [];
  page.on('dialog', (d) => {
    seen.push(`${d.type()}: ${d.message()}`);
    void d.accept();
  });
  return seen;
}

/** Clicks `click` and returns the download it starts, read as a UTF-8 string (BOM kept). */
export async function download(page: Page, click: Locator): Promise<{ name: string; text: string; raw: Buffer; file: string }> {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: LONG }), click.click()]);
  return readDownload(dl);
}

async function readDownload(dl: Download): Promise<{ name: string; text: string; raw: Buffer; file: string }> {
  const file = await dl.path();
  const raw = readFileSync(file);
  return { name: dl.suggestedFilename(), text: raw.toString('utf8'), raw, file };
}

/** Run ids of the history rows currently shown, with their status. */
export async function historyRows(page: Page): Promise<{ id: string; status: string }[]> {
  return byId(page, 'history-row').evaluateAll((rows) =>
    rows.map((r) => ({ id: r.getAttribute('data-run-id') ?? '', status: r.getAttribute('data-status') ?? '' })),
  );
}

/** The gemDirect1 seed file next to the repo, or an inline copy of its relevant part. */
export function gemDirectFixture(): { name: string; mimeType: string; buffer: Buffer } {
  const shared = path.join(REPO, '../shared/fixtures/gemdirect1/artifact-metadata.json');
  if (existsSync(shared)) {
    return { name: 'artifact-metadata.json', mimeType: 'application/json', buffer: readFileSync(shared) };
  }
  const inline = {
    RunId: 'test',
    Timestamp: '2025-11-12T12:00:00.000Z',
    Scenes: [
      {
        SceneId: 'scene-001',
        Prompt: 'Prompt',
        FrameCount: 25,
        DurationSeconds: 10,
        HistoryRetrievedAt: '2025-11-12T12:00:05.000Z',
        Success: true,
        HistoryRetrieved: true,
        HistoryAttempts: 3,
        Warnings: [],
        Errors: [],
        Telemetry: {
          DurationSeconds: 10,
          MaxWaitSeconds: 600,
          PollIntervalSeconds: 2,
          HistoryAttempts: 3,
          HistoryAttemptLimit: 3,
          HistoryExitReason: 'success',
          HistoryPostExecutionTimeoutReached: false,
          PostExecutionTimeoutSeconds: 30,
          ExecutionSuccessDetected: true,
          ExecutionSuccessAt: '2025-11-12T12:00:05.000Z',
          SceneRetryBudget: 1,
          GPU: {
            Name: 'NVIDIA GeForce RTX 3090',
            VramFreeBefore: 10737418240,
            VramFreeAfter: 10133438464,
            VramDelta: -603979776,
            VramBeforeMB: 10240,
            VramAfterMB: 9664,
            VramDeltaMB: -576,
          },
          System: { FallbackNotes: [] },
        },
      },
    ],
    QueueConfig: {
      SceneRetryBudget: 1,
      HistoryMaxWaitSeconds: 600,
      HistoryPollIntervalSeconds: 2,
      HistoryMaxAttempts: 0,
      PostExecutionTimeoutSeconds: 30,
    },
  };
  return { name: 'artifact-metadata.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(inline)) };
}

/**
 * `screenshot` from replay.ts after scrolling to the top: the sticky top bar would otherwise be
 * painted in the middle of a full-page capture taken while scrolled.
 */
export async function shot(page: Page, name: string, testInfo: TestInfo): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, name, testInfo);
}

/** A loopback port with nothing listening on it (a server that is down). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
