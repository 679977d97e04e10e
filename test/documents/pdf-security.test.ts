import { readFile } from 'node:fs/promises';
import * as pdfjs from 'pdfjs-dist/legacy/build/pdf.mjs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { countPdfPages, PdfDocument } from '../../src/documents/pdf.js';
import { DocumentError } from '../../src/errors.js';
import { buildPdf } from '../targets/local/make-pdf.js';

/**
 * A PDF is PDF_PASSWORD_PROTECTED only when its pages cannot be read without a password. Encryption with an
 * empty user password (an owner password restricting permissions), or encryption of the embedded files alone,
 * leaves the pages readable, and ocrq reads them.
 */
const fixture = (name: string) => readFile(new URL(`../../fixtures/pdfs/${name}`, import.meta.url));

async function readAll(data: Uint8Array, source: string): Promise<{ pages: number; text: string[] }> {
  const pdf = await PdfDocument.open(data, source);
  try {
    const text: string[] = [];
    for (let n = 1; n <= pdf.numPages; n++) text.push(await pdf.readPageText(n));
    return { pages: pdf.numPages, text };
  } finally {
    await pdf.close();
  }
}

async function openError(data: Uint8Array, source: string): Promise<DocumentError> {
  const err = await PdfDocument.open(data, source).then(
    async (pdf) => {
      await pdf.close();
      return null;
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DocumentError);
  return err as DocumentError;
}

/** How pdf.js itself answers, without ocrq: the document, or the exception it throws. */
async function pdfjsOpen(data: Uint8Array, password?: string): Promise<pdfjs.PDFDocumentProxy> {
  const task = pdfjs.getDocument({ data: new Uint8Array(data), password, verbosity: 0 });
  onTestFinished(() => task.destroy());
  return task.promise;
}

/** Replaces `from` with `to`, padded with spaces to the same length so the file's offsets stay valid. */
function patch(data: Buffer, from: string, to: string): Buffer {
  const at = data.indexOf(from);
  expect(at, `"${from}" in the file`).toBeGreaterThanOrEqual(0);
  expect(to.length).toBeLessThanOrEqual(from.length);
  const copy = Buffer.from(data);
  copy.write(to.padEnd(from.length, ' '), at, 'latin1');
  return copy;
}

describe('owner-password-only PDFs', () => {
  it('owner-only.pdf (AES-128, empty user password, every permission denied) is read', async () => {
    const data = await fixture('owner-only.pdf');
    const text = data.toString('latin1');
    // Really encrypted, with nothing permitted: the page text is not in the file in the clear.
    expect(text).toMatch(/\/V 4 /);
    expect(text).toMatch(/\/CFM \/AESV2/);
    expect(text).toMatch(/\/P -3904\b/);
    expect(text).not.toContain('Tenancy');
    const { pages, text: pageText } = await readAll(data, 'owner-only.pdf');
    expect(pages).toBe(1);
    expect(pageText[0]).toBe('Tenancy notice 3158 for Flat 4B.\nThe boiler is serviced on August 19.\nCall the office at 555-0187.');
    expect(await countPdfPages(data)).toBe(1);
    // The owner password is real: pdf.js takes it too.
    expect((await pdfjsOpen(data, 'landlord')).numPages).toBe(1);
  });

  it('an RC4 (revision 2) file with an empty user password is read', async () => {
    const data = buildPdf([{ lines: ['Restricted but readable 8831'] }], { userPassword: '' });
    expect(data.toString('latin1')).toContain('/Encrypt');
    expect((await readAll(data, 'rc4.pdf')).text).toEqual(['Restricted but readable 8831']);
  });
});

describe('PDFs whose attachments alone are encrypted', () => {
  it('encrypted-attachment.pdf is read without the attachment password', async () => {
    const data = await fixture('encrypted-attachment.pdf');
    const text = data.toString('latin1');
    expect(text).toMatch(/\/StmF \/Identity/);
    expect(text).toMatch(/\/StrF \/Identity/);
    expect(text).toMatch(/\/EFF \/StdCF/);
    // The page is stored in the clear, the attachment is not.
    expect(text).toContain('Cover letter 6627');
    expect(text).not.toContain('Whitcombe');
    // pdf.js alone asks for the password...
    await expect(pdfjsOpen(data)).rejects.toMatchObject({
      name: 'PasswordException',
      code: pdfjs.PasswordResponses.NEED_PASSWORD,
    });
    // ...ocrq reads the page without it, and leaves the caller's bytes alone.
    const before = Buffer.from(data);
    const { pages, text: pageText } = await readAll(data, 'encrypted-attachment.pdf');
    expect(data.equals(before)).toBe(true);
    expect(pages).toBe(1);
    expect(pageText[0]).toBe(
      'Cover letter 6627 for the audit team.\nThe payroll table is attached.\nOpen it with the password you were sent.',
    );
    expect(await countPdfPages(data)).toBe(1);
  });

  it('reads the same text pdf.js gives with the password', async () => {
    const data = await fixture('encrypted-attachment.pdf');
    const doc = await pdfjsOpen(data, 'payroll');
    const content = await (await doc.getPage(1)).getTextContent();
    const withPassword = content.items.map((item) => ('str' in item ? item.str : '')).join('\n');
    expect((await readAll(data, 'a.pdf')).text[0]).toBe(withPassword);
  });

  it('is read after an incremental update that repeats the /Encrypt entry', async () => {
    const data = await fixture('encrypted-attachment.pdf');
    const text = data.toString('latin1');
    const trailer = /trailer\s*(<<[\s\S]*?>>)\s*startxref\s+(\d+)/.exec(text)!;
    const size = Number(/\/Size (\d+)/.exec(trailer[1])![1]);
    const object = `${size} 0 obj\n<< /Title (Cover letter 6627, revised) >>\nendobj\n`;
    const xrefAt = data.length + object.length;
    const update =
      object +
      `xref\n${size} 1\n${String(data.length).padStart(10, '0')} 00000 n \n` +
      `trailer\n${trailer[1].replace(/\/Size \d+/, `/Size ${size + 1} /Prev ${trailer[2]}`)}\nstartxref\n${xrefAt}\n%%EOF\n`;
    const updated = Buffer.concat([data, Buffer.from(update, 'latin1')]);
    expect(updated.toString('latin1').match(/\/Encrypt \d+ 0 R/g)).toHaveLength(2);
    expect((await readAll(updated, 'updated.pdf')).text[0]).toContain('Cover letter 6627 for the audit team.');
  });

  it.each([
    ['streams', '/StmF /Identity', '/StmF /StdCF'],
    ['strings', '/StrF /Identity', '/StrF /StdCF'],
  ])('needs the password once %s are encrypted too', async (_, from, to) => {
    const data = patch(await fixture('encrypted-attachment.pdf'), from, to);
    const err = await openError(data, 'locked.pdf');
    expect(err.code).toBe('PDF_PASSWORD_PROTECTED');
    expect(err.message).toContain('(password required)');
  });

  it('takes a crypt filter whose method is /None for Identity', async () => {
    let data: Buffer = await fixture('encrypted-attachment.pdf');
    data = patch(data, '/CFM /AESV2', '/CFM /None');
    data = patch(data, '/StmF /Identity', '/StmF /StdCF');
    data = patch(data, '/StrF /Identity', '/StrF /StdCF');
    expect((await readAll(data, 'none.pdf')).text[0]).toContain('The payroll table is attached.');
  });
});

describe('PDFs that need a password to read their pages', () => {
  it('protected.pdf still fails with PDF_PASSWORD_PROTECTED, password required', async () => {
    const err = await openError(await fixture('protected.pdf'), 'protected.pdf');
    expect(err.code).toBe('PDF_PASSWORD_PROTECTED');
    expect(err.message).toBe(
      'protected.pdf: PDF is password-protected (password required); ocrq cannot open it (decrypt it first, e.g. qpdf --decrypt)',
    );
    expect(await countPdfPages(await fixture('protected.pdf'))).toBeNull();
  });
});
