import { DocumentError, ErrorCodes } from '../../errors.js';
import type { PoolDocument } from '../../isolate/pool.js';
import type { PageResult } from '../../manifest/types.js';
import type { ProcessContext, TargetDocument } from '../types.js';
import { pageResult, type EngineContext } from './context.js';

/** Pages queued ahead of a free worker, so a worker does not sit idle while the next page is sent. */
export const PREFETCH_PAGES = 1;

/**
 * Pages of one PDF, each a task for the document workers: a page with a real text layer is read directly, the
 * others are rendered and OCRed there. At most `workers + PREFETCH_PAGES` pages of one document wait or run at a
 * time, so other documents' pages interleave. The first failing page fails the document and stops its other pages.
 */
export async function processPdf(engine: EngineContext, doc: TargetDocument, ctx: ProcessContext, pooled: PoolDocument): Promise<PageResult[]> {
  const { dpi, forceOcr, maxPages, maxPixels } = engine.options;
  const { pool } = engine;
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
    const opened = await pool.run(pooled, { kind: 'open', maxPixels }, { label: `${doc.source}: opening the PDF`, signal: ctx.signal });
    const count = opened.value.pages;
    if (count > maxPages) {
      throw new DocumentError(ErrorCodes.LIMIT_EXCEEDED, `${doc.source}: PDF has ${count} pages, over the limit of ${maxPages}`, 'limit', 'pages');
    }
    ctx.onPageCount?.(count);
    const pages = new Array<PageResult>(count);
    const window = pool.size + PREFETCH_PAGES;
    for (let n = 1; n <= count && !stop.signal.aborted; n++) {
      while (inFlight.size >= window) await Promise.race(inFlight);
      if (stop.signal.aborted) break;
      const page = n;
      const task = pool
        .run(pooled, { kind: 'page', page, dpi, forceOcr, maxPixels }, { label: `${doc.source}: page ${page}`, signal: stop.signal })
        .then(
          (reply) => {
            pages[page - 1] = pageResult(engine, doc, ctx, page, reply);
          },
          fail,
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
  }
}
