// A replay recording of what a newer ComfyUI (0.45) sends that 0.3.64 cannot be made to send:
// a loop whose body runs four times as expanded copies, `activity` on running nodes, and a
// server with two GPUs. Derived from ComfyUI's source, not recorded (we run 0.3.64 only):
// - comfy_execution/progress.py (commit 1b71f275): `progress_state` lists every non-pending
//   node with `display_node_id`, `parent_node_id`, `real_node_id` and, when set, `activity`;
// - comfy_execution/graph_utils.py: expanded ids are `<node>.<call>.<graph>.<id>`, and a loop
//   that recurses expands again under its "Recurse" copy (`7.0.0.Recurse.0.0.2`), each copy
//   shown as the body node it clones (its display node id);
// - server.py `/system_stats`: one `devices` entry per GPU, the primary first
//   (core/tests/fixtures/derived/system_stats_two_gpus.json).
// The files are written to a temporary folder for each run, never kept in git.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const LOOP_PROMPT = '0a45c0de-1007-4000-8000-00000000100f';
export const ITERATIONS = 4;
/** A key in the prompt's inputs, as API nodes take them: it must never leave in a download. */
export const SECRET = 'sk-derived-secret-0000';
export const GPUS = [
  { name: 'cuda:0 NVIDIA GeForce RTX 4090 : cudaMallocAsync', index: 0, total: 25757220864, free: 20000000000 },
  { name: 'cuda:1 NVIDIA GeForce RTX 3060 : cudaMallocAsync', index: 1, total: 12884901888, free: 12000000000 },
];

const PROMPT = {
  '1': { class_type: 'EmptyImage', inputs: { width: 64, height: 64, batch_size: 1, color: 0 } },
  '3': { class_type: 'ForLoopOpen', inputs: { remaining: ITERATIONS } },
  '2': { class_type: 'SlowProgress', inputs: { image: ['1', 0], steps: 3, step_seconds: 0.2, send_preview: false, seed: 1, api_key: SECRET } },
  '7': { class_type: 'ForLoopClose', inputs: { flow_control: ['3', 0], initial_value1: ['2', 0] } },
  '8': { class_type: 'SaveImage', inputs: { images: ['7', 0], filename_prefix: 'loop' } },
};

type Node = { state: string; value: number; max: number; display: string; parent: string | null; real: string; activity?: string };

/** Writes the fixtures folder (`l_loop_activity/` and `http/`) and returns its path. */
export function writeNewerFixtures(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'newer-comfyui-'));
  const dir = path.join(root, 'l_loop_activity');
  mkdirSync(dir);
  mkdirSync(path.join(root, 'http'));
  const lines: string[] = [];
  let t = 1_000;
  const epoch = 1_796_000_000_000;
  const frame = (type: string, data: unknown, step = 150) => {
    t += step;
    lines.push(JSON.stringify({ t_mono_ms: t, t_rel_ms: t - 1_000, kind: 'text', msg: { type, data } }));
  };
  const pid = LOOP_PROMPT;
  const nodes = new Map<string, Node>();
  const state = () => {
    const out: Record<string, unknown> = {};
    for (const [id, n] of nodes) {
      out[id] = {
        value: n.value, max: n.max, state: n.state, node_id: id, prompt_id: pid,
        display_node_id: n.display, parent_node_id: n.parent, real_node_id: n.real,
        ...(n.activity ? { activity: n.activity } : {}),
      };
    }
    frame('progress_state', { prompt_id: pid, nodes: out }, 60);
  };
  const run = (id: string, display: string, parent: string | null, steps: number, activity?: string) => {
    frame('executing', { node: id, display_node: display, prompt_id: pid });
    const n: Node = { state: 'running', value: 0, max: 1, display, parent, real: id, activity };
    nodes.set(id, n);
    state();
    for (let s = 1; s <= steps; s++) {
      n.value = s;
      n.max = steps;
      frame('progress', { value: s, max: steps, prompt_id: pid, node: id }, 200);
      state();
    }
    n.state = 'finished';
    n.value = n.max;
    delete n.activity;
    state();
  };
  lines.push(JSON.stringify({ t_mono_ms: t, t_rel_ms: 0, kind: 'open', clientId: 'newer-client' }));
  frame('status', { status: { exec_info: { queue_remaining: 0 } }, sid: 'newer-client' }, 0);
  const postAt = t + 100;
  frame('status', { status: { exec_info: { queue_remaining: 1 } } }, 200);
  frame('execution_start', { prompt_id: pid, timestamp: epoch });
  frame('execution_cached', { nodes: [], prompt_id: pid, timestamp: epoch + 1 });
  run('1', '1', null, 0, 'Allocating');
  run('3', '3', null, 0);
  for (let i = 0; i < ITERATIONS; i++) {
    const id = `7.0.0.${'Recurse.0.0.'.repeat(i)}2`;
    run(id, '2', '7', 3, 'Sampling');
  }
  run('7', '7', null, 0);
  run('8', '8', null, 0, 'Saving');
  frame('executed', { node: '8', display_node: '8', output: { images: [{ filename: 'loop_00001_.png', subfolder: '', type: 'output' }] }, prompt_id: pid });
  frame('executing', { node: null, prompt_id: pid });
  frame('execution_success', { prompt_id: pid, timestamp: epoch + (t - postAt) });
  frame('status', { status: { exec_info: { queue_remaining: 0 } } });
  writeFileSync(path.join(dir, 'ws_submitter.jsonl'), lines.join('\n') + '\n');
  writeFileSync(path.join(dir, 'actions.jsonl'), JSON.stringify({
    t_mono_ms: postAt, t_rel_ms: postAt - 1_000, kind: 'http', label: 'loop', method: 'POST', path: '/prompt',
    request_body: { prompt: PROMPT, client_id: 'newer-client' }, status: 200,
    response: { prompt_id: pid, number: 0, node_errors: {} },
  }) + '\n');
  const stats = {
    system: { os: 'linux', ram_total: 67108864000, ram_free: 40000000000, comfyui_version: '0.45.2', python_version: '3.12.3', pytorch_version: '2.9.0', embedded_python: false, argv: ['main.py'] },
    devices: GPUS.map((g) => ({ name: g.name, type: 'cuda', index: g.index, vram_total: g.total, vram_free: g.free, torch_vram_total: 0, torch_vram_free: 0 })),
  };
  writeFileSync(path.join(root, 'http', 'system_stats.json'), JSON.stringify({ status: 200, body: stats }));
  return root;
}
