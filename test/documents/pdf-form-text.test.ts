import { readFile } from 'node:fs/promises';
import * as pdfjs from 'pdfjs-dist/legacy/build/pdf.mjs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { PdfDocument } from '../../src/documents/pdf.js';
import { isRealTextLayer } from '../../src/isolate/ocr/text-layer.js';

/**
 * A page's text includes what is filled in on it: the values of visible text fields, the chosen items of combo
 * boxes and FreeText annotations, after the page's own text, top to bottom, each once. Not included: hidden
 * fields, check boxes, and comments (sticky notes).
 */
const fixtures = new URL('../../fixtures/', import.meta.url);
const truth = JSON.parse(await readFile(new URL('ground-truth.json', fixtures), 'utf8')) as Record<string, { pages: string[] }>;
const formPdf = () => readFile(new URL('pdfs/filled-form.pdf', fixtures));

async function pageText(data: Uint8Array, pageNumber = 1): Promise<string> {
  const pdf = await PdfDocument.open(data, 'filled-form.pdf');
  try {
    return await pdf.readPageText(pageNumber);
  } finally {
    await pdf.close();
  }
}

const count = (text: string, words: string): number => text.split(words).length - 1;

describe('form fields and FreeText annotations in page text', () => {
  it('filled-form.pdf reads as its ground truth: page text, then what is filled in, top to bottom', async () => {
    const text = await pageText(await formPdf());
    expect(text).toBe(truth['pdfs/filled-form.pdf'].pages[0]);
    expect(text.split('\n')).toEqual([
      'Library card application 4417',
      'Please print in block letters.',
      'Member since 2019',
      'Marguerite Okonkwo', // text field with an appearance stream
      'Thistlewood Crossing', // text field without one
      'Riverside Branch', // combo box: the display name of export value R
      'Approved by desk clerk Barnaby on May 3.', // FreeText
    ]);
  });

  it('gives each value once, even one the page content already draws inside its field', async () => {
    const text = await pageText(await formPdf());
    for (const words of ['Member since 2019', 'Marguerite Okonkwo', 'Thistlewood Crossing', 'Riverside Branch', 'Barnaby']) {
      expect(count(text, words), words).toBe(1);
    }
  });

  it('leaves out the hidden field, the check box state, the export value and the sticky note', async () => {
    const text = await pageText(await formPdf());
    expect(text).not.toContain('Hidden office code');
    expect(text).not.toContain('5531');
    expect(text).not.toMatch(/\b(Yes|Off)\b/);
    expect(text).not.toMatch(/^R$/m);
    expect(text).not.toContain('Reviewer note');
  });

  it('the values come from the annotations: the content stream has only the page text', async () => {
    const task = pdfjs.getDocument({ data: new Uint8Array(await formPdf()), verbosity: 0 });
    onTestFinished(() => task.destroy());
    const content = await (await (await task.promise).getPage(1)).getTextContent();
    const drawn = content.items.map((item) => ('str' in item ? item.str : '')).join(' ');
    expect(drawn).toContain('Library card application 4417');
    expect(drawn).not.toContain('Okonkwo');
    expect(drawn).not.toContain('Barnaby');
  });

  it('reads the same text every time, and it counts as a text layer', async () => {
    const data = await formPdf();
    const first = await pageText(data);
    expect(await pageText(data)).toBe(first);
    expect(isRealTextLayer(first)).toBe(true);
    // The filled-in values alone would qualify too: a form with little printed text is not OCRed for it.
    expect(isRealTextLayer(first.split('\n').slice(3).join('\n'))).toBe(true);
  });
});
