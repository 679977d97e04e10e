/**
 * Budgets of the document workers and of documents across runs. Each default is meant never to be reached by an
 * ordinary document, only by hostile or broken ones; README "Budgets" gives the reasons for each value.
 */

/**
 * Wall-clock budget of one task (a PDF's opening, one page, one image), in seconds. The heaviest ordinary pages
 * measured take about 20 s (a dense 50-megapixel page); a page past 120 s is almost always a hostile one.
 */
export const DEFAULT_PAGE_SECONDS = 120;
/**
 * Memory budget of one document worker (its V8 heap cap and its resident memory), in bytes. A page at the pixel cap
 * (50 MP, about 12 bytes a pixel to render and OCR) peaks near 770 MiB; two workers at the budget and the run itself
 * stay under 2 GiB.
 */
export const DEFAULT_WORKER_MEMORY = 896 * 1024 * 1024;
/**
 * Runs that may die (killed, out of memory) while a document is in progress before the next run fails it with
 * CRASHED_REPEATEDLY instead of trying a third time.
 */
export const MAX_UNFINISHED_ATTEMPTS = 2;

export interface Budgets {
  /** Per task (a PDF's opening, a page, an image), in seconds. */
  pageSeconds: number;
  /** Per worker process, in bytes. */
  workerMemory: number;
}

export const DEFAULT_BUDGETS: Budgets = { pageSeconds: DEFAULT_PAGE_SECONDS, workerMemory: DEFAULT_WORKER_MEMORY };
