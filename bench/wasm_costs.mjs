// What each function of a wasm really costs in gzip, in the order the shipped file has them
// (issue 22). Raw sizes with gzip attributed pro rata mislead once a file is ordered by likeness
// (tools/wasm-order): a `drop_in_place` next to its twins costs a fifth of its raw share, a
// function like no other its whole share. Here the bodies are fed to one zlib stream (level 9,
// 32 kB window, as gzip -9) in the shipped order, flushed after each, and a function's cost is
// what the stream wrote for it. The flushes end a deflate block per function, so the sum is a few
// per cent above the file's own gzip; the shares are what to read.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { execFileSync } from "node:child_process";
import { withoutHashes } from "./crates.mjs";

function leb(buf, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = buf[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) return [value, at];
  }
}

/** A module's defined functions: their bodies, and their names from the name section (by index). */
function parse(buf) {
  let at = 8;
  let imported = 0;
  const bodies = [];
  const names = new Map();
  while (at < buf.length) {
    const id = buf[at];
    const [size, start] = leb(buf, at + 1);
    const end = start + size;
    if (id === 2) {
      // Imports: count the functions (kind 0), which come first in the function index space.
      let [count, p] = leb(buf, start);
      for (; count > 0; count--) {
        for (let k = 0; k < 2; k++) {
          const [len, q] = leb(buf, p);
          p = q + len;
        }
        const kind = buf[p++];
        if (kind === 0) {
          imported++;
          p = leb(buf, p)[1];
        } else if (kind === 1) {
          p += 1;
          const flags = buf[p++];
          p = leb(buf, p)[1];
          if (flags & 1) p = leb(buf, p)[1];
        } else if (kind === 2) {
          const flags = buf[p++];
          p = leb(buf, p)[1];
          if (flags & 1) p = leb(buf, p)[1];
        } else if (kind === 3) p += 2;
        else if (kind === 4) p = leb(buf, p + 1)[1];
        else throw new Error(`import kind ${kind}`);
      }
    } else if (id === 10) {
      let [count, p] = leb(buf, start);
      for (; count > 0; count--) {
        const [len, q] = leb(buf, p);
        bodies.push(buf.subarray(p, q + len));
        p = q + len;
      }
    } else if (id === 0) {
      const [len, p] = leb(buf, start);
      if (buf.toString("latin1", p, p + len) === "name") {
        let s = p + len;
        while (s < end) {
          const sub = buf[s];
          const [subSize, subStart] = leb(buf, s + 1);
          if (sub === 1) {
            let [count, q] = leb(buf, subStart);
            for (; count > 0; count--) {
              const [index, r] = leb(buf, q);
              const [nameLen, t] = leb(buf, r);
              names.set(index, buf.toString("utf8", t, t + nameLen));
              q = t + nameLen;
            }
          }
          s = subStart + subSize;
        }
      }
    }
    at = end;
  }
  return { imported, bodies, names };
}

/** Bytes zlib writes for each buffer, fed in this order and flushed after each. */
async function inPlace(buffers) {
  const stream = zlib.createDeflateRaw({ level: 9 });
  let written = 0;
  stream.on("data", (chunk) => (written += chunk.length));
  const costs = [];
  for (const b of buffers) {
    const before = written;
    stream.write(b);
    await new Promise((done) => stream.flush(zlib.constants.Z_SYNC_FLUSH, done));
    costs.push(written - before);
  }
  stream.end();
  return costs;
}

/**
 * Every function's gzip cost in the shipped order, by name: the order is what `orderTool`
 * (tools/wasm-order) gives this module, which is the shipped file's (it depends only on the
 * bodies, and a name section does not change them). Without the tool, wasm-opt's order.
 */
export async function gzipInPlace(namedWasm, orderTool) {
  const named = parse(fs.readFileSync(namedWasm));
  let order = named.bodies.map((_, i) => i);
  if (orderTool && fs.existsSync(orderTool)) {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "wasm-costs-")), "ranked.wasm");
    execFileSync(orderTool, [namedWasm, out]);
    const ranked = parse(fs.readFileSync(out));
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
    const place = (i) => Number(ranked.names.get(ranked.imported + i));
    order = order.sort((a, b) => place(a) - place(b));
  }
  const costs = await inPlace(order.map((i) => named.bodies[i]));
  const byName = new Map();
  order.forEach((i, k) => {
    const name = withoutHashes(named.names.get(named.imported + i) || `code[${i}]`);
    byName.set(name, (byName.get(name) || 0) + costs[k]);
  });
  return { byName, total: costs.reduce((s, c) => s + c, 0) };
}
