import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  countPdfPages,
  encodePgm,
  MIN_RENDER_DPI,
  pdfOpenError,
  PdfDocument,
  rgbaToGray,
} from '../../src/documents/pdf.js';
import { DocumentError } from '../../src/errors.js';
import { drawText } from '../targets/local/make-image.js';
import { buildPdf } from '../targets/local/make-pdf.js';

const fixture = (name: string) => readFile(new URL(`../../fixtures/pdfs/${name}`, import.meta.url));

async function openError(data: Uint8Array, source = 'in.pdf'): Promise<DocumentError> {
  const err = await PdfDocument.open(data, source).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DocumentError);
  return err as DocumentError;
}

describe('PdfDocument', () => {
  it('reads text layers line by line', async () => {
    const pdf = await PdfDocument.open(buildPdf([{ lines: ['First line here', 'Second (line) 42'] }, {}]), 'a.pdf');
    try {
      expect(pdf.numPages).toBe(2);
      expect(await pdf.readPageText(1)).toBe('First line here\nSecond (line) 42');
      expect(await pdf.readPageText(2)).toBe('');
    } finally {
      await pdf.close();
    }
  });

  it('reads the born-digital fixture', async () => {
    const pdf = await PdfDocument.open(await fixture('born-digital.pdf'), 'born-digital.pdf');
    try {
      expect(pdf.numPages).toBe(2);
      expect(await pdf.readPageText(1)).toContain('Quarterly Report 2024, page one.');
    } finally {
      await pdf.close();
    }
  });

  it('renders a page on white at the requested dpi', async () => {
    const drawn = drawText(['Rendered'], 400, 100);
    const jpeg = { data: drawn.encode('jpeg'), width: drawn.width, height: drawn.height };
    const pdf = await PdfDocument.open(buildPdf([{ lines: ['Text on top'] }, { jpeg, size: [144, 72] }]), 'r.pdf');
    try {
      const blank = await pdf.renderPageGray(1, 72, 1e8);
      expect(blank).toMatchObject({ width: 612, height: 792 });
      expect(blank.pixels[0]).toBe(255); // white background, not transparent black
      expect(blank.pixels.some((v) => v < 128)).toBe(true); // the text was drawn
      const scanned = await pdf.renderPageGray(2, 300, 1e8);
      expect(scanned).toMatchObject({ width: 600, height: 300 });
      expect(scanned.pixels).toHaveLength(600 * 300);
    } finally {
      await pdf.close();
    }
  });

  it('takes a scanned page from its own pixels when its image covers the page at about the asked dpi', async () => {
    // 600 x 300 px over 2 x 1 in: a 300 dpi scan.
    const drawn = drawText(['Scanned words 42'], 600, 150);
    const jpeg = { data: drawn.encode('jpeg'), width: drawn.width, height: drawn.height };
    const pdf = await PdfDocument.open(
      buildPdf([{ jpeg, size: [144, 72] }, { lines: ['A text page'] }, { jpeg, size: [288, 144] }]),
      'scan.pdf',
    );
    try {
      const direct = await pdf.scannedPageGray(1, 300, 1e8);
      const rendered = await pdf.renderPageGray(1, 300, 1e8);
      expect(direct).toMatchObject({ width: 600, height: 300 });
      let difference = 0;
      for (let i = 0; i < rendered.pixels.length; i++) difference += Math.abs(direct!.pixels[i] - rendered.pixels[i]);
      expect(difference / rendered.pixels.length).toBeLessThan(2);
      expect(direct!.pixels.some((v) => v < 100)).toBe(true);
      // Anything else is rendered: another dpi asked for, a text page, an image at half the dpi, over the cap.
      expect(await pdf.scannedPageGray(1, 200, 1e8)).toBeNull();
      expect(await pdf.scannedPageGray(2, 300, 1e8)).toBeNull();
      expect(await pdf.scannedPageGray(3, 300, 1e8)).toBeNull();
      expect(await pdf.scannedPageGray(3, 150, 1e8)).toMatchObject({ width: 600, height: 300 });
      expect(await pdf.scannedPageGray(1, 300, 1000)).toBeNull();
    } finally {
      await pdf.close();
    }
  });

  it('refuses pages over the pixel cap before rendering them', async () => {
    const pdf = await PdfDocument.open(buildPdf([{ size: [14_400, 14_400] }]), 'huge.pdf');
    try {
      await expect(pdf.renderSize(1, 300, 100_000_000)).rejects.toMatchObject({
        code: 'LIMIT_EXCEEDED',
        category: 'limit',
        message: expect.stringContaining('huge.pdf: page 1 is 60000x60000 pixels'),
      });
      await expect(pdf.renderPageGray(1, 300, 100_000_000)).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
      expect(await pdf.renderSize(1, 10, 100_000_000)).toEqual({ width: 2000, height: 2000 });
    } finally {
      await pdf.close();
    }
  });

  it('renders a page over the pixel cap at the highest dpi that fits, down to 72 dpi', async () => {
    // 2000 pt (27.8 in) square, 200 in square, and a strip 20000 pt long that a canvas holds only up to 117 dpi.
    const pdf = await PdfDocument.open(buildPdf([{ size: [2000, 2000] }, { size: [14_400, 14_400] }, { size: [1000, 20_000] }, { size: [612, 792] }]), 'big.pdf');
    try {
      expect(MIN_RENDER_DPI).toBe(72);
      expect(await pdf.fitDpi(4, 300, 40_000_000)).toBe(300);
      // 227 dpi: 6306 x 6306 = 39.8 MP; 228 dpi would be 40.1 MP.
      expect(await pdf.fitDpi(1, 300, 40_000_000)).toBe(227);
      expect(await pdf.renderSize(1, 227, 40_000_000)).toEqual({ width: 6306, height: 6306 });
      await expect(pdf.renderSize(1, 228, 40_000_000)).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED' });
      expect(await pdf.fitDpi(3, 300, 1e9)).toBe(117);
      // At 72 dpi the 200-inch page is still 14400 x 14400 pixels: it fails, naming both sizes.
      await expect(pdf.fitDpi(2, 300, 100_000_000)).rejects.toMatchObject({
        code: 'LIMIT_EXCEEDED',
        category: 'limit',
        reason: 'pixels',
        message: 'big.pdf: page 2 is 60000x60000 pixels at 300 dpi and still 14400x14400 at 72 dpi, the lowest it is rendered at: over the limit of 100000000 pixels (32767 per side)',
      });
      // A dpi asked for below the floor is the floor.
      await expect(pdf.fitDpi(1, 50, 1_000_000)).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED', message: expect.stringContaining('at 50 dpi, the lowest') });
    } finally {
      await pdf.close();
    }
  });

  it('reports password-protected PDFs without prompting', async () => {
    const err = await openError(buildPdf([{ lines: ['secret'] }], { userPassword: 'pw' }), 'locked.pdf');
    expect(err.code).toBe('PDF_PASSWORD_PROTECTED');
    expect(err.message).toBe(
      'locked.pdf: PDF is password-protected (password required); ocrq cannot open it (decrypt it first, e.g. qpdf --decrypt)',
    );
    expect((await openError(await fixture('protected.pdf'))).code).toBe('PDF_PASSWORD_PROTECTED');
  });

  it('names a wrong password', async () => {
    // ocrq never sends a password; take pdf.js's own exception for one to check the wording.
    const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
    const data = buildPdf([{ lines: ['secret'] }], { userPassword: 'pw' });
    const task = getDocument({ data: new Uint8Array(data), password: 'wrong', verbosity: 0 });
    const thrown = await task.promise.then(() => null, (e: unknown) => e);
    await task.destroy();
    expect(thrown).toMatchObject({ name: 'PasswordException', code: 2 });
    const err = pdfOpenError(thrown, 'x.pdf');
    expect(err.code).toBe('PDF_PASSWORD_PROTECTED');
    expect(err.message).toContain('(incorrect password)');
  });

  it.each([
    ['empty', Buffer.alloc(0)],
    ['garbage', Buffer.from('this is not a pdf at all')],
    ['truncated', buildPdf([{ lines: ['cut short'] }]).subarray(0, 200)],
    ['header only', Buffer.from('%PDF-1.7\n')],
  ])('fails %s PDFs with PDF_INVALID', async (_, data) => {
    const err = await openError(data, 'bad.pdf');
    expect(err.code).toBe('PDF_INVALID');
    expect(err.message).toMatch(/^bad\.pdf: not a readable PDF/);
  });

  it('fails the corrupt fixture with PDF_INVALID', async () => {
    expect((await openError(await fixture('corrupt.pdf'))).code).toBe('PDF_INVALID');
  });

  it('does not detach the caller’s buffer', async () => {
    const data = buildPdf([{ lines: ['keep me'] }]);
    const copy = Buffer.from(data);
    const pdf = await PdfDocument.open(data, 'k.pdf');
    await pdf.close();
    expect(data.equals(copy)).toBe(true);
  });
});

describe('countPdfPages', () => {
  it('counts pages, or gives null when the PDF cannot be opened', async () => {
    expect(await countPdfPages(buildPdf([{}, {}, {}]))).toBe(3);
    expect(await countPdfPages(await fixture('scanned.pdf'))).toBe(3);
    expect(await countPdfPages(await fixture('protected.pdf'))).toBeNull();
    expect(await countPdfPages(await fixture('corrupt.pdf'))).toBeNull();
  });
});

describe('grayscale and PGM', () => {
  it('converts RGBA to luma', () => {
    const gray = rgbaToGray(new Uint8ClampedArray([255, 255, 255, 255, 0, 0, 0, 255, 255, 0, 0, 255]));
    expect(Array.from(gray)).toEqual([255, 0, 76]);
  });

  it('writes a binary PGM header followed by the pixels', () => {
    const pgm = encodePgm({ width: 2, height: 1, pixels: new Uint8Array([0, 255]) });
    expect(pgm.toString('latin1', 0, 11)).toBe('P5\n2 1\n255\n');
    expect(Array.from(pgm.subarray(11))).toEqual([0, 255]);
  });
});
