import type { ProviderCase } from '../helpers/remote.js';

/** Per-provider facts for the shared remote tests; one entry per provider. */
export const CASES: ProviderCase[] = [
  {
    name: 'ocrqueen',
    options: [],
    files: ['images/invoice.png', 'images/receipt.jpg', 'pdfs/born-digital.pdf', 'pdfs/scanned.pdf', 'pdfs/protected.pdf'],
    expectedText: (pages) => pages.join('\n\n'),
  },
  {
    // Markdown pages from the paginated /ocr/result, joined with a blank line.
    name: 'leapocr',
    options: [],
    files: ['images/invoice.png', 'images/receipt.jpg', 'pdfs/born-digital.pdf', 'pdfs/scanned.pdf', 'pdfs/protected.pdf'],
    // LeapOCR reports no failure codes, only a message.
    failureCode: 'LEAPOCR_JOB_FAILED',
    expectedText: (pages) => pages.join('\n\n'),
  },
  {
    // Returns the extractor's fields, not text.
    name: 'docextract',
    options: ['extractor_id=ext_invoices'],
    files: ['images/invoice.png', 'images/receipt.jpg', 'pdfs/born-digital.pdf', 'pdfs/scanned.pdf', 'pdfs/protected.pdf'],
    expectedText: () => null,
  },
  {
    // Returns extracted fields; text only with the XL model (test/providers/qomplement/adapter.test.ts).
    name: 'qomplement',
    options: [],
    files: ['images/invoice.png', 'images/receipt.jpg', 'pdfs/born-digital.pdf', 'pdfs/scanned.pdf', 'pdfs/protected.pdf'],
    expectedText: () => null,
  },
  {
    name: 'process-job',
    options: ['template_id=3f2b8c1e-6a4d-4e7b-9c0a-5d1e2f3a4b5c'],
    files: ['images/invoice.png', 'images/receipt.jpg', 'pdfs/born-digital.pdf', 'pdfs/scanned.pdf', 'pdfs/protected.pdf'],
    expectedText: () => null,
  },
];
