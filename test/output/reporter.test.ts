import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { chooseReporterKind, createReporter, PLAIN_INTERVAL_MS, progressInterval } from '../../src/output/reporter.js';
import type { RunSummary } from '../../src/output/events.js';

function streams(tty = false) {
  const out = Object.assign(new PassThrough(), { isTTY: tty });
  const err = Object.assign(new PassThrough(), { isTTY: tty });
  let o = '';
  let e = '';
  out.on('data', (c) => (o += c));
  err.on('data', (c) => (e += c));
  return { stdout: out, stderr: err, env: {} as NodeJS.ProcessEnv, out: () => o, err: () => e };
}

const summary: RunSummary = {
  files: 3,
  documents: 3,
  completed: 1,
  failed: 1,
  skipped: 1,
  duplicates: 0,
  pending: 0,
  pages: 2,
  elapsed_ms: 1000,
  exit_code: 3,
  already_done: 0,
  redone_for_settings: [],
  low_confidence_pages: 0,
  processed: 2,
  pages_per_second: 2,
  dry_run: false,
  interrupted: false,
  manifest: 'm.jsonl',
  failures: [{ source: 'evil\x1b[31mname.pdf', job_id: 'j', code: 'PDF_INVALID', message: 'evil\x1b[31mname.pdf: not a PDF\x1b[0m' }],
  skipped_by_code: { UNSUPPORTED_TYPE: 1 },
};

describe('reporters', () => {
  it.each([
    [{ json: true, quiet: false }, true, {}, 'json'],
    [{ json: false, quiet: true }, true, {}, 'silent'],
    [{ json: false, quiet: false }, true, {}, 'tty'],
    [{ json: false, quiet: false }, true, { CI: 'true' }, 'plain'],
    [{ json: false, quiet: false }, true, { TERM: 'dumb' }, 'plain'],
    [{ json: false, quiet: false }, false, {}, 'plain'],
  ] as const)('%j on a tty=%s with env %j → %s', (opts, tty, env, kind) => {
    const io = streams(tty);
    expect(chooseReporterKind(opts, { ...io, env: env as NodeJS.ProcessEnv })).toBe(kind);
  });

  it('never lets control characters from names reach the terminal', () => {
    const io = streams();
    const r = createReporter('plain', io);
    r.emit({ type: 'document', job_id: 'j', status: 'failed', source: summary.failures[0].source, outcome: 'processed', error: { code: 'PDF_INVALID', message: summary.failures[0].message, category: 'document' } });
    r.emit({ type: 'warning', message: 'odd\x1b]0;title\x07 name' });
    r.emit({ type: 'summary', summary });
    expect(io.err()).not.toContain('\x1b');
    expect(io.err()).toContain('evil\\x1b[31mname.pdf: not a PDF');
    expect(io.out()).toBe('');
  });

  it.each([
    [{}, true],
    [{ NO_COLOR: '1' }, false],
    [{ NO_COLOR: '' }, true],
    [{ FORCE_COLOR: '0' }, false],
    [{ FORCE_COLOR: 'false' }, false],
    [{ NO_COLOR: '1', FORCE_COLOR: '3' }, false],
  ] as const)('colours on a terminal with env %j: %s', (env, coloured) => {
    const io = streams(true);
    const r = createReporter('tty', { ...io, env: env as NodeJS.ProcessEnv });
    r.emit({ type: 'summary', summary });
    r.close();
    // SGR colour sequences (ESC [ … m), as opposed to the bar's cursor movements.
    const sgr = [...io.err().matchAll(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'gu'))];
    expect(sgr.length > 0).toBe(coloured);
  });

  it('says 1 document, 1 input, 1 duplicate and 1 page in the singular', () => {
    const io = streams();
    const r = createReporter('plain', io);
    r.emit({ type: 'summary', summary: { ...summary, documents: 1, files: 1, duplicates: 1, pages: 1, completed: 1, failed: 0, skipped: 0, failures: [] } });
    expect(io.err()).toContain('ocrq: 1 document from 1 input: 1 completed, 0 failed, 0 skipped, 1 duplicate');
    expect(io.err()).toContain('ocrq: 1 page in ');
    expect(io.err()).not.toContain('low confidence');
  });

  it('counts pages read with low confidence in the summary, on stderr and in --json', () => {
    const plain = streams();
    createReporter('plain', plain).emit({ type: 'summary', summary: { ...summary, pages: 5, low_confidence_pages: 3 } });
    expect(plain.err()).toMatch(/ocrq: 5 pages in .* \(2\.00 pages\/s\), 3 pages with low confidence; manifest m\.jsonl\n/u);
    const one = streams();
    createReporter('plain', one).emit({ type: 'summary', summary: { ...summary, low_confidence_pages: 1 } });
    expect(one.err()).toContain(', 1 page with low confidence;');
    const json = streams();
    createReporter('json', json).emit({ type: 'summary', summary: { ...summary, low_confidence_pages: 3 } });
    expect(JSON.parse(json.out())).toMatchObject({ type: 'summary', low_confidence_pages: 3 });
  });

  it('--json: NDJSON on stdout, periodic progress events, and the summary envelope last', () => {
    const io = streams();
    let t = 0;
    const r = createReporter('json', io, () => t);
    r.emit({ type: 'input', source: 'a.png' });
    r.emit({ type: 'page', source: 'a.png', page: 1, page_source: 'ocr' });
    t = PLAIN_INTERVAL_MS + 1;
    r.emit({ type: 'document', job_id: 'j', status: 'completed', source: 'a.png', outcome: 'processed', pages: 1 });
    r.emit({ type: 'summary', summary });
    const lines = io.out().trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toEqual(['document', 'progress', 'summary']);
    expect(lines[1]).toMatchObject({ inputs: 1, inputs_done: 1, pages: 1 });
    expect(Object.keys(lines[2]).slice(0, 12)).toEqual(['type', 'files', 'documents', 'completed', 'failed', 'skipped', 'duplicates', 'pending', 'pages', 'elapsed_ms', 'exit_code', 'already_done']);
    expect(io.err()).toBe('');
  });

  it("--json: progress events gain the walk's count, the inputs done and the time left; counting events stay off stdout", () => {
    const io = streams();
    let t = 0;
    const r = createReporter('json', io, () => t);
    r.emit({ type: 'found', files: 3 });
    r.emit({ type: 'walk_done', files: 3 });
    r.emit({ type: 'input', source: 'a.png' });
    r.emit({ type: 'page', source: 'a.png', page: 1, page_source: 'ocr', pages_in_document: 1 });
    r.emit({ type: 'document', job_id: 'j', status: 'completed', source: 'a.png', outcome: 'processed', pages: 1 });
    r.emit({ type: 'input', source: 'b.png' });
    t = PLAIN_INTERVAL_MS + 1;
    r.emit({ type: 'duplicate', source: 'b.png' });
    r.close();
    const lines = io.out().trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toEqual(['walk_done', 'document', 'progress']);
    expect(lines[2]).toMatchObject({ inputs: 2, inputs_done: 1, pages: 1, files_found: 3, files_done: 2, walk_done: true });
    // One page in 5 s for each of the 2 inputs done: 1 input left, 0.5 pages, 2.5 s.
    expect(lines[2].eta_ms).toBe(Math.round((0.5 / (1 / ((PLAIN_INTERVAL_MS + 1) / 1000))) * 1000));
  });

  it('OCRQ_PROGRESS_INTERVAL_MS sets how often plain lines come', () => {
    expect([undefined, '250', '0', 'soon', '1.5'].map((v) => progressInterval({ OCRQ_PROGRESS_INTERVAL_MS: v }))).toEqual([PLAIN_INTERVAL_MS, 250, PLAIN_INTERVAL_MS, PLAIN_INTERVAL_MS, PLAIN_INTERVAL_MS]);
    const io = streams();
    let t = 0;
    const r = createReporter('plain', { ...io, env: { OCRQ_PROGRESS_INTERVAL_MS: '250' } }, () => t);
    r.emit({ type: 'walk_done', files: 5000 });
    t = 300;
    r.emit({ type: 'document', job_id: 'j', status: 'completed', source: 'a.png', outcome: 'processed', pages: 2 });
    t = 400;
    r.emit({ type: 'document', job_id: 'k', status: 'completed', source: 'b.png', outcome: 'processed', pages: 2 });
    r.close();
    // One line per interval: the second document came 100 ms after the first line.
    expect(io.err()).toBe('ocrq: 1/5,000 documents (walk done), 2 pages, 6.7 pages/s, about 25m left\n');
  });

  it('on a terminal that asked for no colour, the bar is drawn with carriage returns and spaces: no control code at all', () => {
    const io = Object.assign(streams(true), {});
    Object.assign(io.stderr, { columns: 60 });
    let t = 0;
    const r = createReporter('tty', { ...io, env: { NO_COLOR: '1' } }, () => t);
    r.emit({ type: 'walk_done', files: 2 });
    t = 1000;
    r.emit({ type: 'page', source: 'a.png', page: 1, page_source: 'ocr' });
    r.emit({ type: 'document', job_id: 'j', status: 'failed', source: 'a.png', outcome: 'processed', error: { code: 'IMAGE_INVALID', message: 'a.png: bad', category: 'document' } });
    r.emit({ type: 'summary', summary });
    const err = io.err();
    expect(err).not.toContain(String.fromCharCode(27));
    expect(err).toContain('\r');
    // Cut to the terminal's width so that \r can redraw it.
    const drawn = err.split(/[\r\n]/u).filter((l) => l.includes(' documents | '));
    expect(drawn.length).toBeGreaterThan(0);
    expect(drawn.every((l) => [...l].length <= 59)).toBe(true);
    expect(err).toContain('ocrq: failed IMAGE_INVALID: a.png: bad\n');
    expect(err).toContain('ocrq: 3 documents from 3 inputs');
  });
});
