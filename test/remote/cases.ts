import type { ProviderCase } from '../helpers/remote.js';

/** Per-provider facts for the shared remote tests; one entry per provider. */
export const CASES: ProviderCase[] = [
  {
    name: 'ocrqueen',
    options: [],
    files: ['images/invoice.png', 'images/receipt.jpg', 'pdfs/born-digital.pdf', 'pdfs/scanned.pdf', 'pdfs/protected.pdf'],
    expectedText: (pages) => pages.join('\n\n'),
  },
];
