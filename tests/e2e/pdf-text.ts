// The text of a PDF that Chromium printed (page.pdf()), with no dependency beyond node:zlib.
// Chromium (Skia) writes plain objects (no object streams), Flate-compressed content streams,
// and fonts as Type0 with a ToUnicode CMap: text is shown as hex glyph ids (`<0012003A> Tj`,
// `[<..> -250 <..>] TJ`) in the current font (`/F3 12 Tf`). This reads exactly that much: enough
// to check what a printout says, not a general PDF reader.
import { inflateSync } from 'node:zlib';

interface Obj {
  dict: string;
  stream?: Buffer;
}

function objects(pdf: Buffer): Map<number, Obj> {
  const text = pdf.toString('latin1');
  const out = new Map<number, Obj>();
  const re = /(\d+) 0 obj\b/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    const start = m.index + m[0].length;
    const end = text.indexOf('endobj', start);
    if (end < 0) break;
    const body = text.slice(start, end);
    const s = body.indexOf('stream');
    let obj: Obj = { dict: body };
    if (s >= 0 && body.slice(0, s).includes('<<')) {
      let from = start + s + 'stream'.length;
      if (text[from] === '\r') from++;
      if (text[from] === '\n') from++;
      const stop = text.lastIndexOf('endstream', end);
      const raw = pdf.subarray(from, stop);
      let data = raw;
      if (/\/FlateDecode/.test(body.slice(0, s))) {
        try {
          data = inflateSync(raw);
        } catch {
          data = inflateSync(raw.subarray(0, raw.length - 1));
        }
      }
      obj = { dict: body.slice(0, s), stream: data };
    }
    out.set(Number(m[1]), obj);
    re.lastIndex = end;
  }
  return out;
}

/** A ToUnicode CMap: glyph id (hex) to text. */
function cmap(src: string): Map<number, string> {
  const map = new Map<number, string>();
  const utf16 = (hex: string) => {
    let s = '';
    for (let i = 0; i + 4 <= hex.length; i += 4) s += String.fromCharCode(parseInt(hex.slice(i, i + 4), 16));
    return s;
  };
  for (const block of src.matchAll(/beginbfchar([\s\S]*?)endbfchar/g)) {
    for (const p of block[1].matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>/g)) map.set(parseInt(p[1], 16), utf16(p[2]));
  }
  for (const block of src.matchAll(/beginbfrange([\s\S]*?)endbfrange/g)) {
    for (const p of block[1].matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*(<([0-9a-fA-F]+)>|\[([^\]]*)\])/g)) {
      const lo = parseInt(p[1], 16);
      const hi = parseInt(p[2], 16);
      if (p[4] !== undefined) {
        const base = parseInt(p[4], 16);
        for (let g = lo; g <= hi; g++) map.set(g, String.fromCharCode(base + g - lo));
      } else {
        const items = [...(p[5] ?? '').matchAll(/<([0-9a-fA-F]+)>/g)].map((x) => utf16(x[1]));
        items.forEach((t, i) => map.set(lo + i, t));
      }
    }
  }
  return map;
}

/** Every page's text, in content-stream order; runs of text separated by spaces and lines. */
export function pdfText(pdf: Buffer): string {
  const objs = objects(pdf);
  const ref = (dict: string, key: string) => {
    const m = new RegExp(`/${key}\\s+(\\d+) 0 R`).exec(dict);
    return m ? Number(m[1]) : undefined;
  };
  // Font object number -> its CMap.
  const fonts = new Map<number, Map<number, string>>();
  for (const [n, o] of objs) {
    if (!/\/Type\s*\/Font/.test(o.dict)) continue;
    const tu = ref(o.dict, 'ToUnicode');
    const s = tu !== undefined ? objs.get(tu)?.stream : undefined;
    if (s) fonts.set(n, cmap(s.toString('latin1')));
  }
  const pages: string[] = [];
  for (const o of objs.values()) {
    if (!/\/Type\s*\/Page\b/.test(o.dict)) continue;
    // The page's font names (inline resources, or a resources object).
    let res = o.dict;
    const resRef = ref(o.dict, 'Resources');
    if (resRef !== undefined) res = objs.get(resRef)?.dict ?? '';
    let fontDict = /\/Font\s*<<([\s\S]*?)>>/.exec(res)?.[1] ?? '';
    const fontRef = ref(res, 'Font');
    if (!fontDict && fontRef !== undefined) fontDict = objs.get(fontRef)?.dict ?? '';
    const byName = new Map<string, Map<number, string>>();
    for (const f of fontDict.matchAll(/\/([^\s/<>\[\]]+)\s+(\d+) 0 R/g)) {
      const m = fonts.get(Number(f[2]));
      if (m) byName.set(f[1], m);
    }
    const contents: number[] = [];
    const single = ref(o.dict, 'Contents');
    if (single !== undefined) contents.push(single);
    const arr = /\/Contents\s*\[([^\]]*)\]/.exec(o.dict);
    if (arr) for (const r of arr[1].matchAll(/(\d+) 0 R/g)) contents.push(Number(r[1]));
    let text = '';
    for (const c of contents) {
      const src = objs.get(c)?.stream?.toString('latin1') ?? '';
      let font: Map<number, string> | undefined;
      const show = (hex: string) => {
        for (let i = 0; i + 4 <= hex.length; i += 4) text += font?.get(parseInt(hex.slice(i, i + 4), 16)) ?? '';
      };
      const ops = /\/([^\s/<>\[\]]+)\s+[\d.]+\s+Tf|<([0-9a-fA-F]*)>\s*Tj|\[((?:[^\]])*)\]\s*TJ|\b(ET|T\*|Td|TD)\b/g;
      for (const op of src.matchAll(ops)) {
        if (op[1] !== undefined) font = byName.get(op[1]);
        else if (op[2] !== undefined) show(op[2]);
        else if (op[3] !== undefined) {
          for (const part of op[3].matchAll(/<([0-9a-fA-F]*)>|(-?[\d.]+)/g)) {
            if (part[1] !== undefined) show(part[1]);
            else if (Number(part[2]) < -200) text += ' ';
          }
        } else text += op[4] === 'ET' ? '\n' : ' ';
      }
    }
    pages.push(text);
  }
  return pages.join('\n\f\n');
}

/**
 * Text for comparisons that must not depend on layout: whitespace removed, ligatures Skia
 * substitutes (the "fl" of "Workflow") unfolded (NFKC), and lowercase (CSS `text-transform`
 * changes what is printed, not the DOM text).
 */
export const squeeze = (s: string) => s.normalize('NFKC').replace(/\s+/g, '').toLowerCase();
