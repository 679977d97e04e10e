import { encodePgm, PdfDocument } from '../../documents/pdf.js';
import { DocumentError, ErrorCodes } from '../../errors.js';
import type { PageResult } from '../../manifest/types.js';
import type { ProcessContext, TargetDocument } from '../types.js';
import { ocrPage, type EngineContext } from './context.js';
import { PREFETCH_IMAGES, RecognizeError } from './tesseract.js';
import { isRealTextLayer } from './text-layer.js';

/**
 * Pages of one PDF: text-layer pages are read directly; the others are queued for OCR, at most
 * `workers + PREFETCH_IMAGES` at a time so other documents' pages interleave and pending work stays small.
 * The first failing page fails the document and stops its remaining pages.
 */
export async function processPdf(engine: EngineContext, doc: TargetDocument, ctx: ProcessContext): Promise<PageResult[]> {
  const { dpi, forceOcr, maxPages, maxPixels } = engine.options;
  const pdf = await PdfDocument.open(doc.data, doc.source, { maxImagePixels: maxPixels });
  // Stops this document's queued pages on its first failure as well as on the caller's abort.
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  let failure: unknown = null;
  const fail = (err: unknown): void => {
    failure ??= err;
    stop.abort(err);
  };
  const inFlight = new Set<Promise<void>>();
  try {
    const count = pdf.numPages;
    if (count > maxPages) {
      throw new DocumentError(
        ErrorCodes.LIMIT_EXCEEDED,
        `${doc.source}: PDF has ${count} pages, over the limit of ${maxPages}`,
        'limit',
      );
    }
    const pages = new Array<PageResult>(count);
    const window = engine.pool.size + PREFETCH_IMAGES;
    for (let n = 1; n <= count && !stop.signal.aborted; n++) {
      // A page whose text cannot be extracted may still render: try OCR before giving up on it.
      const text = forceOcr ? '' : await pdf.readPageText(n).catch(() => '');
      if (!forceOcr && isRealTextLayer(text)) {
        pages[n - 1] = { page: n, source: 'text-layer', confidence: null, text };
        engine.stats.textLayerPages++;
        ctx.onPage?.(pages[n - 1]);
        continue;
      }
      await pdf.renderSize(n, dpi, maxPixels);
      while (inFlight.size >= window) await Promise.race(inFlight);
      if (stop.signal.aborted) break;
      const page = n;
      const task = engine.pool
        .recognize({
          signal: stop.signal,
          parameters: { user_defined_dpi: String(dpi) },
          prepare: async () => encodePgm((await pdf.scannedPageGray(page, dpi, maxPixels)) ?? (await pdf.renderPageGray(page, dpi, maxPixels))),
        })
        .then(
          (r) => {
            pages[page - 1] = ocrPage(engine, doc, ctx, page, r);
          },
          (err) => fail(pageFailure(err, doc.source, page)),
        )
        .finally(() => inFlight.delete(task));
      inFlight.add(task);
    }
    await Promise.all(inFlight);
    ctx.signal.throwIfAborted();
    if (failure) throw failure;
    return pages;
  } catch (err) {
    fail(err);
    await Promise.all(inFlight);
    throw ctx.signal.aborted ? ctx.signal.reason : failure;
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    await pdf.close();
  }
}

function pageFailure(err: unknown, source: string, page: number): unknown {
  if (err instanceof RecognizeError) {
    return new DocumentError(ErrorCodes.OCR_FAILED, `${source}: page ${page}: OCR failed (${err.message})`, 'engine');
  }
  return err;
}
