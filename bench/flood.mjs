// The flood server: serves a built dist/ (same origin, SPA fallback), a baseline page, a fake
// ComfyUI API and a WebSocket at /telemetry (and /ws) that sends realistic ComfyUI traffic at a
// chosen rate. The message mix is the recorded traces' mix (every scenario that ends in
// execution_success), with a fresh prompt id for every synthetic run, looping.
//
// Used as a module by bench.mjs (same process, so phases are driven directly), or stand-alone:
//   node bench/flood.mjs --dist dist --port 8099 --rate 1000
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { WebSocketServer } from "ws";

const HERE = path.dirname(new URL(import.meta.url).pathname);

/** Every scenario folder whose submitter stream has a run that ends in execution_success. */
export function loadTemplates(fixturesDir) {
  const templates = [];
  for (const name of fs.readdirSync(fixturesDir).sort()) {
    const file = path.join(fixturesDir, name, "ws_submitter.jsonl");
    if (!fs.existsSync(file)) continue;
    const frames = [];
    const ids = new Set();
    let success = false;
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
      if (!line.trim()) continue;
      const rec = JSON.parse(line);
      if (rec.kind === "text") {
        const t = rec.msg.type;
        // The server's answer to our own feature_flags, and the per-connection sid status, are
        // not part of the traffic a run produces.
        if (t === "feature_flags") continue;
        if (t === "status" && rec.msg.data && rec.msg.data.sid) continue;
        if (t === "execution_success") success = true;
        const pid = rec.msg.data && rec.msg.data.prompt_id;
        if (typeof pid === "string") ids.add(pid);
        frames.push({ kind: "text", type: t, text: JSON.stringify(rec.msg) });
      } else if (rec.kind === "binary") {
        frames.push({ kind: "binary", type: `binary${rec.u32_be[0]}`, bytes: Buffer.from(rec.b64, "base64") });
      }
    }
    if (!success || ids.size === 0 || !frames.some((f) => f.type === "execution_start")) continue;
    templates.push({ name, frames, ids: [...ids] });
  }
  if (templates.length === 0) throw new Error(`no usable recordings in ${fixturesDir}`);
  // Pre-split every frame on its prompt ids so a synthetic run only joins strings.
  for (const t of templates) {
    t.parts = t.frames.map((f) => splitOnIds(f, t.ids));
  }
  return templates;
}

function splitOnIds(frame, ids) {
  if (frame.kind === "text") {
    // [literal, idIndex, literal, idIndex, ..., literal]
    const pieces = [];
    let rest = frame.text;
    for (;;) {
      let best = -1, bestAt = Infinity;
      ids.forEach((id, i) => {
        const at = rest.indexOf(id);
        if (at >= 0 && at < bestAt) { bestAt = at; best = i; }
      });
      if (best < 0) { pieces.push(rest); break; }
      pieces.push(rest.slice(0, bestAt), best);
      rest = rest.slice(bestAt + ids[best].length);
    }
    // execution_* timestamps: now, so durations look like real ones.
    return { kind: "text", type: frame.type, pieces, stamped: /"timestamp":\d+/.test(frame.text) };
  }
  // Binary: byte offsets of ids (UUIDs are 36 ASCII bytes; fresh ids have the same length).
  const at = [];
  ids.forEach((id, i) => {
    let from = 0;
    for (;;) {
      const k = frame.bytes.indexOf(id, from, "latin1");
      if (k < 0) break;
      at.push([k, i]);
      from = k + id.length;
    }
  });
  return { kind: "binary", type: frame.type, bytes: frame.bytes, at };
}

/** Message mix of one loop over all templates: type -> count. */
export function mixOf(templates) {
  const mix = {};
  for (const t of templates) for (const f of t.frames) mix[f.type] = (mix[f.type] || 0) + 1;
  return mix;
}

/** An endless sequence of frames: template after template, fresh ids for each. */
export class Traffic {
  constructor(templates) {
    this.templates = templates;
    this.ti = 0;
    this.fi = 0;
    this.fresh = null;
    this.runs = 0;
  }
  next() {
    const t = this.templates[this.ti];
    if (this.fi === 0) {
      this.fresh = t.ids.map(() => crypto.randomUUID());
      this.runs += t.ids.length;
    }
    const frame = render(t.parts[this.fi], this.fresh);
    this.fi += 1;
    if (this.fi >= t.parts.length) {
      this.fi = 0;
      this.ti = (this.ti + 1) % this.templates.length;
    }
    return frame;
  }
}

export function render(p, fresh) {
  if (p.kind === "text") {
    let s = "";
    for (let i = 0; i < p.pieces.length; i++) {
      const x = p.pieces[i];
      s += typeof x === "number" ? fresh[x] : x;
    }
    if (p.stamped) s = s.replace(/"timestamp":\d+/g, `"timestamp":${Date.now()}`);
    return s;
  }
  if (p.at.length === 0) return p.bytes;
  const b = Buffer.from(p.bytes);
  for (const [k, i] of p.at) b.write(fresh[i], k, "latin1");
  return b;
}

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".jsonl": "application/x-ndjson",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

export class FloodServer {
  constructor({ dist, fixtures, port = 0 }) {
    this.dist = path.resolve(dist);
    this.port = port;
    this.templates = loadTemplates(fixtures);
    this.traffic = new Traffic(this.templates);
    const stats = path.join(fixtures, "http", "system_stats.json");
    this.systemStats = fs.existsSync(stats)
      ? JSON.stringify(JSON.parse(fs.readFileSync(stats, "utf8")).body)
      : '{"system":{},"devices":[]}';
    this.clients = new Set();
    this.sent = 0; // frames sent to the current client(s), all phases
    this.requests = {}; // API path kind -> count
  }

  async start() {
    this.http = http.createServer((req, res) => this.serve(req, res));
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
    this.http.on("upgrade", (req, socket, head) => {
      const p = new URL(req.url, "http://x").pathname;
      if (!/\/(telemetry|ws)$/.test(p)) return socket.destroy();
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        this.clients.add(ws);
        this.sent = 0; // counts what this page was sent (one page at a time)
        ws.on("close", () => this.clients.delete(ws));
        ws.on("error", () => this.clients.delete(ws));
        ws.on("message", () => {}); // feature_flags: ignored
      });
    });
    await new Promise((r) => this.http.listen(this.port, "127.0.0.1", r));
    this.port = this.http.address().port;
    return this;
  }

  url(p = "/") {
    return `http://127.0.0.1:${this.port}${p}`;
  }

  count(kind) {
    this.requests[kind] = (this.requests[kind] || 0) + 1;
  }

  serve(req, res) {
    const u = new URL(req.url, "http://x");
    const p = u.pathname;
    const json = (status, body) => {
      res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(body);
    };
    if (p.startsWith("/api/") || p === "/queue" || p === "/system_stats" || p.startsWith("/history")) {
      const api = p.replace(/^\/api/, "");
      if (api === "/queue") { this.count("queue"); return json(200, '{"queue_running":[],"queue_pending":[]}'); }
      if (api === "/system_stats") { this.count("system_stats"); return json(200, this.systemStats); }
      if (api.startsWith("/history")) { this.count("history"); return json(200, "{}"); }
      if (api === "/interrupt") return json(200, "{}");
      this.count(`other ${api.split("?")[0].split("/").slice(0, 2).join("/")}`);
      return json(404, '{"error":"not in the bench server"}');
    }
    if (p === "/__bench/baseline.html") {
      res.writeHead(200, { "content-type": MIME[".html"] });
      return res.end(fs.readFileSync(path.join(HERE, "baseline.html")));
    }
    // Static files from dist/, with the single-page-app fallback to index.html.
    let file = path.join(this.dist, decodeURIComponent(p));
    if (!file.startsWith(this.dist)) { res.writeHead(403); return res.end(); }
    if (!fs.existsSync(file) || fs.statSync(file).isDirectory()) file = path.join(this.dist, "index.html");
    res.writeHead(200, {
      "content-type": MIME[path.extname(file)] || "application/octet-stream",
      "cache-control": "no-store",
    });
    fs.createReadStream(file).pipe(res);
  }

  bufferedAmount() {
    let n = 0;
    for (const ws of this.clients) n += ws.bufferedAmount;
    return n;
  }

  send(frame) {
    for (const ws of this.clients) ws.send(frame);
    this.sent += 1;
  }

  /**
   * Sends the traffic at `rate` frames/s for `durationMs` (or until `maxFrames`). With
   * `backpressure`, pauses while more than that many bytes wait in the socket, so the rate
   * follows the page. `onTick(sentThisPhase)` may send extra frames (markers). Resolves with
   * { sent, ms, achieved } once the last frame has been handed to the socket.
   */
  flood({ rate, durationMs = Infinity, maxFrames = Infinity, backpressure = 0, frames = null }) {
    const source = frames || (() => this.traffic.next());
    return new Promise((resolve) => {
      const t0 = performance.now();
      let sent = 0;
      const tick = () => {
        const now = performance.now();
        const elapsed = now - t0;
        if (elapsed >= durationMs || sent >= maxFrames) {
          return resolve({ sent, ms: elapsed, achieved: (sent * 1000) / elapsed });
        }
        let due = Math.min(Math.floor((rate * elapsed) / 1000) - sent, maxFrames - sent);
        // A stalled timer (busy machine) is made up for, but at most 250 ms worth at once.
        due = Math.min(due, Math.ceil(rate / 4));
        while (due-- > 0) {
          if (backpressure && this.bufferedAmount() > backpressure) break;
          this.send(source());
          sent += 1;
        }
        setTimeout(tick, 1);
      };
      tick();
    });
  }

  async close() {
    for (const ws of this.clients) ws.terminate();
    this.wss.close();
    await new Promise((r) => this.http.close(r));
  }
}

// Stand-alone: a flood to look at by hand.
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const arg = (k, d) => {
    const i = process.argv.indexOf(`--${k}`);
    return i > 0 ? process.argv[i + 1] : d;
  };
  const fixtures = arg("fixtures", fs.existsSync(path.join(HERE, "../../shared/fixtures/comfyui"))
    ? path.join(HERE, "../../shared/fixtures/comfyui")
    : path.join(HERE, "../demo/recordings"));
  const s = await new FloodServer({ dist: arg("dist", path.join(HERE, "../dist")), fixtures, port: Number(arg("port", 8099)) }).start();
  const rate = Number(arg("rate", 1000));
  console.log(`flood: ${s.url()} at ${rate} msg/s, mix ${JSON.stringify(mixOf(s.templates))}`);
  for (;;) {
    if (s.clients.size === 0) { await new Promise((r) => setTimeout(r, 200)); continue; }
    await s.flood({ rate, durationMs: 1000 });
  }
}
