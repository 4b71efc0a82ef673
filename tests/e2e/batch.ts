// What the page's history must say about the execution batch (tests/comfyui/execution_batch.py):
// for every prompt ComfyUI accepted, a row with ComfyUI's status whose node counts stay between what
// ComfyUI executed and what the prompt holds; nothing for the prompts it refused.
import { expectedStatus, type BatchRow, type HistoryEntry } from './comfy';
import type { Page } from '@playwright/test';

/** One history row as the page shows it: status and the "done/total" nodes cell. */
export interface ShownRow {
  status: string;
  done: number;
  /** null when the page shows "?" (total unknown). */
  total: number | null;
}

/** The history list's rows by run id (the first page: the batch fits in it). */
export async function shownRows(page: Page): Promise<Map<string, ShownRow>> {
  const rows = await page.getByTestId('history-row').evaluateAll((rs) =>
    rs.map((r) => {
      const cells = [...r.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim());
      const nodes = cells.find((c) => /^\d+\/(\d+|\?)$/.test(c)) ?? '';
      return [r.getAttribute('data-run-id') ?? '', r.getAttribute('data-status') ?? '', nodes] as const;
    }),
  );
  const shown = new Map<string, ShownRow>();
  for (const [id, status, nodes] of rows) {
    const [done, total] = nodes.split('/');
    shown.set(id, { status, done: done === undefined || done === '' ? NaN : Number(done), total: total === '?' || total === undefined ? null : Number(total) });
  }
  return shown;
}

/** The status the page must show: ComfyUI's, from the /history status messages. */
export function statusOf(row: BatchRow): string {
  const entry = { status: { status_str: row.status_str!, completed: true, messages: (row.messages ?? []).map((m) => [m, {}]) } };
  return expectedStatus(entry as unknown as HistoryEntry);
}

/**
 * Every way the shown history differs from the batch, one line each (empty when it matches):
 * an accepted prompt missing or with another status; a total unknown or above the prompt's node
 * count; done above the total, below the nodes ComfyUI executed, or above the nodes the prompt's
 * outputs to execute need (nodes that never ran); a row for a refused prompt.
 */
export function mismatches(batch: BatchRow[], shown: Map<string, ShownRow>): string[] {
  const out: string[] = [];
  for (const row of batch) {
    const label = `${row.name}#${row.pass}`;
    if (!row.prompt_id) continue;
    const s = shown.get(row.prompt_id);
    const executed = row.executed?.length ?? 0;
    if (!s) out.push(`${label}: missing`);
    else if (s.status !== statusOf(row)) out.push(`${label}: status ${s.status}, ComfyUI ${statusOf(row)}`);
    else if (s.total === null) out.push(`${label}: node total unknown (prompt has ${row.nodes})`);
    else if (s.total > row.nodes) out.push(`${label}: total ${s.total} > the prompt's ${row.nodes} nodes`);
    else if (!(s.done <= s.total)) out.push(`${label}: done ${s.done} > total ${s.total}`);
    else if (s.done < executed) out.push(`${label}: done ${s.done} < ${executed} executed by ComfyUI (${row.executed!.join(',')})`);
    else if (s.done > row.needed!) out.push(`${label}: done ${s.done} > the ${row.needed} nodes its outputs to execute need`);
  }
  const accepted = new Set(batch.map((r) => r.prompt_id).filter(Boolean));
  for (const id of shown.keys()) if (!accepted.has(id)) out.push(`${id}: a row for no accepted prompt`);
  return out;
}

/** A line per prompt for the report: what ComfyUI did and what the page shows. */
export function table(batch: BatchRow[], shown: Map<string, ShownRow>): string {
  return batch
    .map((r) => {
      const s = r.prompt_id ? shown.get(r.prompt_id) : undefined;
      const page = s ? `${s.status} ${s.done}/${s.total ?? '?'}` : r.prompt_id ? 'missing' : '-';
      const comfy = r.prompt_id ? `${statusOf(r)} executed ${r.executed?.length}/${r.needed}/${r.nodes}` : `refused ${r.http} ${r.refused}`;
      return `${r.pass} ${r.name.padEnd(36)} ${comfy.padEnd(28)} page: ${page}`;
    })
    .join('\n');
}
