import { createPageCounter } from './page-counter.js';
import type { DocumentOutcome, Target, TargetDocument } from './types.js';

/**
 * The null engine (as in OCRmyPDF): counts pages and returns empty text, without starting OCR workers. Dry runs use
 * it under the real target's name so that job ids, and therefore "already done", match the real run.
 */
export function createNullTarget(name: string, jobIdFor?: (sha256: string) => string): Target {
  const counter = createPageCounter();
  const countPages = (doc: TargetDocument) => counter.count(doc);
  return {
    name,
    jobIdFor,
    countPages,
    async process(doc): Promise<DocumentOutcome> {
      const pages = await countPages(doc);
      const jobId = jobIdFor?.(doc.sha256) ?? `null_${doc.sha256.slice(0, 32)}`;
      if (pages === null) return { ok: false, jobId, error: { code: 'PDF_INVALID', message: `${doc.source}: cannot be opened as a PDF`, category: 'document' } };
      return { ok: true, jobId, text: '', pages, result: { engine: 'null', pages: [] } };
    },
    close: () => counter.close(),
  };
}
