// Hostile PDFs for the PDF isolation layer: files that are small on disk but make a PDF reader spend unbounded
// memory or time, pages too large to render, structures that probe parser recursion and cross-reference loops.
// Every builder returns the file's bytes (a Buffer) and is deterministic: the same call writes the same bytes.
//
// The files are assembled from raw object bodies here rather than through PdfWriter, because several of them
// need things a well-behaved writer never produces (cross-reference loops, object streams, lying page counts).
// Large content streams are FlateDecode-compressed with node:zlib at a fixed level.
import zlib from 'node:zlib';
import { buildPdf, renderScannedPage } from './pdf-documents.mjs';

const HEADER = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1');

const deflate = (data) => zlib.deflateSync(Buffer.from(data), { level: 9 });

/** `<< dict /Length n >> stream ... endstream` as an object body; `dict` is the dictionary's inner text. */
function stream(dict, data) {
  const bytes = Buffer.from(data);
  return Buffer.concat([
    Buffer.from(`<< ${dict} /Length ${bytes.length} >>\nstream\n`, 'latin1'),
    bytes,
    Buffer.from('\nendstream', 'latin1'),
  ]);
}

/** A FlateDecode stream object body. */
const flateStream = (dict, data) => stream(`${dict} /Filter /FlateDecode`.trim(), deflate(data));

/**
 * A file from object bodies (object n is bodies[n - 1], generation 0) with a classic xref table.
 * `trailer` is the trailer dictionary's inner text without /Size. Returns the bytes and every object's offset.
 */
function assemble(bodies, trailer) {
  const chunks = [HEADER];
  let offset = HEADER.length;
  const offsets = [];
  bodies.forEach((body, index) => {
    const chunk = Buffer.concat([
      Buffer.from(`${index + 1} 0 obj\n`, 'latin1'),
      Buffer.from(body),
      Buffer.from('\nendobj\n', 'latin1'),
    ]);
    offsets.push(offset);
    chunks.push(chunk);
    offset += chunk.length;
  });
  const xref = [`xref\n0 ${bodies.length + 1}\n`, '0000000000 65535 f \n'];
  for (const at of offsets) xref.push(`${String(at).padStart(10, '0')} 00000 n \n`);
  xref.push(`trailer\n<< /Size ${bodies.length + 1} ${trailer} >>\nstartxref\n${offset}\n%%EOF\n`);
  chunks.push(Buffer.from(xref.join(''), 'latin1'));
  return Buffer.concat(chunks);
}

/** A stream body that must stay a top-level object (streams cannot live in object streams). */
class Direct {
  constructor(body) {
    this.body = body;
  }
}

/**
 * A PDF 1.5 file: `objects[n - 1]` is object n, either a Direct body written at top level or a non-stream body
 * (string) packed into compressed object streams of up to `perStream` objects. The object streams and the
 * cross-reference stream are numbered after the given objects. `lie(entries, numbers)` may rewrite the
 * cross-reference entries ([type, field2, field3] per object number) and `selfPrev` makes the cross-reference
 * stream name itself as the previous section.
 */
function assembleCompressed(objects, { root = '1 0 R', perStream = 10_000, lie, selfPrev = false } = {}) {
  const packed = [];
  objects.forEach((body, index) => {
    if (!(body instanceof Direct)) packed.push(index + 1);
  });
  const bodies = objects.map((body) => (body instanceof Direct ? body.body : undefined));
  const entries = [[0, 0, 65535]];
  const streamNumbers = [];
  for (let start = 0; start < packed.length; start += perStream) {
    const members = packed.slice(start, start + perStream);
    const number = bodies.length + 1;
    const texts = members.map((n) => `${objects[n - 1]}\n`);
    let at = 0;
    const table = members.map((n, i) => {
      const pair = `${n} ${at}`;
      at += Buffer.byteLength(texts[i], 'latin1');
      return pair;
    });
    const head = `${table.join(' ')}\n`;
    const data = Buffer.from(head + texts.join(''), 'latin1');
    bodies.push(stream(`/Type /ObjStm /N ${members.length} /First ${head.length} /Filter /FlateDecode`, deflate(data)));
    members.forEach((n, i) => {
      entries[n] = [2, number, i];
    });
    streamNumbers.push(number);
  }
  const xrefNumber = bodies.length + 1;
  const chunks = [HEADER];
  let offset = HEADER.length;
  bodies.forEach((body, index) => {
    if (body === undefined) return;
    const chunk = Buffer.concat([
      Buffer.from(`${index + 1} 0 obj\n`, 'latin1'),
      Buffer.from(body),
      Buffer.from('\nendobj\n', 'latin1'),
    ]);
    entries[index + 1] = [1, offset, 0];
    chunks.push(chunk);
    offset += chunk.length;
  });
  entries[xrefNumber] = [1, offset, 0];
  lie?.(entries, { streams: streamNumbers, xref: xrefNumber });
  const table = Buffer.alloc(entries.length * 7);
  entries.forEach(([type, field2, field3], n) => {
    table.writeUInt8(type, n * 7);
    table.writeUInt32BE(field2, n * 7 + 1);
    table.writeUInt16BE(field3, n * 7 + 5);
  });
  const prev = selfPrev ? ` /Prev ${offset}` : '';
  const xref = stream(
    `/Type /XRef /Size ${entries.length} /W [1 4 2] /Root ${root}${prev} /Filter /FlateDecode`,
    deflate(table),
  );
  chunks.push(Buffer.from(`${xrefNumber} 0 obj\n`, 'latin1'), xref, Buffer.from(`\nendobj\nstartxref\n${offset}\n%%EOF\n`, 'latin1'));
  return Buffer.concat(chunks);
}

/** US Letter, in points. */
const LETTER = '[0 0 612 792]';

/** A one-page file: objects 1-3 are the catalog, the page tree and the page; `extra` bodies follow as 4, 5, ... */
function onePage({ mediaBox = LETTER, resources = '', contents = '4 0 R', extra }) {
  return assemble(
    [
      '<< /Type /Catalog /Pages 2 0 R >>',
      '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
      `<< /Type /Page /Parent 2 0 R /MediaBox ${mediaBox} /Resources << ${resources} >> /Contents ${contents} >>`,
      ...extra,
    ],
    '/Root 1 0 R',
  );
}

/** Standard font Helvetica, for the pages that carry vector text. */
const HELVETICA = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>';

/**
 * "Billion laughs" with Form XObjects: the page draws form 1 once, each form draws the next one `fanOut` times,
 * and the last one fills a small square, so the page paints fanOut^depth squares. No form draws itself, so the
 * reader's circular-reference guard never fires, and nothing caches a form's operators: building the page's
 * operator list (for rendering or for inspection) grows until memory runs out. The forms hold no text, so text
 * extraction stays quick.
 */
export function buildMemoryBomb({ depth = 9, fanOut = 10 } = {}) {
  const first = 5;
  const forms = [];
  for (let level = 0; level < depth; level++) {
    const own = first + level;
    const last = level === depth - 1;
    const body = last ? '0.5 g 0 0 1 1 re f\n' : 'q 1 0 0 1 0 0 cm /X Do Q\n'.repeat(fanOut);
    const resources = last ? '' : `/Resources << /XObject << /X ${own + 1} 0 R >> >>`;
    forms.push(stream(`/Type /XObject /Subtype /Form /BBox [0 0 1 1] ${resources}`, body));
  }
  return onePage({
    resources: `/XObject << /X ${first} 0 R >>`,
    extra: [stream('', 'q 500 0 0 500 50 150 cm /X Do Q\n'), ...forms],
  });
}

/**
 * A tiling pattern whose own cell is filled with the same pattern. The reader guards Form XObjects against
 * drawing themselves but evaluates a pattern's cell without that guard, so the pattern is re-entered without end
 * (each level waiting on the next): memory grows until it runs out, and no operator list is ever produced.
 */
export function buildPatternLoop() {
  const cell = '/Pattern cs /P scn 0 0 10 10 re f\n';
  return onePage({
    resources: '/Pattern << /P 5 0 R >>',
    extra: [
      stream('', '/Pattern cs /P scn 0 0 612 792 re f\n'),
      stream(
        '/Type /Pattern /PatternType 1 /PaintType 1 /TilingType 1 /BBox [0 0 20 20] /XStep 20 /YStep 20 ' +
          '/Resources << /Pattern << /P 5 0 R >> >>',
        cell,
      ),
    ],
  });
}

/** Two Form XObjects drawing each other (A -> B -> A), plus a form drawing itself: the guarded kind of cycle. */
export function buildXObjectCycle() {
  return onePage({
    resources: '/XObject << /A 5 0 R /S 7 0 R >>',
    extra: [
      stream('', 'q 100 0 0 100 100 100 cm /A Do Q q 100 0 0 100 300 300 cm /S Do Q\n'),
      stream('/Type /XObject /Subtype /Form /BBox [0 0 1 1] /Resources << /XObject << /B 6 0 R >> >>', '0 g 0 0 0.5 0.5 re f /B Do\n'),
      stream('/Type /XObject /Subtype /Form /BBox [0 0 1 1] /Resources << /XObject << /A 5 0 R >> >>', '0 g 0.5 0.5 0.5 0.5 re f /A Do\n'),
      stream('/Type /XObject /Subtype /Form /BBox [0 0 1 1] /Resources << /XObject << /S 7 0 R >> >>', '0 g 0 0 1 1 re f /S Do\n'),
    ],
  });
}

/** Deterministic pseudo-random numbers (xorshift32) in [0, 1). */
function random(seed) {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

const fixed = (value) => value.toFixed(1);

/**
 * A valid, finite page that is slow to draw: `count` large, semi-transparent, overlapping Bezier shapes in
 * varying colours, each filled with the even-odd rule and stroked with a dash pattern. Every shape covers a good
 * part of the page, so the cost grows with the render resolution; the operator list stays modest in memory.
 */
export function buildSlowPage({ count = 10_000 } = {}) {
  const next = random(0x51_0e_9a_9e);
  const ops = ['/G gs', '2 w', '[3 2] 0 d'];
  for (let i = 0; i < count; i++) {
    const x = next() * 612;
    const y = next() * 792;
    const r = 100 + next() * 200;
    ops.push(`${next().toFixed(2)} ${next().toFixed(2)} ${next().toFixed(2)} rg`);
    ops.push(`${fixed(x - r)} ${fixed(y)} m`);
    ops.push(`${fixed(x - r)} ${fixed(y + r)} ${fixed(x + r)} ${fixed(y + r)} ${fixed(x + r)} ${fixed(y)} c`);
    ops.push(`${fixed(x + r)} ${fixed(y - r)} ${fixed(x - r)} ${fixed(y - r)} ${fixed(x)} ${fixed(y + r / 2)} c`);
    ops.push('h B*');
  }
  return onePage({
    resources: '/ExtGState << /G << /ca 0.5 /CA 0.5 >> >>',
    extra: [flateStream('', `${ops.join('\n')}\n`)],
  });
}

/** 250 x 500 in: at 300 dpi the page is 75000 x 150000 pixels. */
const POSTER_BOX = '[0 0 18000 36000]';
const POSTER_WIDTH_PX = 75_000;
const POSTER_HEIGHT_PX = 150_000;

/**
 * A CCITT Group 4 image of all-white rows: with an all-white reference line each row is one vertical-mode code
 * (a single 1 bit), so the whole image is height bits of 1, which FlateDecode shrinks to a few hundred bytes.
 */
function whiteG4(height) {
  return deflate(Buffer.alloc(Math.ceil(height / 8), 0xff));
}


/**
 * A poster scanned at 300 dpi: one 1-bit image of 75000 x 150000 pixels (11.25 gigapixels) drawn over the whole
 * 250 x 500 in page, a few hundred bytes on disk. The image alone is over any sane decode limit, and so is the page.
 */
export function buildPosterScan() {
  return onePage({
    mediaBox: POSTER_BOX,
    resources: '/XObject << /Im1 5 0 R >>',
    extra: [
      stream('', 'q 18000 0 0 36000 0 0 cm /Im1 Do Q\n'),
      stream(
        `/Type /XObject /Subtype /Image /Width ${POSTER_WIDTH_PX} /Height ${POSTER_HEIGHT_PX} ` +
          '/ColorSpace /DeviceGray /BitsPerComponent 1 /Filter [/FlateDecode /CCITTFaxDecode] ' +
          `/DecodeParms [null << /K -1 /Columns ${POSTER_WIDTH_PX} /Rows ${POSTER_HEIGHT_PX} >>]`,
        whiteG4(POSTER_HEIGHT_PX),
      ),
    ],
  });
}

/** Strokes of a few capitals and digits on a 4 x 6 grid (origin at the bottom left), for text drawn as paths. */
const STROKES = {
  P: [[[0, 0], [0, 6], [3, 6], [4, 5], [4, 4], [3, 3], [0, 3]]],
  O: [[[0, 0], [0, 6], [4, 6], [4, 0], [0, 0]]],
  S: [[[4, 6], [0, 6], [0, 3], [4, 3], [4, 0], [0, 0]]],
  T: [[[0, 6], [4, 6]], [[2, 6], [2, 0]]],
  E: [[[4, 6], [0, 6], [0, 0], [4, 0]], [[0, 3], [3, 3]]],
  R: [[[0, 0], [0, 6], [4, 6], [4, 3], [0, 3]], [[1, 3], [4, 0]]],
  4: [[[3, 0], [3, 6], [0, 2], [4, 2]]],
  1: [[[1, 5], [2, 6], [2, 0]], [[1, 0], [3, 0]]],
  0: [[[0, 0], [0, 6], [4, 6], [4, 0], [0, 0]], [[0, 0], [4, 6]]],
  ' ': [],
};

/** Path operators drawing `text` in STROKES at (x, y) with `unit` points per grid step. */
function strokeText(text, x, y, unit) {
  const ops = [];
  [...text].forEach((char, i) => {
    for (const line of STROKES[char]) {
      line.forEach(([gx, gy], j) => ops.push(`${x + (i * 6 + gx) * unit} ${y + gy * unit} ${j === 0 ? 'm' : 'l'}`));
    }
  });
  ops.push('S');
  return ops.join('\n');
}

/**
 * A 250 x 500 in poster whose words are drawn as stroked paths: no text layer to read, so the page has to be
 * rendered, and at 300 dpi it is 75000 x 150000 pixels.
 */
export function buildPosterText() {
  const content = ['0 g 60 w 1 J 1 j', strokeText('POSTER 4410', 1200, 30000, 200), strokeText('STORE 10', 1200, 27000, 200)];
  return onePage({ mediaBox: POSTER_BOX, extra: [stream('', `${content.join('\n')}\n`)] });
}

/** An ordinary four-page scan at 200 dpi, to run next to the posters (the mix that used to hang a run). */
export function buildFourPageScan() {
  const pages = [1, 2, 3, 4].map((n) => ({
    jpeg: renderScannedPage([`Scanned survey 3390, page ${n}.`, `Field ${n} was mapped in 2021.`, 'The owner signed every page.']),
  }));
  return buildPdf({ name: 'hostile-four-page-scan', title: 'Scanned survey 3390', pages });
}

/**
 * Content-stream operands nested `levels` deep (`[[[...]]] TJ`): probes recursion in the content parser. The
 * page is otherwise valid and the stream deflates to a few hundred bytes.
 */
export function buildDeepNesting({ levels = 100_000 } = {}) {
  const content = `BT /F1 12 Tf 72 700 Td (Nested) Tj 0 -20 Td ${'['.repeat(levels)}${']'.repeat(levels)} TJ ET\n`;
  return onePage({ resources: '/Font << /F1 5 0 R >>', extra: [flateStream('', content), HELVETICA] });
}

/**
 * A page dictionary holding a dictionary nested `levels` deep: probes recursion in the object parser. The page
 * lives in a compressed object stream, so the file stays small.
 */
export function buildDeepDict({ levels = 100_000 } = {}) {
  const nested = `${'<</A '.repeat(levels)}1${'>>'.repeat(levels)}`;
  return assembleCompressed([
    new Direct('<< /Type /Catalog /Pages 2 0 R >>'),
    new Direct('<< /Type /Pages /Kids [3 0 R] /Count 1 >>'),
    `<< /Type /Page /Parent 2 0 R /MediaBox ${LETTER} /Resources << >> /Contents 4 0 R /PieceInfo ${nested} >>`,
    new Direct(stream('', '0 g 72 72 100 100 re f\n')),
  ]);
}

/**
 * Cross-reference loops: the cross-reference stream names itself as the previous section, and the page sits in
 * object stream A, which the table places inside object stream B, which the table places inside A.
 */
export function buildXrefLoop() {
  return assembleCompressed(
    [
      new Direct('<< /Type /Catalog /Pages 2 0 R >>'),
      new Direct('<< /Type /Pages /Kids [3 0 R] /Count 1 >>'),
      `<< /Type /Page /Parent 2 0 R /MediaBox ${LETTER} /Resources << >> /Contents 4 0 R >>`,
      new Direct(stream('', '0 g 72 72 100 100 re f\n')),
      '<< /Filler true >>',
    ],
    {
      perStream: 1,
      selfPrev: true,
      lie: (entries, { streams: [a, b] }) => {
        entries[a] = [2, b, 0];
        entries[b] = [2, a, 0];
      },
    },
  );
}

/** A page tree whose /Count claims `claimed` pages while holding one. */
export function buildHugePageCount({ claimed = 1_000_000 } = {}) {
  return assemble(
    [
      '<< /Type /Catalog /Pages 2 0 R >>',
      `<< /Type /Pages /Kids [3 0 R] /Count ${claimed} >>`,
      `<< /Type /Page /Parent 2 0 R /MediaBox ${LETTER} /Resources << >> /Contents 4 0 R >>`,
      stream('', '0 g 72 72 100 100 re f\n'),
    ],
    '/Root 1 0 R',
  );
}

/**
 * `count` real pages sharing one content stream, one font and one inherited media box, all page objects packed
 * into object streams: a file of a few hundred kilobytes that opens as a 100000-page document.
 */
export function buildManyPages({ count = 100_000 } = {}) {
  const first = 5;
  const kids = Array.from({ length: count }, (_, i) => `${first + i} 0 R`).join(' ');
  const pages = Array.from({ length: count }, () => '<< /Type /Page /Parent 2 0 R /Contents 3 0 R >>');
  return assembleCompressed([
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${kids}] /Count ${count} /MediaBox [0 0 200 100] /Resources << /Font << /F1 4 0 R >> >> >>`,
    new Direct(flateStream('', 'BT /F1 10 Tf 10 50 Td (One of many tiny pages.) Tj ET\n')),
    HELVETICA,
    ...pages,
  ]);
}
