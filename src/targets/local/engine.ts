/**
 * The `local` target: images and PDFs OCRed by tesseract.js (or, with `--engine native`, by the system's tesseract),
 * with PDF text layers used as they are when they hold real text. All work on a document's bytes runs in document workers (isolate/pool.ts) under time and memory
 * budgets; this side only schedules pages and gathers results. Failures are outcomes; `process` throws only on abort.
 */
import os from 'node:os';
import { DocumentError, ErrorCodes } from '../../errors.js';
import { contentJobId } from '../../documents/hash.js';
import type { DocumentFailure } from '../../errors.js';
import { DEFAULT_BUDGETS, type Budgets } from '../../isolate/budgets.js';
import { IsolatedPool, type PoolDocument, type PoolStats } from '../../isolate/pool.js';
import type { PageSegmentation } from '../../config/keys.js';
import type { PageResult } from '../../manifest/types.js';
import type { DocumentOutcome, ProcessContext, Target, TargetDocument } from '../types.js';
import { DEFAULT_MIN_CONFIDENCE } from './confidence.js';
import { DEFAULT_PSM, pageSegmentationParameters } from './page-segmentation.js';
import { pageResult, type EngineContext } from './context.js';
import { readImageSize } from './image-size.js';
import { disposeLangData, resolveLangData, type LangData } from '../../isolate/ocr/lang-data.js';
import { NativeUnavailable, resolveNativeTesseract, type NativeTesseract } from '../../isolate/ocr/native-binary.js';
import { processPdf } from './pdf-pages.js';

export { DEFAULT_DPI } from '../../config/settings.js';
import { DEFAULT_DPI } from '../../config/settings.js';
export const DEFAULT_MAX_PAGES = 2000;
/**
 * 50 megapixels: a letter page at 600 dpi is ~34 MP, A2 at 300 dpi ~35 MP, A0 at 300 dpi ~140 MP. Rendering and OCR
 * need about 12 bytes a pixel, so a page at the cap stays within the default memory budget of a worker.
 */
export const DEFAULT_MAX_PIXELS = 50_000_000;

/**
 * What reads page images: `embedded` (tesseract.js, shipped with ocrq: the default), `native` (the system's tesseract,
 * 4.1 or later), `auto` (native when it is installed, recent enough and has the languages; else embedded).
 */
export type OcrEngineChoice = 'embedded' | 'native' | 'auto';

export interface LocalEngineOptions {
  /** Default `embedded`. */
  ocrEngine?: OcrEngineChoice;
  /** Where `native` and `auto` look for the binary (PATH, OCRQ_TESSERACT); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** One line saying which engine `auto` picked. */
  onNotice?: (message: string) => void;
  /** tesseract.js workers (default: os.availableParallelism()). */
  workers: number;
  /** `eng`, or several joined by `+` (`eng+deu`). */
  lang: string;
  /** Directory with `<lang>.traineddata(.gz)`; default: the bundled English data (native: the binary's own tessdata). */
  langPath?: string;
  /** Render resolution for PDF pages that are OCRed. */
  dpi: number;
  /** OCR every page, even those with a text layer. */
  forceOcr: boolean;
  /** Detect each OCRed page's orientation (Tesseract OSD) and turn it upright before reading it. */
  rotate?: boolean;
  /** How Tesseract finds the text on a page (default DEFAULT_PSM). */
  psm?: PageSegmentation;
  /** OCRed pages below this mean word confidence are marked `low_confidence` (default DEFAULT_MIN_CONFIDENCE). */
  minConfidence?: number;
  /** Per-document page cap (LIMIT_EXCEEDED above it). */
  maxPages?: number;
  /**
   * Per-page pixel cap: a PDF page over it at `dpi` is rendered at the highest dpi that fits (MIN_RENDER_DPI at the
   * lowest); an image over it, or a page over it even at MIN_RENDER_DPI, fails LIMIT_EXCEEDED.
   */
  maxPixels?: number;
  /** Time and memory budgets of the document workers. */
  budgets?: Budgets;
  /** Library diagnostics, e.g. for `--verbose`; dropped when absent. */
  onDiagnostic?: (text: string) => void;
  /** Called for every OCRed page with the worker that served it. */
  onRecognized?: (info: { source: string; page: number; worker: number }) => void;
}

export interface LocalEngineStats {
  /** Pages and images OCRed. */
  recognized: number;
  /** Pages OCRed per worker. */
  byWorker: number[];
  /** PDF pages whose own text layer was used. */
  textLayerPages: number;
  /** Scanned PDF pages OCRed from their own image rather than drawn on a canvas. */
  scannedImagePages: number;
  /** Of those, the pages whose own JPEG went to the system's tesseract undecoded (`--engine native`). */
  scanJpegPages: number;
  /** The document workers' own counts: tasks, restarts, budget kills, peak memory. */
  pool: PoolStats;
}

export interface LocalEngine extends Target {
  /** The local engine always finishes a document: it never leaves a job pending. */
  process(doc: TargetDocument, ctx: ProcessContext): Promise<DocumentOutcome>;
  jobIdFor(sha256: string): string;
  readonly stats: LocalEngineStats;
  readonly workers: number;
  /** The engine reading page images, as `result.engine` names it. */
  readonly ocr: { engine: LocalResult['engine']; version?: string };
}

/** `result` of a completed local-engine document. */
export interface LocalResult {
  /** `tesseract.js` (embedded) or `tesseract` (the system's, with `engine_version`). */
  engine: 'tesseract.js' | 'tesseract';
  engine_version?: string;
  lang: string;
  dpi: number;
  pages: PageResult[];
}

/**
 * Starts the engine: checks the language data (UsageError naming the language and directory when it is
 * missing or broken) and starts all workers, before any document is processed.
 */
export async function createLocalEngine(options: LocalEngineOptions): Promise<LocalEngine> {
  const native = await chooseNative(options);
  const langData: LangData | null = native ? null : await resolveLangData(options.lang, options.langPath);
  const workers = options.workers > 0 ? Math.floor(options.workers) : os.availableParallelism();
  let pool: IsolatedPool;
  try {
    pool = await IsolatedPool.start({
      workers,
      lang: langData,
      native: native ?? undefined,
      rotate: options.rotate,
      parameters: pageSegmentationParameters(options.psm ?? DEFAULT_PSM),
      budgets: options.budgets ?? DEFAULT_BUDGETS,
      onDiagnostic: options.onDiagnostic,
    });
  } catch (err) {
    if (langData) await disposeLangData(langData);
    throw err;
  }
  const ocr: LocalEngine['ocr'] = native ? { engine: 'tesseract', version: native.version } : { engine: 'tesseract.js' };
  const stats: LocalEngineStats = { recognized: 0, byWorker: Array.from({ length: workers }, () => 0), textLayerPages: 0, scannedImagePages: 0, scanJpegPages: 0, pool: pool.stats };
  const engine: EngineContext = {
    pool,
    stats,
    options: {
      ...options,
      dpi: options.dpi > 0 ? options.dpi : DEFAULT_DPI,
      maxPages: options.maxPages ?? DEFAULT_MAX_PAGES,
      maxPixels: options.maxPixels ?? DEFAULT_MAX_PIXELS,
      minConfidence: options.minConfidence ?? DEFAULT_MIN_CONFIDENCE,
    },
  };
  let documents = 0;
  // Keys name a document inside the workers; two documents with the same content in flight stay apart.
  const pooled = (doc: TargetDocument): PoolDocument => ({ key: `d${++documents}`, source: doc.source, data: doc.data });

  return {
    name: 'local',
    recordsAttempts: true,
    settingsFor,
    ocrEngineName: ocr.engine,
    stats,
    workers,
    ocr,
    jobIdFor,
    async process(doc, ctx) {
      ctx.signal.throwIfAborted();
      const held = pooled(doc);
      try {
        const pages = doc.type === 'pdf' ? await processPdf(engine, doc, ctx, held) : await processImage(engine, doc, ctx, held);
        const result: LocalResult = { engine: ocr.engine, ...(ocr.version ? { engine_version: ocr.version } : {}), lang: options.lang, dpi: engine.options.dpi, pages };
        const lowConfidencePages = pages.filter((p) => p.low_confidence).length;
        return { ok: true, jobId: jobIdFor(doc.sha256), text: pages.map((p) => p.text).join('\f'), pages: pages.length, result, lowConfidencePages };
      } catch (err) {
        ctx.signal.throwIfAborted();
        return { ok: false, jobId: jobIdFor(doc.sha256), error: toFailure(err, doc) } satisfies DocumentOutcome;
      } finally {
        pool.release(held.key);
      }
    },
    async countPages(doc) {
      if (doc.type !== 'pdf') return readImageSize(doc.data, doc.type) ? 1 : null;
      const held = pooled(doc);
      try {
        return (await pool.run(held, { kind: 'count' }, { label: `${doc.source}: counting pages` })).value.pages;
      } catch {
        return null;
      } finally {
        pool.release(held.key);
      }
    },
    close: async () => {
      await pool.close();
      if (langData) await disposeLangData(langData);
    },
  };
}

/** Settings only OCR uses: a document whose pages all came from their text layer does not depend on them. */
const OCR_SETTINGS: ReadonlySet<string> = new Set(['lang', 'dpi', 'rotate', 'psm']);

export function settingsFor(outcome: { result?: unknown }, settings: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  const pages = (outcome.result as Partial<LocalResult> | undefined)?.pages;
  if (!Array.isArray(pages) || pages.some((p) => p.source === 'ocr')) return settings;
  return Object.fromEntries(Object.entries(settings).filter(([key]) => !OCR_SETTINGS.has(key)));
}

/**
 * The system's tesseract when the run asked for it (`native`: a UsageError, exit 2, when it cannot be had) or when
 * `auto` finds it usable; null for the embedded engine. `auto` says in one line what it picked and why.
 */
async function chooseNative(options: LocalEngineOptions): Promise<NativeTesseract | null> {
  const choice = options.ocrEngine ?? 'embedded';
  if (choice === 'embedded') return null;
  const env = options.env ?? process.env;
  if (choice === 'native') return resolveNativeTesseract(options.lang, options.langPath, env);
  const embedded = (why: string): null => {
    options.onNotice?.(`--engine auto picked the embedded engine (tesseract.js): ${why}`);
    return null;
  };
  try {
    const native = await resolveNativeTesseract(options.lang, options.langPath, env);
    options.onNotice?.(`--engine auto picked the system's tesseract ${native.version} (${native.binary})`);
    return native;
  } catch (err) {
    if (err instanceof NativeUnavailable) return embedded(err.message);
    throw err;
  }
}

/** Local job ids are derived from content, so a re-run finds them without the manifest's help. */
export function jobIdFor(sha256: string): string {
  return contentJobId('local', sha256);
}

function toFailure(err: unknown, doc: TargetDocument): DocumentFailure {
  if (err instanceof DocumentError) return err.toFailure();
  const message = `${doc.source}: OCR failed (${(err as Error | null)?.message ?? String(err)})`;
  return { code: ErrorCodes.OCR_FAILED, message, category: 'engine' };
}

async function processImage(engine: EngineContext, doc: TargetDocument, ctx: ProcessContext, held: PoolDocument): Promise<PageResult[]> {
  const size = readImageSize(doc.data, doc.type);
  if (!size) {
    throw new DocumentError(ErrorCodes.IMAGE_INVALID, `${doc.source}: not a readable ${doc.type} image (bad header)`);
  }
  const { maxPixels } = engine.options;
  if (size.width * size.height > maxPixels) {
    throw new DocumentError(
      ErrorCodes.LIMIT_EXCEEDED,
      `${doc.source}: image is ${size.width}x${size.height} pixels, over the limit of ${maxPixels} pixels`,
      'limit',
      'pixels',
    );
  }
  const reply = await engine.pool.run(held, { kind: 'image', type: doc.type }, { label: doc.source, signal: ctx.signal });
  return [pageResult(engine, doc, ctx, 1, reply)];
}
