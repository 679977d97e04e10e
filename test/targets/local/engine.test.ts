import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DocType } from '../../../src/documents/types.js';
import type { PageResult } from '../../../src/manifest/types.js';
import { characterErrorRate } from '../../../src/targets/local/cer.js';
import { createLocalEngine, type LocalEngine, type LocalResult } from '../../../src/targets/local/engine.js';
import type { DocumentOutcome, TargetDocument } from '../../../src/targets/types.js';
import { drawText } from './make-image.js';
import { buildPdf } from './make-pdf.js';

type Truth = { pages: string[]; textLayer: boolean[] } | { error: string } | { skipped: string };
const fixtures = new URL('../../../fixtures/', import.meta.url);
const groundTruth = JSON.parse(await readFile(new URL('ground-truth.json', fixtures), 'utf8')) as Record<string, Truth>;
const TYPES: Record<string, DocType> = { png: 'png', jpg: 'jpeg', tiff: 'tiff', webp: 'webp', bmp: 'bmp', gif: 'gif', pdf: 'pdf' };
const MAX_CER = 0.05;

const served: Array<{ source: string; page: number; worker: number }> = [];
const diagnostics: string[] = [];
let engine: LocalEngine;

beforeAll(async () => {
  engine = await createLocalEngine({
    workers: 2,
    lang: 'eng',
    dpi: 300,
    forceOcr: false,
    maxPages: 5,
    maxPixels: 40_000_000,
    onRecognized: (info) => served.push(info),
    onDiagnostic: (text) => diagnostics.push(text),
  });
});
afterAll(() => engine?.close());

function doc(data: Buffer, type: DocType, source: string): TargetDocument {
  return { sha256: 'f'.repeat(64), type, data, source };
}

async function fixtureDoc(rel: string): Promise<TargetDocument> {
  return doc(await readFile(new URL(rel, fixtures)), TYPES[rel.split('.').pop()!], rel);
}

async function run(d: TargetDocument, signal = new AbortController().signal) {
  const pages: PageResult[] = [];
  const outcome = await engine.process(d, { signal, onPage: (p) => pages.push(p) });
  return { outcome, pages };
}

function expectText(outcome: DocumentOutcome, truth: { pages: string[]; textLayer: boolean[] }, forceOcr = false) {
  if (!outcome.ok) throw new Error(`expected success, got ${JSON.stringify(outcome.error)}`);
  const result = outcome.result as LocalResult;
  expect(result).toMatchObject({ engine: 'tesseract.js', lang: 'eng', dpi: 300 });
  expect(outcome.pages).toBe(truth.pages.length);
  expect(result.pages.map((p) => p.page)).toEqual(truth.pages.map((_, i) => i + 1));
  result.pages.forEach((page, i) => {
    const cer = characterErrorRate(page.text, truth.pages[i]);
    expect(cer, `page ${i + 1}: ${JSON.stringify(page.text)}`).toBeLessThan(MAX_CER);
    const textLayer = truth.textLayer[i] && !forceOcr;
    expect(page.source).toBe(textLayer ? 'text-layer' : 'ocr');
    if (textLayer) expect(page.confidence).toBeNull();
    else expect(page.confidence).toBeGreaterThan(60);
  });
  expect(outcome.text).toBe(result.pages.map((p) => p.text).join('\f'));
  return result;
}

describe('local engine on the fixtures', () => {
  const images = Object.keys(groundTruth).filter((k) => k.startsWith('images/'));

  it.each(images)('OCRs %s', async (rel) => {
    const { outcome, pages } = await run(await fixtureDoc(rel));
    const result = expectText(outcome, groundTruth[rel] as { pages: string[]; textLayer: boolean[] });
    expect(pages).toEqual(result.pages);
  });

  it('uses text layers without OCR', async () => {
    const before = engine.stats.recognized;
    const { outcome, pages } = await run(await fixtureDoc('pdfs/born-digital.pdf'));
    expectText(outcome, groundTruth['pdfs/born-digital.pdf'] as { pages: string[]; textLayer: boolean[] });
    expect(pages.map((p) => p.source)).toEqual(['text-layer', 'text-layer']);
    expect(engine.stats.recognized).toBe(before);
  });

  it('reads the mixed PDF one page from its text layer, one by OCR', async () => {
    const before = engine.stats.recognized;
    const { outcome } = await run(await fixtureDoc('pdfs/mixed.pdf'));
    const result = expectText(outcome, groundTruth['pdfs/mixed.pdf'] as { pages: string[]; textLayer: boolean[] });
    expect(result.pages.map((p) => p.source)).toEqual(['text-layer', 'ocr']);
    expect(engine.stats.recognized).toBe(before + 1);
  });

  it('OCRs a scan at the engine dpi from the page image itself', async () => {
    // 1800 x 1200 px over 6 x 4 in: a 300 dpi scan, the engine's dpi, so the page is not drawn on a canvas.
    const lines = ['Invoice 7731 from Harbor Supplies', 'Total due 418 dollars'];
    const drawn = drawText(lines, 1800, 400);
    const jpeg = { data: drawn.encode('jpeg'), width: drawn.width, height: drawn.height };
    expect(drawn.height).toBe(1200);
    const before = { ...engine.stats };
    const { outcome } = await run(doc(buildPdf([{ jpeg, size: [432, 288] }]), 'pdf', 'scan300.pdf'));
    expectText(outcome, { pages: [lines.join('\n')], textLayer: [false] });
    expect(engine.stats.scannedImagePages).toBe(before.scannedImagePages + 1);
    // From pdf.js's pixels: only the system's tesseract is handed the JPEG itself (scan-jpeg.ts).
    expect(engine.stats.scanJpegPages).toBe(before.scanJpegPages);
  });

  it('spreads the scanned PDF over both workers', async () => {
    served.length = 0;
    const { outcome, pages } = await run(await fixtureDoc('pdfs/scanned.pdf'));
    expectText(outcome, groundTruth['pdfs/scanned.pdf'] as { pages: string[]; textLayer: boolean[] });
    expect(pages.map((p) => p.page).sort()).toEqual([1, 2, 3]);
    expect(served.map((s) => s.page).sort()).toEqual([1, 2, 3]);
    expect(new Set(served.map((s) => s.worker))).toEqual(new Set([0, 1]));
  });

  it('fails protected and corrupt PDFs as outcomes', async () => {
    const protectedDoc = await fixtureDoc('pdfs/protected.pdf');
    const protectedPdf = await run(protectedDoc);
    expect(protectedPdf.outcome).toEqual({
      ok: false,
      jobId: `local_${protectedDoc.sha256.slice(0, 32)}`,
      error: {
        code: 'PDF_PASSWORD_PROTECTED',
        category: 'document',
        message: expect.stringMatching(/^pdfs\/protected\.pdf: PDF is password-protected .*qpdf --decrypt/),
      },
    });
    const corrupt = await run(await fixtureDoc('pdfs/corrupt.pdf'));
    expect(corrupt.outcome).toMatchObject({ ok: false, error: { code: 'PDF_INVALID', category: 'document' } });
    const empty = await run(doc(Buffer.alloc(0), 'pdf', 'empty.pdf'));
    expect(empty.outcome).toMatchObject({ ok: false, error: { code: 'PDF_INVALID' } });
  });

  it('fails an undecodable image and keeps working, with nothing on stdout', async () => {
    const stdout = vi.spyOn(process.stdout, 'write');
    try {
      const png = await readFile(new URL('images/invoice.png', fixtures));
      const truncated = await run(doc(png.subarray(0, Math.floor(png.length / 2)), 'png', 'cut.png'));
      expect(truncated.outcome).toEqual({
        ok: false,
        jobId: expect.stringMatching(/^local_[0-9a-f]{32}$/),
        error: { code: 'IMAGE_INVALID', category: 'document', message: 'cut.png: the png image cannot be decoded' },
      });
      const badHeader = await run(doc(Buffer.from('GIF89a'), 'gif', 'short.gif'));
      expect(badHeader.outcome).toMatchObject({ ok: false, error: { code: 'IMAGE_INVALID' } });
      const good = await run(doc(png, 'png', 'invoice.png'));
      expectText(good.outcome, groundTruth['images/invoice.png'] as { pages: string[]; textLayer: boolean[] });
      expect(engine.stats.pool.restarts).toBe(0);
      await expect.poll(() => diagnostics.join('')).toContain('png');
      expect(stdout).not.toHaveBeenCalled();
    } finally {
      stdout.mockRestore();
    }
  });
});

describe('local engine limits and control', () => {
  const scan = (text: string) => {
    const drawn = drawText([text, 'Second line of this page.'], 1200);
    return { data: drawn.encode('jpeg'), width: drawn.width, height: drawn.height };
  };

  it('refuses PDFs over the page cap and pages over the pixel cap', async () => {
    const tooLong = await run(doc(buildPdf(Array.from({ length: 6 }, () => ({}))), 'pdf', 'long.pdf'));
    expect(tooLong.outcome).toMatchObject({
      ok: false,
      error: { code: 'LIMIT_EXCEEDED', category: 'limit', message: 'long.pdf: PDF has 6 pages, over the limit of 5' },
    });
    // 100 in square: over the cap even at 72 dpi, the lowest a page is rendered at (smaller posters are read at a lower dpi).
    const huge = await run(doc(buildPdf([{ size: [7200, 7200] }]), 'pdf', 'poster.pdf'));
    expect(huge.outcome).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED', category: 'limit', reason: 'pixels' } });
    const png = Buffer.from(drawText(['x'], 100, 50).encode('png'));
    png.writeUInt32BE(30_000, 16);
    png.writeUInt32BE(30_000, 20);
    const bomb = await run(doc(png, 'png', 'bomb.png'));
    expect(bomb.outcome).toMatchObject({
      ok: false,
      error: { code: 'LIMIT_EXCEEDED', message: 'bomb.png: image is 30000x30000 pixels, over the limit of 40000000 pixels' },
    });
  });

  it('keeps at most one page per worker in work for a long scanned PDF', async () => {
    const lines = ['Alpha page one', 'Bravo page two', 'Charlie page three', 'Delta page four', 'Echo page five'];
    const pdf = buildPdf(lines.map((l) => ({ jpeg: scan(l), size: [612, 168] as [number, number] })));
    const { outcome } = await run(doc(pdf, 'pdf', 'long-scan.pdf'));
    expect(outcome.ok).toBe(true);
    const texts = (outcome as { result: LocalResult }).result.pages.map((p) => p.text.split('\n')[0]);
    lines.forEach((l, i) => expect(characterErrorRate(texts[i], l)).toBeLessThan(MAX_CER));
    expect(engine.stats.pool.peakBusy).toBeLessThanOrEqual(engine.workers);
  });

  it('processes documents concurrently', async () => {
    const rels = ['pdfs/scanned.pdf', 'pdfs/mixed.pdf', 'images/receipt.jpg', 'images/sign.gif'];
    const outcomes = await Promise.all(rels.map(async (rel) => (await run(await fixtureDoc(rel))).outcome));
    outcomes.forEach((o, i) => expectText(o, groundTruth[rels[i]] as { pages: string[]; textLayer: boolean[] }));
    expect(engine.stats.pool.peakBusy).toBeLessThanOrEqual(engine.workers);
  });

  it('stops a document on abort with the abort reason, and stays usable', async () => {
    const controller = new AbortController();
    const reason = new Error('interrupted');
    const pdf = buildPdf(['One', 'Two', 'Three', 'Four', 'Five'].map((l) => ({ jpeg: scan(l), size: [612, 168] as [number, number] })));
    const before = engine.stats.recognized;
    const processing = engine.process(doc(pdf, 'pdf', 'abort.pdf'), {
      signal: controller.signal,
      onPage: () => controller.abort(reason),
    });
    await expect(processing).rejects.toBe(reason);
    expect(engine.stats.recognized - before).toBeLessThan(5);
    await expect(engine.process(doc(pdf, 'pdf', 'x.pdf'), { signal: controller.signal })).rejects.toBe(reason);
    const { outcome } = await run(await fixtureDoc('images/memo.webp'));
    expect(outcome.ok).toBe(true);
  });

  it('counts pages without processing', async () => {
    expect(await engine.countPages(await fixtureDoc('pdfs/scanned.pdf'))).toBe(3);
    expect(await engine.countPages(await fixtureDoc('images/note.bmp'))).toBe(1);
    expect(await engine.countPages(await fixtureDoc('pdfs/protected.pdf'))).toBeNull();
    expect(await engine.countPages(await fixtureDoc('pdfs/corrupt.pdf'))).toBeNull();
    expect(await engine.countPages(doc(Buffer.from('nope'), 'png', 'x.png'))).toBeNull();
  });

  it('derives job ids from content', () => {
    expect(engine.name).toBe('local');
    expect(engine.jobIdFor('0123456789abcdef'.repeat(4))).toBe('local_0123456789abcdef0123456789abcdef');
  });
});
