// A seeded, deterministic document mutator for the fuzzer (scripts/fuzz.mjs) and the fuzz test.
//
// `mutate(seeds, masterSeed, index)` turns one of the seed documents into a mutant. The same seeds, master
// seed and index always give the same bytes, so a finding is replayed from its numbers alone. Mutations are
// byte-level (bit flips, interesting values, truncation, chunk duplication/deletion, splicing two seeds) and
// structure-aware: PDFs are rebuilt object by object (self-referencing page trees and forms, absurd numbers,
// duplicated objects, broken cross-reference tables, decompression bombs, deep nesting), images get absurd
// dimensions in their headers (PNG IHDR with its CRC recomputed, JPEG SOF, TIFF IFDs and IFD loops, BMP and
// GIF headers, WebP canvas and frame sizes). Mutants never exceed MAX_MUTANT_BYTES.
import zlib from 'node:zlib';
import { mulberry32 } from './prng.mjs';

/** Mutants are cut to this size so a batch stays small on disk and quick to read. */
export const MAX_MUTANT_BYTES = 2 * 1024 * 1024;

/**
 * The default seed documents, relative to fixtures/. A fixed list rather than whatever the folders hold, so that a
 * seed number and an index keep naming the same mutant when fixtures are added; growing it renumbers every mutant.
 */
export const DEFAULT_SEED_FILES = [
  'images/invoice.png', 'images/letter.tiff', 'images/memo.webp', 'images/note.bmp', 'images/receipt.jpg', 'images/sign.gif',
  'pdfs/born-digital.pdf', 'pdfs/corrupt.pdf', 'pdfs/mixed.pdf', 'pdfs/protected.pdf', 'pdfs/scanned.pdf',
];

// ---------------------------------------------------------------------------------------------------------
// PRNG

export { mulberry32 };

/** The seed of mutant `index` in a run seeded with `masterSeed` (each mutant is reproducible on its own). */
export function mutantSeed(masterSeed, index) {
  let h = (Math.imul(masterSeed >>> 0, 0x9e3779b1) ^ Math.imul(index >>> 0, 0x85ebca6b)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

export class Rng {
  constructor(seed) {
    this.next = mulberry32(seed);
  }
  /** Integer in [0, n). */
  int(n) {
    return Math.floor(this.next() * n);
  }
  /** Integer in [lo, hi]. */
  range(lo, hi) {
    return lo + this.int(hi - lo + 1);
  }
  chance(p) {
    return this.next() < p;
  }
  pick(items) {
    return items[this.int(items.length)];
  }
  /** Picks from [item, weight] pairs. */
  weighted(pairs) {
    let total = 0;
    for (const [, w] of pairs) total += w;
    let r = this.next() * total;
    for (const [item, w] of pairs) {
      r -= w;
      if (r < 0) return item;
    }
    return pairs[pairs.length - 1][0];
  }
  /** A length biased towards small values, at most `max`. */
  smallLength(max) {
    const cap = Math.max(1, max);
    return 1 + Math.min(cap - 1, Math.floor(cap ** this.next()) - 1);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Types

/** The type of a document from its first bytes (the same families the CLI sniffs). */
export function sniffKind(buf) {
  const head = (n) => buf.subarray(0, n).toString('latin1');
  if (buf.length >= 5 && buf.subarray(0, 1024).toString('latin1').includes('%PDF-')) return 'pdf';
  if (buf.length >= 8 && buf.readUInt32BE(0) === 0x89504e47) return 'png';
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'jpeg';
  if (head(4) === 'II*\0' || head(4) === 'MM\0*') return 'tiff';
  if (head(2) === 'BM') return 'bmp';
  if (head(6) === 'GIF87a' || head(6) === 'GIF89a') return 'gif';
  if (head(4) === 'RIFF' && buf.subarray(8, 12).toString('latin1') === 'WEBP') return 'webp';
  return 'other';
}

export const EXTENSIONS = { pdf: 'pdf', png: 'png', jpeg: 'jpg', tiff: 'tiff', bmp: 'bmp', gif: 'gif', webp: 'webp', other: 'bin' };

// ---------------------------------------------------------------------------------------------------------
// Interesting values

const INTERESTING_8 = [0, 1, 0x7f, 0x80, 0xff];
const INTERESTING_16 = [0, 1, 0x7fff, 0x8000, 0xffff, 0x100, 0x3fff, 0x4000];
const INTERESTING_32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x10000, 0x3fffffff, 0x40000000];

/** Numbers written as PDF text: limits of 32-bit integers, huge reals, zero and negatives. */
const PDF_NUMBERS = [
  '0', '-1', '1', '2147483647', '2147483648', '-2147483648', '4294967295', '4294967296', '999999999',
  '99999999', '1e9', '1e308', '9999999999999999999999999', '0.0000001', '-0', '65536', '32767', '-32768',
  '3.4e38', '.', '--5', '1.2.3',
];

/** Image dimensions (per side) that probe limits: zero, one, just under caps, far beyond them. */
const DIMENSIONS = [0, 1, 2, 3, 255, 256, 16383, 16384, 32767, 32768, 65535, 65536, 99999, 1e6, 0x7fffffff, 0xffffffff];

/** Width × height pairs just under or at 100 megapixels, the engine's per-page pixel cap. */
const NEAR_PIXEL_CAP = [
  [10000, 10000],
  [10000, 9999],
  [100000000, 1],
  [1, 100000000],
  [20000, 5000],
  [8000, 8000],
];

// ---------------------------------------------------------------------------------------------------------
// Byte-level mutations (any type)

function bitFlip(rng, buf) {
  const out = Buffer.from(buf);
  const flips = rng.smallLength(32);
  for (let i = 0; i < flips; i++) {
    const at = bodyOffset(rng, out.length);
    out[at] ^= 1 << rng.int(8);
  }
  return { data: out, op: `bitflip×${flips}` };
}

/** An offset, mostly past the first 16 bytes so the type is still recognised. */
function bodyOffset(rng, length) {
  if (length <= 16 || rng.chance(0.05)) return rng.int(Math.max(1, length));
  return 16 + rng.int(length - 16);
}

function interestingBytes(rng, buf) {
  const out = Buffer.from(buf);
  const n = rng.smallLength(8);
  for (let i = 0; i < n; i++) {
    const width = rng.pick([1, 2, 4]);
    if (out.length < width) break;
    const at = Math.min(bodyOffset(rng, out.length), out.length - width);
    const le = rng.chance(0.5);
    if (width === 1) out[at] = rng.pick(INTERESTING_8);
    else if (width === 2) (le ? out.writeUInt16LE : out.writeUInt16BE).call(out, rng.pick(INTERESTING_16), at);
    else (le ? out.writeUInt32LE : out.writeUInt32BE).call(out, rng.pick(INTERESTING_32), at);
  }
  return { data: out, op: `interesting×${n}` };
}

function truncate(rng, buf) {
  const keep = rng.weighted([
    [() => buf.length - rng.smallLength(Math.min(64, buf.length)), 3],
    [() => rng.int(buf.length), 4],
    [() => rng.range(0, Math.min(64, buf.length)), 1],
  ])();
  return { data: buf.subarray(0, Math.max(0, keep)), op: `truncate@${keep}` };
}

function duplicateChunk(rng, buf) {
  if (buf.length < 2) return null;
  const len = rng.smallLength(Math.min(buf.length, 64 * 1024));
  const from = rng.int(buf.length - len + 1);
  const to = rng.int(buf.length + 1);
  const times = rng.chance(0.1) ? rng.range(2, 64) : 1;
  const chunk = buf.subarray(from, from + len);
  const parts = [buf.subarray(0, to)];
  for (let i = 0; i < times; i++) parts.push(chunk);
  parts.push(buf.subarray(to));
  return { data: Buffer.concat(parts), op: `dup-chunk ${len}B×${times}` };
}

function deleteChunk(rng, buf) {
  if (buf.length < 2) return null;
  const len = rng.smallLength(Math.min(buf.length - 1, 64 * 1024));
  const from = rng.int(buf.length - len + 1);
  return { data: Buffer.concat([buf.subarray(0, from), buf.subarray(from + len)]), op: `del-chunk ${len}B` };
}

/** The start of one document and the end of another (same type or not). */
function splice(rng, buf, partner) {
  if (!partner) return null;
  const a = rng.int(buf.length + 1);
  const b = rng.int(partner.data.length + 1);
  return { data: Buffer.concat([buf.subarray(0, a), partner.data.subarray(b)]), op: `splice ${a}+${partner.name}@${b}` };
}

/** A chunk of another document inserted (or written over this one). */
function insertForeign(rng, buf, partner) {
  if (!partner || partner.data.length === 0) return null;
  const len = rng.smallLength(Math.min(partner.data.length, 32 * 1024));
  const from = rng.int(partner.data.length - len + 1);
  const at = rng.int(buf.length + 1);
  const chunk = partner.data.subarray(from, from + len);
  if (rng.chance(0.5)) {
    return { data: Buffer.concat([buf.subarray(0, at), chunk, buf.subarray(at)]), op: `insert ${len}B of ${partner.name}` };
  }
  return { data: Buffer.concat([buf.subarray(0, at), chunk, buf.subarray(Math.min(buf.length, at + len))]), op: `overwrite ${len}B of ${partner.name}` };
}

const BYTE_MUTATIONS = [
  [bitFlip, 4],
  [interestingBytes, 4],
  [truncate, 3],
  [duplicateChunk, 2],
  [deleteChunk, 2],
  [splice, 1],
  [insertForeign, 1],
];

// ---------------------------------------------------------------------------------------------------------
// PDF: a small object model for uncompressed PDFs (what the fixtures are), rebuilt with a correct xref

/**
 * Objects of a PDF with a classic xref table, or null when it cannot be read that way. Streams are kept as
 * bytes; dictionaries as text.
 */
export function parsePdf(buf) {
  const text = buf.toString('latin1');
  const headerEnd = text.search(/\d+\s+\d+\s+obj\b/);
  if (headerEnd < 0) return null;
  const objects = [];
  const re = /(\d+)\s+(\d+)\s+obj\b/g;
  re.lastIndex = headerEnd;
  let m;
  let end = headerEnd;
  while ((m = re.exec(text))) {
    const start = m.index + m[0].length;
    const nextStream = text.indexOf('stream', start);
    const nextEnd = text.indexOf('endobj', start);
    if (nextEnd < 0) return null;
    let dict;
    let stream = null;
    let after;
    if (nextStream >= 0 && nextStream < nextEnd) {
      dict = text.slice(start, nextStream);
      let dataStart = nextStream + 'stream'.length;
      if (text[dataStart] === '\r') dataStart++;
      if (text[dataStart] === '\n') dataStart++;
      const len = /\/Length\s+(\d+)(?!\s+\d+\s+R)/.exec(dict);
      let dataEnd = len ? dataStart + Number(len[1]) : -1;
      if (dataEnd < 0 || text.slice(dataEnd, dataEnd + 20).trim().slice(0, 9) !== 'endstream') {
        dataEnd = text.indexOf('endstream', dataStart);
        if (dataEnd < 0) return null;
        while (dataEnd > dataStart && (text[dataEnd - 1] === '\n' || text[dataEnd - 1] === '\r')) dataEnd--;
      }
      stream = buf.subarray(dataStart, dataEnd);
      const endObj = text.indexOf('endobj', dataEnd);
      if (endObj < 0) return null;
      after = endObj + 'endobj'.length;
    } else {
      dict = text.slice(start, nextEnd);
      after = nextEnd + 'endobj'.length;
    }
    objects.push({ num: Number(m[1]), gen: Number(m[2]), dict: dict.trim(), stream });
    re.lastIndex = after;
    end = after;
  }
  if (objects.length === 0) return null;
  const trailerMatch = /trailer\s*(<<[\s\S]*?>>)\s*startxref/.exec(text.slice(end));
  const trailer = trailerMatch ? trailerMatch[1] : `<< /Size ${objects.length + 1} /Root 1 0 R >>`;
  return { header: text.slice(0, headerEnd), objects, trailer };
}

/** Writes a model back: objects in order, a fresh xref table, the trailer with a matching /Size. */
export function serializePdf(model, { brokenXref } = {}) {
  const parts = [Buffer.from(model.header, 'latin1')];
  let offset = parts[0].length;
  const offsets = new Map();
  for (const o of model.objects) {
    offsets.set(o.num, offset);
    let chunk;
    if (o.stream) {
      const dict = o.fixLength === false ? o.dict : setKey(o.dict, 'Length', String(o.stream.length));
      chunk = Buffer.concat([
        Buffer.from(`${o.num} ${o.gen} obj\n${dict}\nstream\n`, 'latin1'),
        o.stream,
        Buffer.from('\nendstream\nendobj\n', 'latin1'),
      ]);
    } else {
      chunk = Buffer.from(`${o.num} ${o.gen} obj\n${o.dict}\nendobj\n`, 'latin1');
    }
    parts.push(chunk);
    offset += chunk.length;
  }
  const size = Math.max(0, ...model.objects.map((o) => o.num)) + 1;
  let xref = `xref\n0 ${size}\n0000000000 65535 f \n`;
  for (let n = 1; n < size; n++) {
    let at = offsets.get(n);
    if (brokenXref) at = brokenXref(n, at);
    xref += at === undefined ? '0000000000 65535 f \n' : `${String(at).padStart(10, '0').slice(-10)} 00000 n \n`;
  }
  const trailer = model.keepTrailerSize ? model.trailer : setKey(model.trailer, 'Size', String(size));
  const startxref = model.startxref ?? String(offset);
  parts.push(Buffer.from(`${xref}trailer\n${trailer}\nstartxref\n${startxref}\n%%EOF\n`, 'latin1'));
  return Buffer.concat(parts);
}

/** Sets `/Key value` in a dictionary's text (replacing a simple existing value, or adding it). */
function setKey(dict, key, value) {
  const re = new RegExp(`/${key}(?![A-Za-z0-9])\\s*(\\[[^\\]]*\\]|\\d+\\s+\\d+\\s+R|/[^\\s/<>\\[\\]()]+|\\([^)]*\\)|<[0-9A-Fa-f\\s]*>|[-+.\\deE]+|true|false|null)?`);
  if (re.test(dict)) return dict.replace(re, `/${key} ${value}`);
  const open = dict.indexOf('<<');
  if (open < 0) return `<< /${key} ${value} >>`;
  return `${dict.slice(0, open + 2)} /${key} ${value}${dict.slice(open + 2)}`;
}

const byType = (model, type) => model.objects.filter((o) => new RegExp(`/Type\\s*/${type}(?![A-Za-z])`).test(o.dict));
const nextNum = (model) => Math.max(0, ...model.objects.map((o) => o.num)) + 1;

function pageObjects(model) {
  return model.objects.filter((o) => /\/Type\s*\/Page(?![a-z])/.test(o.dict));
}

/** Numbers in dictionaries replaced with absurd ones, key by key or at random. */
function pdfAbsurdNumbers(rng, model) {
  const keys = ['Width', 'Height', 'Count', 'Length', 'BitsPerComponent', 'Rotate', 'Size', 'Columns', 'Rows', 'Predictor',
    'Colors', 'First', 'N', 'K', 'R', 'V', 'P', 'UserUnit', 'Prev'];
  const changes = [];
  const n = rng.smallLength(4);
  for (let i = 0; i < n; i++) {
    const key = rng.pick(keys);
    const holders = model.objects.filter((o) => new RegExp(`/${key}\\s+[-+.\\d]`).test(o.dict));
    const value = rng.pick(PDF_NUMBERS);
    if (holders.length) {
      const o = rng.pick(holders);
      o.dict = setKey(o.dict, key, value);
      if (key === 'Length') o.fixLength = false;
      changes.push(`/${key} ${value}`);
    } else if (key === 'Size' || key === 'Prev') {
      model.trailer = setKey(model.trailer, key, value);
      if (key === 'Size') model.keepTrailerSize = true;
      changes.push(`trailer /${key} ${value}`);
    }
  }
  return changes.length ? `absurd-numbers ${changes.join(' ')}` : null;
}

function pdfMediaBox(rng, model) {
  const pages = pageObjects(model);
  if (!pages.length) return null;
  const box = rng.pick([
    '[0 0 1e9 1e9]', '[0 0 999999999 999999999]', '[0 0 0 0]', '[0 0 -612 -792]', '[0 0 14400 14400]',
    '[1e9 1e9 0 0]', '[0 0 612]', '[0 0 612 792 5 6]', '[0 0 2147483647 1]', '[0 0 1 2147483647]',
    '[-1e9 -1e9 1e9 1e9]', '[0 0 7200 7200]', '[0 0 0.001 0.001]', '[/a /b /c /d]', '5 0 R',
  ]);
  const page = rng.pick(pages);
  page.dict = setKey(page.dict, 'MediaBox', box);
  let op = `mediabox ${box}`;
  if (rng.chance(0.3)) {
    const unit = rng.pick(['75000', '1e9', '0', '-1']);
    page.dict = setKey(page.dict, 'UserUnit', unit);
    op += ` /UserUnit ${unit}`;
  }
  if (rng.chance(0.2)) {
    const rot = rng.pick(['90', '45', '-270', '2147483647', '1e9']);
    page.dict = setKey(page.dict, 'Rotate', rot);
    op += ` /Rotate ${rot}`;
  }
  return op;
}

/** Page trees that point back at themselves or at their ancestors. */
function pdfSelfReference(rng, model) {
  const pagesNodes = byType(model, 'Pages');
  const pages = pageObjects(model);
  if (!pagesNodes.length) return null;
  const root = pagesNodes[0];
  const variant = rng.pick(['kids-self', 'kids-self-and-pages', 'parent-self', 'kids-catalog', 'two-node-loop', 'page-is-pages']);
  switch (variant) {
    case 'kids-self':
      root.dict = setKey(root.dict, 'Kids', `[${root.num} 0 R]`);
      break;
    case 'kids-self-and-pages':
      root.dict = setKey(root.dict, 'Kids', `[${pages.map((p) => `${p.num} 0 R`).join(' ')} ${root.num} 0 R]`);
      break;
    case 'parent-self': {
      if (!pages.length) return null;
      const p = rng.pick(pages);
      p.dict = setKey(p.dict, 'Parent', `${p.num} 0 R`);
      break;
    }
    case 'kids-catalog': {
      const catalog = byType(model, 'Catalog')[0];
      if (!catalog) return null;
      root.dict = setKey(root.dict, 'Kids', `[${catalog.num} 0 R]`);
      break;
    }
    case 'two-node-loop': {
      const n = nextNum(model);
      root.dict = setKey(root.dict, 'Kids', `[${n} 0 R]`);
      model.objects.push({ num: n, gen: 0, dict: `<< /Type /Pages /Parent ${root.num} 0 R /Kids [${root.num} 0 R] /Count 1 >>`, stream: null });
      break;
    }
    case 'page-is-pages': {
      if (!pages.length) return null;
      const p = rng.pick(pages);
      p.dict = p.dict.replace(/\/Type\s*\/Page(?![a-z])/, '/Type /Pages');
      p.dict = setKey(p.dict, 'Kids', `[${p.num} 0 R]`);
      break;
    }
  }
  if (rng.chance(0.5)) root.dict = setKey(root.dict, 'Count', rng.pick(['1', '2147483647', '0', '-1', '1000']));
  return `self-reference ${variant}`;
}

/** A form XObject that draws itself (or two that draw each other), drawn by the first page. */
function pdfRecursiveForm(rng, model) {
  const pages = pageObjects(model);
  if (!pages.length) return null;
  const page = rng.pick(pages);
  const a = nextNum(model);
  const mutual = rng.chance(0.4);
  const b = mutual ? a + 1 : a;
  const content = a + (mutual ? 2 : 1);
  const body = () => Buffer.from('q 0.5 0 0 0.5 10 10 cm /Fx Do Q 0 0 m 100 100 l S /Fx Do', 'latin1');
  model.objects.push({
    num: a, gen: 0, stream: body(),
    dict: `<< /Type /XObject /Subtype /Form /BBox [0 0 400 400] /Resources << /XObject << /Fx ${b} 0 R >> >> >>`,
  });
  if (mutual) {
    model.objects.push({
      num: b, gen: 0, stream: body(),
      dict: `<< /Type /XObject /Subtype /Form /BBox [0 0 400 400] /Resources << /XObject << /Fx ${a} 0 R >> >> >>`,
    });
  }
  model.objects.push({ num: content, gen: 0, dict: '<< >>', stream: Buffer.from('q /Fx Do Q', 'latin1') });
  const existing = /\/Contents\s+(\d+\s+0\s+R|\[[^\]]*\])/.exec(page.dict);
  const old = existing ? existing[1].replace(/^\[|\]$/g, '') : '';
  page.dict = setKey(page.dict, 'Contents', `[${old} ${content} 0 R]`);
  // Resources: a fresh dictionary naming the form (fonts kept when they were inline).
  const font = /\/Font\s*<<[^>]*>>/.exec(page.dict);
  page.dict = page.dict.replace(/\/Resources\s*(<<(?:[^<>]|<<[^<>]*>>)*>>|\d+\s+0\s+R)/, '');
  page.dict = setKey(page.dict, 'Resources', `<< ${font ? font[0] : ''} /XObject << /Fx ${a} 0 R >> >>`);
  return `recursive-form ${mutual ? 'mutual' : 'self'}`;
}

/** Objects duplicated: the same number defined twice with different bodies, or a page repeated in the tree. */
function pdfDuplicateObjects(rng, model) {
  const variant = rng.pick(['same-number', 'same-number-other-body', 'page-repeated']);
  if (variant === 'page-repeated') {
    const root = byType(model, 'Pages')[0];
    const pages = pageObjects(model);
    if (!root || !pages.length) return null;
    const page = rng.pick(pages);
    const times = rng.weighted([[2, 4], [10, 4], [50, 2], [300, 1], [2000, 0.25]]);
    root.dict = setKey(root.dict, 'Kids', `[${Array(times).fill(`${page.num} 0 R`).join(' ')}]`);
    root.dict = setKey(root.dict, 'Count', String(times));
    return `dup-objects page ${page.num} ×${times}`;
  }
  const o = rng.pick(model.objects);
  const copy = { ...o };
  if (variant === 'same-number-other-body') {
    const other = rng.pick(model.objects);
    copy.dict = other.dict;
    copy.stream = other.stream;
  }
  model.objects.splice(rng.int(model.objects.length + 1), 0, copy);
  return `dup-objects ${variant} ${o.num}`;
}

/** A cross-reference table with wrong offsets, or a startxref/prev chain that goes nowhere or in a circle. */
function pdfBreakXref(rng, model) {
  const variant = rng.pick(['random-offsets', 'shifted', 'past-eof', 'all-zero', 'startxref', 'prev-loop']);
  switch (variant) {
    case 'random-offsets':
      model.brokenXref = (_n, at) => (at !== undefined && rng.chance(0.3) ? rng.int(at * 2 + 100) : at);
      break;
    case 'shifted': {
      const by = rng.pick([-7, -1, 1, 3, 100]);
      model.brokenXref = (_n, at) => (at === undefined ? at : Math.max(0, at + by));
      break;
    }
    case 'past-eof':
      model.brokenXref = (_n, at) => (at === undefined ? at : rng.pick([9999999999, 2147483647, 4294967295]));
      break;
    case 'all-zero':
      model.brokenXref = () => 0;
      break;
    case 'startxref':
      model.startxref = rng.pick(['0', '-1', '999999999', '1e9', 'abc', '18446744073709551616', '5']);
      break;
    case 'prev-loop':
      // /Prev pointing at the table itself: serializePdf puts it right after the last object.
      model.prevLoop = true;
      break;
  }
  return `broken-xref ${variant}`;
}

/** Streams that inflate to tens or hundreds of megabytes, as page content or as an image. */
const bombCache = new Map();
function deflatedRepeat(pattern, bytes) {
  const key = `${pattern}:${bytes}`;
  let out = bombCache.get(key);
  if (!out) {
    const unit = Buffer.from(pattern, 'latin1');
    const block = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < block.length; i++) block[i] = unit[i % unit.length];
    const chunks = [];
    for (let done = 0; done < bytes; done += block.length) chunks.push(block);
    out = zlib.deflateSync(Buffer.concat(chunks), { level: 9 });
    bombCache.set(key, out);
  }
  return out;
}

function pdfFlateBomb(rng, model) {
  const pages = pageObjects(model);
  if (!pages.length) return null;
  const page = rng.pick(pages);
  const mb = rng.weighted([[1, 4], [16, 3], [64, 2], [256, 1]]);
  const pattern = rng.pick(['q ', '0 0 m 1 1 l S\n', '   ', '1 0 0 1 0 0 cm\n', 'BT /F1 12 Tf (x) Tj ET\n', '[']);
  const n = nextNum(model);
  if (rng.chance(0.7)) {
    model.objects.push({ num: n, gen: 0, dict: '<< /Filter /FlateDecode >>', stream: deflatedRepeat(pattern, mb * 1024 * 1024) });
    page.dict = setKey(page.dict, 'Contents', `${n} 0 R`);
    return `flate-bomb content ${mb}MiB of ${JSON.stringify(pattern)}`;
  }
  // A gray image whose declared size matches the bomb, painted over the page.
  const side = Math.floor(Math.sqrt(mb * 1024 * 1024));
  model.objects.push({
    num: n, gen: 0, stream: deflatedRepeat('\xff', side * side),
    dict: `<< /Type /XObject /Subtype /Image /Width ${side} /Height ${side} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode >>`,
  });
  model.objects.push({ num: n + 1, gen: 0, dict: '<< >>', stream: Buffer.from('q 432 0 0 288 0 0 cm /Im9 Do Q', 'latin1') });
  page.dict = page.dict.replace(/\/Resources\s*(<<(?:[^<>]|<<[^<>]*>>)*>>|\d+\s+0\s+R)/, '');
  page.dict = setKey(page.dict, 'Resources', `<< /XObject << /Im9 ${n} 0 R >> >>`);
  page.dict = setKey(page.dict, 'Contents', `${n + 1} 0 R`);
  return `flate-bomb image ${side}x${side}`;
}

/** Arrays or dictionaries nested thousands deep, in an object or in page content. */
function pdfDeepNesting(rng, model) {
  const depth = rng.weighted([[100, 1], [1000, 2], [10000, 2], [100000, 1]]);
  const kind = rng.pick(['array', 'dict', 'content']);
  if (kind === 'content') {
    const pages = pageObjects(model);
    if (!pages.length) return null;
    const n = nextNum(model);
    const ops = rng.pick(['q ', '[', '<< /A ', 'BT ']);
    model.objects.push({ num: n, gen: 0, dict: '<< >>', stream: Buffer.from(ops.repeat(depth), 'latin1') });
    const page = rng.pick(pages);
    page.dict = setKey(page.dict, 'Contents', `${n} 0 R`);
    return `deep-nesting content ${JSON.stringify(ops)}×${depth}`;
  }
  const o = rng.pick(model.objects.filter((x) => x.dict.startsWith('<<')));
  if (!o) return null;
  const [open, close] = kind === 'array' ? ['[', ']'] : ['<< /A ', '>>'];
  const value = open.repeat(depth) + (rng.chance(0.5) ? close.repeat(depth) : '');
  o.dict = o.dict.replace('<<', `<< /Deep ${value}`);
  return `deep-nesting ${kind}×${depth}`;
}

/** Image XObjects with sizes or filters that do not match their data. */
function pdfImageLies(rng, model) {
  const images = model.objects.filter((o) => /\/Subtype\s*\/Image/.test(o.dict));
  if (!images.length) return null;
  const img = rng.pick(images);
  const variant = rng.pick(['dims', 'dims', 'filter', 'bpc', 'colorspace']);
  if (variant === 'dims') {
    const [w, h] = rng.chance(0.4) ? rng.pick(NEAR_PIXEL_CAP) : [rng.pick(DIMENSIONS), rng.pick(DIMENSIONS)];
    img.dict = setKey(setKey(img.dict, 'Width', String(w)), 'Height', String(h));
    return `image-lies ${w}x${h}`;
  }
  if (variant === 'filter') {
    const filter = rng.pick(['/JPXDecode', '/JBIG2Decode', '/CCITTFaxDecode', '/LZWDecode', '/RunLengthDecode',
      '/ASCII85Decode', '/ASCIIHexDecode', '/FlateDecode', '[/FlateDecode /DCTDecode]', '[/DCTDecode /DCTDecode]', '/Crypt', '/Bogus']);
    img.dict = setKey(img.dict, 'Filter', filter);
    if (filter === '/CCITTFaxDecode' && rng.chance(0.7)) {
      img.dict = setKey(img.dict, 'DecodeParms', `<< /K ${rng.pick(['-1', '0', '1'])} /Columns ${rng.pick(PDF_NUMBERS)} /Rows ${rng.pick(PDF_NUMBERS)} >>`);
    }
    return `image-lies filter ${filter}`;
  }
  if (variant === 'bpc') {
    const bpc = rng.pick(['0', '1', '2', '3', '16', '32', '255']);
    img.dict = setKey(img.dict, 'BitsPerComponent', bpc);
    return `image-lies bpc ${bpc}`;
  }
  const cs = rng.pick(['/DeviceCMYK', '/DeviceGray', '/Indexed', '[/Indexed /DeviceRGB 255 <00>]', '[/ICCBased 1 0 R]', '/Pattern', '[/Separation /All /DeviceGray 1 0 R]']);
  img.dict = setKey(img.dict, 'ColorSpace', cs);
  return `image-lies colorspace ${cs}`;
}

/** Page content with extreme operators: huge transforms, line widths, dash arrays, inline images. */
function pdfWildContent(rng, model) {
  const pages = pageObjects(model);
  if (!pages.length) return null;
  const ops = rng.pick([
    '1e9 0 0 1e9 0 0 cm 0 0 m 1 1 l S',
    '0 0 0 0 0 0 cm 0 0 100 100 re f',
    '999999 w 0 0 m 400 400 l S',
    '[0.0001 0.0001] 0 d 0 0 m 400 400 l S',
    'BI /W 99999 /H 99999 /BPC 8 /CS /G ID \x00\x00\x00 EI',
    'BI /W 30000 /H 30000 /BPC 1 /CS /G /F /AHx ID 00 EI',
    'BT /F1 1e9 Tf 0 0 Td (Huge) Tj ET',
    'BT /F1 12 Tf 2147483647 Tz (Wide) Tj ET',
    'BT /F9 12 Tf (No such font) Tj ET',
    '0 0 m ' + '1 1 l '.repeat(50000) + 'S',
    '/Sh1 sh',
    '1 0 0 1 0 0 cm '.repeat(20000),
    'q '.repeat(5000) + 'Q '.repeat(5000),
  ]);
  const n = nextNum(model);
  model.objects.push({ num: n, gen: 0, dict: '<< >>', stream: Buffer.from(ops, 'latin1') });
  const page = rng.pick(pages);
  const existing = /\/Contents\s+(\d+\s+0\s+R|\[[^\]]*\])/.exec(page.dict);
  const old = existing ? existing[1].replace(/^\[|\]$/g, '') : '';
  page.dict = setKey(page.dict, 'Contents', `[${old} ${n} 0 R]`);
  return `wild-content ${JSON.stringify(ops.slice(0, 40))}`;
}

/** A page tree thousands of levels deep, one kid per level. */
function pdfDeepPageTree(rng, model) {
  const root = byType(model, 'Pages')[0];
  const pages = pageObjects(model);
  if (!root || !pages.length) return null;
  const depth = rng.weighted([[100, 2], [2000, 2], [20000, 1]]);
  const page = pages[0];
  let n = nextNum(model);
  let child = page.num;
  for (let i = 0; i < depth; i++, n++) {
    model.objects.push({ num: n, gen: 0, dict: `<< /Type /Pages /Kids [${child} 0 R] /Count 1 >>`, stream: null });
    child = n;
  }
  root.dict = setKey(setKey(root.dict, 'Kids', `[${child} 0 R]`), 'Count', '1');
  return `deep-page-tree ×${depth}`;
}

/** The encryption dictionary's numbers and strings changed (for the password-protected seed). */
function pdfEncryptTamper(rng, model) {
  const enc = model.objects.find((o) => /\/Filter\s*\/Standard/.test(o.dict));
  if (!enc) return null;
  const key = rng.pick(['R', 'V', 'Length', 'P', 'O', 'U', 'Filter', 'CF', 'StmF']);
  const value = {
    R: () => rng.pick(['0', '1', '5', '6', '7', '2147483647']),
    V: () => rng.pick(['0', '3', '4', '5', '99']),
    Length: () => rng.pick(['0', '8', '41', '256', '2147483647', '-128']),
    P: () => rng.pick(['0', '2147483647', '-2147483649']),
    O: () => rng.pick(['<>', '<00>', `<${'ff'.repeat(1000)}>`, '()']),
    U: () => rng.pick(['<>', '<00>', `<${'00'.repeat(1000)}>`]),
    Filter: () => rng.pick(['/None', '/Adobe.PubSec', '/Standard2']),
    CF: () => '<< /StdCF << /CFM /AESV2 /Length 16 >> >>',
    StmF: () => rng.pick(['/StdCF', '/Identity', '/Missing']),
  }[key]();
  enc.dict = setKey(enc.dict, key, value);
  return `encrypt-tamper /${key} ${value.slice(0, 20)}`;
}

const PDF_MUTATIONS = [
  [pdfAbsurdNumbers, 4],
  [pdfMediaBox, 2],
  [pdfSelfReference, 3],
  [pdfRecursiveForm, 3],
  [pdfDuplicateObjects, 2],
  [pdfBreakXref, 3],
  [pdfFlateBomb, 1],
  [pdfDeepNesting, 1.5],
  [pdfImageLies, 2],
  [pdfWildContent, 2],
  [pdfDeepPageTree, 1],
  [pdfEncryptTamper, 1],
];

/** A number anywhere in the PDF's text replaced (works on PDFs the object model cannot read). */
function pdfTextNumber(rng, buf) {
  const text = buf.toString('latin1');
  const re = /(?<![\w.])-?\d+(\.\d+)?(?![\w.])/g;
  const hits = [];
  let m;
  while ((m = re.exec(text)) && hits.length < 20000) hits.push([m.index, m[0].length]);
  if (!hits.length) return null;
  const n = rng.smallLength(4);
  let out = text;
  const picks = [];
  for (let i = 0; i < n; i++) picks.push(rng.pick(hits));
  picks.sort((a, b) => b[0] - a[0]);
  let last = Infinity;
  const values = [];
  for (const [at, len] of picks) {
    if (at + len > last) continue;
    const v = rng.pick(PDF_NUMBERS);
    values.push(v);
    out = out.slice(0, at) + v + out.slice(at + len);
    last = at;
  }
  return { data: Buffer.from(out, 'latin1'), op: `pdf-text-numbers ${values.join(',')}` };
}

function mutatePdf(rng, buf) {
  const model = parsePdf(buf);
  if (!model) return pdfTextNumber(rng, buf);
  const ops = [];
  const n = rng.weighted([[1, 6], [2, 3], [3, 1]]);
  for (let i = 0; i < n; i++) {
    const op = rng.weighted(PDF_MUTATIONS)(rng, model);
    if (op) ops.push(op);
  }
  if (!ops.length) return pdfTextNumber(rng, buf);
  let data = serializePdf(model, { brokenXref: model.brokenXref });
  if (model.prevLoop) {
    const at = data.lastIndexOf('\nxref\n') + 1;
    data = Buffer.from(data.toString('latin1').replace(/trailer\n<</, `trailer\n<< /Prev ${at}`), 'latin1');
  }
  return { data, op: ops.join('; ') };
}

// ---------------------------------------------------------------------------------------------------------
// Images

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunks(buf) {
  const chunks = [];
  let at = 8;
  while (at + 12 <= buf.length) {
    const len = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    if (at + 12 + len > buf.length) break;
    chunks.push({ type, data: Buffer.from(buf.subarray(at + 8, at + 8 + len)) });
    at += 12 + len;
  }
  return chunks;
}

function pngBuild(chunks) {
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])];
  for (const c of chunks) {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(c.data.length, 0);
    head.write(c.type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), c.data])), 0);
    parts.push(head, c.data, crc);
  }
  return Buffer.concat(parts);
}

function mutatePng(rng, buf) {
  const chunks = pngChunks(buf);
  const ihdr = chunks.find((c) => c.type === 'IHDR');
  if (!ihdr || ihdr.data.length < 13) return null;
  const variant = rng.weighted([['dims', 4], ['near-cap', 2], ['fields', 2], ['chunks', 2], ['bomb', 1]]);
  let op;
  switch (variant) {
    case 'dims': {
      const w = rng.chance(0.5) ? rng.pick(DIMENSIONS) : ihdr.data.readUInt32BE(0);
      const h = rng.pick(DIMENSIONS);
      ihdr.data.writeUInt32BE(w >>> 0, 0);
      ihdr.data.writeUInt32BE(h >>> 0, 4);
      op = `png IHDR ${w}x${h}`;
      break;
    }
    case 'near-cap': {
      const [w, h] = rng.pick(NEAR_PIXEL_CAP);
      ihdr.data.writeUInt32BE(w, 0);
      ihdr.data.writeUInt32BE(h, 4);
      op = `png IHDR ${w}x${h} (near the pixel cap)`;
      break;
    }
    case 'fields': {
      const field = rng.pick([[8, 'depth', [0, 1, 2, 3, 4, 16, 255]], [9, 'color', [1, 3, 4, 5, 7, 255]], [10, 'compression', [1, 255]],
        [11, 'filter', [1, 255]], [12, 'interlace', [1, 2, 255]]]);
      const value = rng.pick(field[2]);
      ihdr.data[field[0]] = value;
      op = `png IHDR ${field[1]}=${value}`;
      break;
    }
    case 'chunks': {
      const idx = rng.int(chunks.length);
      const c = chunks[idx];
      const how = rng.pick(['dup', 'drop', 'swap', 'dup-ihdr', 'plte-huge']);
      if (how === 'dup') chunks.splice(idx, 0, { type: c.type, data: Buffer.from(c.data) });
      else if (how === 'drop') chunks.splice(idx, 1);
      else if (how === 'swap' && chunks.length > 2) {
        const j = rng.int(chunks.length);
        [chunks[idx], chunks[j]] = [chunks[j], chunks[idx]];
      } else if (how === 'dup-ihdr') chunks.splice(2, 0, { type: 'IHDR', data: Buffer.from(ihdr.data) });
      else chunks.splice(1, 0, { type: 'PLTE', data: Buffer.alloc(rng.pick([0, 3, 768, 769, 65535])) });
      op = `png chunks ${how} ${c.type}`;
      break;
    }
    case 'bomb': {
      // Declared size and real data agree: a blank grayscale image that inflates to tens of megabytes.
      const [w, h] = rng.pick([[8000, 8000], [10000, 9999], [4000, 4000], [30000, 1000]]);
      ihdr.data.writeUInt32BE(w, 0);
      ihdr.data.writeUInt32BE(h, 4);
      ihdr.data[8] = 8;
      ihdr.data[9] = 0;
      ihdr.data[12] = 0;
      // Each row: filter byte 0 then w white pixels.
      const row = '\0' + '\xff'.repeat(w);
      const idat = deflatedRowsCached(row, h);
      const rest = chunks.filter((c) => c.type !== 'IDAT' && c.type !== 'PLTE' && c.type !== 'IEND');
      chunks.length = 0;
      chunks.push(...rest, { type: 'IDAT', data: idat }, { type: 'IEND', data: Buffer.alloc(0) });
      op = `png bomb ${w}x${h} gray`;
      break;
    }
  }
  return { data: pngBuild(chunks), op };
}

function deflatedRowsCached(row, rows) {
  const key = `rows:${row.length}:${rows}`;
  let out = bombCache.get(key);
  if (!out) {
    const r = Buffer.from(row, 'latin1');
    const deflate = zlib.deflateSync(Buffer.concat(Array(rows).fill(r)), { level: 9 });
    bombCache.set(key, (out = deflate));
  }
  return out;
}

function mutateJpeg(rng, buf) {
  const out = Buffer.from(buf);
  // Find the frame header (SOF0..SOF15 except DHT, JPG and DAC).
  let at = 2;
  let sof = -1;
  const markers = [];
  while (at + 4 <= out.length && out[at] === 0xff) {
    const marker = out[at + 1];
    const len = out.readUInt16BE(at + 2);
    markers.push({ at, marker, len });
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) sof = at;
    if (marker === 0xda) break;
    at += 2 + len;
  }
  const variant = sof >= 0 ? rng.weighted([['dims', 4], ['components', 1], ['precision', 1], ['marker-len', 1], ['sof-type', 1]]) : 'marker-len';
  switch (variant) {
    case 'dims': {
      const h = rng.pick([0, 1, 0xffff, 65500, 10000, 30000, out.readUInt16BE(sof + 5)]);
      const w = rng.pick([0, 1, 0xffff, 65500, 10000, 30000, out.readUInt16BE(sof + 7)]);
      out.writeUInt16BE(h, sof + 5);
      out.writeUInt16BE(w, sof + 7);
      return { data: out, op: `jpeg SOF ${w}x${h}` };
    }
    case 'components': {
      const n = rng.pick([0, 2, 4, 255]);
      out[sof + 9] = n;
      return { data: out, op: `jpeg SOF components=${n}` };
    }
    case 'precision': {
      const p = rng.pick([0, 1, 12, 16, 255]);
      out[sof + 4] = p;
      return { data: out, op: `jpeg SOF precision=${p}` };
    }
    case 'sof-type': {
      const t = rng.pick([0xc1, 0xc2, 0xc3, 0xc5, 0xc7, 0xc9, 0xcb, 0xcf]);
      out[sof + 1] = t;
      return { data: out, op: `jpeg SOF type=0x${t.toString(16)}` };
    }
    default: {
      if (!markers.length) return null;
      const m = rng.pick(markers);
      const len = rng.pick([0, 1, 2, 0xffff, m.len + 1, m.len - 1]);
      out.writeUInt16BE(len & 0xffff, m.at + 2);
      return { data: out, op: `jpeg marker 0x${m.marker.toString(16)} length=${len}` };
    }
  }
}

function mutateTiff(rng, buf) {
  if (buf.length < 16) return null;
  const out = Buffer.from(buf);
  const le = out.toString('latin1', 0, 2) === 'II';
  const u16 = (at) => (le ? out.readUInt16LE(at) : out.readUInt16BE(at));
  const u32 = (at) => (le ? out.readUInt32LE(at) : out.readUInt32BE(at));
  const w16 = (v, at) => (le ? out.writeUInt16LE(v & 0xffff, at) : out.writeUInt16BE(v & 0xffff, at));
  const w32 = (v, at) => (le ? out.writeUInt32LE(v >>> 0, at) : out.writeUInt32BE(v >>> 0, at));
  const ifd = u32(4);
  if (ifd + 2 > out.length) return null;
  const count = u16(ifd);
  const nextAt = ifd + 2 + count * 12;
  if (nextAt + 4 > out.length) return null;
  const entryAt = (tag) => {
    for (let i = 0; i < count; i++) if (u16(ifd + 2 + i * 12) === tag) return ifd + 2 + i * 12;
    return -1;
  };
  const setTag = (tag, value) => {
    const e = entryAt(tag);
    if (e < 0) return false;
    w16(4, e + 2); // LONG, so any 32-bit value fits
    w32(1, e + 4);
    w32(value, e + 8);
    return true;
  };
  const variant = rng.weighted([['loop', 3], ['dims', 3], ['near-cap', 1], ['strips', 2], ['fields', 2], ['count', 1], ['offset', 1]]);
  switch (variant) {
    case 'loop': {
      const target = rng.pick([ifd, ifd, 8, 0, 4]);
      w32(target, nextAt);
      return { data: out, op: `tiff IFD next=${target} (loop)` };
    }
    case 'dims': {
      const w = rng.pick(DIMENSIONS);
      const h = rng.pick(DIMENSIONS);
      setTag(256, w);
      setTag(257, h);
      if (rng.chance(0.5)) setTag(278, h);
      return { data: out, op: `tiff ${w}x${h}` };
    }
    case 'near-cap': {
      const [w, h] = rng.pick(NEAR_PIXEL_CAP);
      setTag(256, w);
      setTag(257, h);
      setTag(278, h);
      return { data: out, op: `tiff ${w}x${h} (near the pixel cap)` };
    }
    case 'strips': {
      const which = rng.pick([273, 279]);
      const v = rng.pick([0, out.length, out.length + 1, 0x7fffffff, 0xffffffff, 1]);
      setTag(which, v);
      return { data: out, op: `tiff ${which === 273 ? 'StripOffsets' : 'StripByteCounts'}=${v}` };
    }
    case 'fields': {
      const [tag, name, values] = rng.pick([[258, 'BitsPerSample', [0, 1, 2, 4, 12, 16, 32, 64, 255]], [259, 'Compression', [2, 3, 4, 5, 6, 7, 8, 32773, 34712, 65535]],
        [262, 'Photometric', [0, 2, 3, 4, 5, 6, 8, 65535]], [277, 'SamplesPerPixel', [0, 3, 4, 255, 65535]], [284, 'PlanarConfig', [0, 2, 3]]]);
      const v = rng.pick(values);
      setTag(tag, v);
      return { data: out, op: `tiff ${name}=${v}` };
    }
    case 'count': {
      const c = rng.pick([0, 0xffff, count + 1, 1000]);
      w16(c, ifd);
      return { data: out, op: `tiff IFD entries=${c}` };
    }
    default: {
      const v = rng.pick([0, 1, out.length, 0xffffffff, 7]);
      w32(v, 4);
      return { data: out, op: `tiff first IFD=${v}` };
    }
  }
}

function mutateBmp(rng, buf) {
  if (buf.length < 54) return null;
  const out = Buffer.from(buf);
  const fields = [
    [2, 4, 'bfSize', [0, 1, 0xffffffff, out.length * 2]],
    [10, 4, 'bfOffBits', [0, 14, 54, out.length, 0xffffffff, 0x7fffffff]],
    [14, 4, 'biSize', [0, 12, 16, 40, 52, 56, 64, 108, 124, 0xffffffff]],
    [18, 4, 'biWidth', [0, 1, -1, 0x7fffffff, -0x80000000, 65536, 100000, 10000]],
    [22, 4, 'biHeight', [0, 1, -1, 0x7fffffff, -0x80000000, -120, 65536, 100000, 9999]],
    [26, 2, 'biPlanes', [0, 2, 0xffff]],
    [28, 2, 'biBitCount', [0, 1, 2, 4, 8, 16, 32, 64, 0xffff]],
    [30, 4, 'biCompression', [1, 2, 3, 4, 5, 6, 11, 0xffffffff]],
    [34, 4, 'biSizeImage', [0, 1, 0xffffffff]],
    [46, 4, 'biClrUsed', [0, 1, 256, 257, 0x7fffffff, 0xffffffff]],
  ];
  const n = rng.smallLength(3);
  const ops = [];
  for (let i = 0; i < n; i++) {
    const [at, size, name, values] = rng.pick(fields);
    const v = rng.pick(values);
    if (size === 2) out.writeUInt16LE(v & 0xffff, at);
    else if (v < 0) out.writeInt32LE(v, at);
    else out.writeUInt32LE(v >>> 0, at);
    ops.push(`${name}=${v}`);
  }
  return { data: out, op: `bmp ${ops.join(' ')}` };
}

function mutateGif(rng, buf) {
  if (buf.length < 13) return null;
  const out = Buffer.from(buf);
  const packed = out[10];
  const gct = packed & 0x80 ? 3 * 2 ** ((packed & 7) + 1) : 0;
  let desc = 13 + gct;
  // Skip extensions to the first image descriptor.
  while (desc < out.length && out[desc] === 0x21) {
    let at = desc + 2;
    while (at < out.length && out[at] !== 0) at += out[at] + 1;
    desc = at + 1;
  }
  const hasDesc = desc + 10 <= out.length && out[desc] === 0x2c;
  const variant = rng.weighted([['screen', 3], ['frame', hasDesc ? 3 : 0], ['lzw', hasDesc ? 1 : 0], ['packed', 1]]);
  const dim = () => rng.pick([0, 1, 0xffff, 0x8000, 10000, 9999]);
  switch (variant) {
    case 'screen': {
      const w = dim();
      const h = dim();
      out.writeUInt16LE(w, 6);
      out.writeUInt16LE(h, 8);
      return { data: out, op: `gif screen ${w}x${h}` };
    }
    case 'frame': {
      const fields = [desc + 1, desc + 3, desc + 5, desc + 7];
      const at = rng.pick(fields);
      const v = dim();
      out.writeUInt16LE(v, at);
      return { data: out, op: `gif frame ${['left', 'top', 'width', 'height'][fields.indexOf(at)]}=${v}` };
    }
    case 'lzw': {
      const lct = out[desc + 9] & 0x80 ? 3 * 2 ** ((out[desc + 9] & 7) + 1) : 0;
      const at = desc + 10 + lct;
      if (at >= out.length) return null;
      const v = rng.pick([0, 1, 12, 13, 255]);
      out[at] = v;
      return { data: out, op: `gif LZW minimum code size=${v}` };
    }
    default: {
      const v = rng.int(256);
      out[10] = v;
      return { data: out, op: `gif packed=0x${v.toString(16)}` };
    }
  }
}

function mutateWebp(rng, buf) {
  if (buf.length < 30) return null;
  const out = Buffer.from(buf);
  const chunks = [];
  for (let at = 12; at + 8 <= out.length; ) {
    const type = out.toString('latin1', at, at + 4);
    const len = out.readUInt32LE(at + 4);
    chunks.push({ type, at, len });
    at += 8 + len + (len & 1);
  }
  const vp8x = chunks.find((c) => c.type === 'VP8X');
  const vp8 = chunks.find((c) => c.type === 'VP8 ');
  const vp8l = chunks.find((c) => c.type === 'VP8L');
  const variant = rng.pick(['riff-size', vp8x && 'canvas', vp8 && 'frame', vp8l && 'lossless', 'chunk-size'].filter(Boolean));
  switch (variant) {
    case 'riff-size': {
      const v = rng.pick([0, 4, 0xffffffff, out.length * 10]);
      out.writeUInt32LE(v >>> 0, 4);
      return { data: out, op: `webp RIFF size=${v}` };
    }
    case 'canvas': {
      const w = rng.pick([0, 1, 0xffffff, 16383, 9999]);
      const h = rng.pick([0, 1, 0xffffff, 16383, 9999]);
      out.writeUIntLE(w, vp8x.at + 12, 3);
      out.writeUIntLE(h, vp8x.at + 15, 3);
      return { data: out, op: `webp canvas ${w + 1}x${h + 1}` };
    }
    case 'frame': {
      const w = rng.pick([0, 1, 0x3fff, 10000]);
      const h = rng.pick([0, 1, 0x3fff, 10000]);
      if (vp8.at + 8 + 10 > out.length) return null;
      out.writeUInt16LE(w, vp8.at + 8 + 6);
      out.writeUInt16LE(h, vp8.at + 8 + 8);
      return { data: out, op: `webp VP8 frame ${w}x${h}` };
    }
    case 'lossless': {
      if (vp8l.at + 8 + 5 > out.length) return null;
      const v = rng.pick([0, 0xffffffff, 0x0fffffff]);
      out.writeUInt32LE(v >>> 0, vp8l.at + 9);
      return { data: out, op: `webp VP8L size bits=0x${v.toString(16)}` };
    }
    default: {
      const c = rng.pick(chunks);
      if (!c) return null;
      const v = rng.pick([0, 1, 0xffffffff, c.len + 1]);
      out.writeUInt32LE(v >>> 0, c.at + 4);
      return { data: out, op: `webp chunk ${c.type.trim()} size=${v}` };
    }
  }
}

const STRUCTURE_MUTATORS = { pdf: mutatePdf, png: mutatePng, jpeg: mutateJpeg, tiff: mutateTiff, bmp: mutateBmp, gif: mutateGif, webp: mutateWebp };

// ---------------------------------------------------------------------------------------------------------
// Entry point

/**
 * Mutant `index` of a run seeded with `masterSeed`. `seeds` are `{ name, data }` documents, in a stable
 * order. Returns `{ data, seed, kind, ops, mutantSeed }`: the bytes, the seed document's name, its type and
 * the mutations applied (readable, for reports).
 */
export function mutate(seeds, masterSeed, index, { weights } = {}) {
  if (!seeds.length) throw new Error('mutate: no seed documents');
  const ms = mutantSeed(masterSeed, index);
  const rng = new Rng(ms);
  const seed = pickSeed(rng, seeds, weights);
  const kind = sniffKind(seed.data);
  let data = seed.data;
  const ops = [];
  const structure = STRUCTURE_MUTATORS[kind];
  // Mostly one structure-aware mutation (so the document still opens and the damage reaches deep code),
  // sometimes with byte-level damage on top, sometimes byte-level damage alone.
  const plan = rng.weighted([['structure', 5], ['structure+bytes', 2], ['bytes', 3]]);
  if (structure && plan !== 'bytes') {
    const r = structure(rng, data);
    if (r) {
      data = r.data;
      ops.push(r.op);
    }
  }
  if (plan !== 'structure' || !ops.length) {
    const rounds = rng.weighted([[1, 6], [2, 3], [4, 1]]);
    for (let i = 0; i < rounds; i++) {
      const sameKind = seeds.filter((s) => s !== seed && sniffKind(s.data) === kind);
      const partner = sameKind.length && rng.chance(0.5) ? rng.pick(sameKind) : rng.pick(seeds);
      const r = rng.weighted(BYTE_MUTATIONS)(rng, data, partner);
      if (r) {
        data = r.data;
        ops.push(r.op);
      }
    }
  }
  if (data.length > MAX_MUTANT_BYTES) {
    data = data.subarray(0, MAX_MUTANT_BYTES);
    ops.push(`capped at ${MAX_MUTANT_BYTES}B`);
  }
  return { data: Buffer.from(data), seed: seed.name, kind, ops, mutantSeed: ms };
}

function pickSeed(rng, seeds, weights) {
  if (!weights) return rng.pick(seeds);
  return rng.weighted(seeds.map((s) => [s, weights[s.name] ?? weights[sniffKind(s.data)] ?? 1]));
}
