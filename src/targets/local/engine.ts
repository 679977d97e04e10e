/**
 * The `local` target: images and PDFs OCRed in-process by a tesseract.js worker pool, with PDF text layers
 * used as they are when they hold real text. Failures are outcomes; `process` throws only on abort.
 */
import os from 'node:os';
import { DocumentError, ErrorCodes } from '../../errors.js';
import { contentJobId } from '../../documents/hash.js';
import { countPdfPages, encodePgm } from '../../documents/pdf.js';
import type { DocumentFailure } from '../../errors.js';
import type { PageResult } from '../../manifest/types.js';
import type { DocumentOutcome, ProcessContext, Target, TargetDocument } from '../types.js';
import { decodeBmpToGray } from './bmp.js';
import { ocrPage, type EngineContext } from './context.js';
import { readImageSize } from './image-size.js';
import { resolveLangData } from './lang-data.js';
import { processPdf } from './pdf-pages.js';
import { RecognizeError, TesseractPool, type PoolStats } from './tesseract.js';

export const DEFAULT_DPI = 300;
export const DEFAULT_MAX_PAGES = 2000;
/** 100 megapixels: an A0 sheet at 300 dpi is ~140 MP, a letter page ~8.4 MP. */
export const DEFAULT_MAX_PIXELS = 100_000_000;

export interface LocalEngineOptions {
  /** tesseract.js workers (default: os.availableParallelism()). */
  workers: number;
  /** `eng`, or several joined by `+` (`eng+deu`). */
  lang: string;
  /** Directory with `<lang>.traineddata(.gz)`; default: the bundled English data. */
  langPath?: string;
  /** Render resolution for PDF pages that are OCRed. */
  dpi: number;
  /** OCR every page, even those with a text layer. */
  forceOcr: boolean;
  /** Per-document page cap (LIMIT_EXCEEDED above it). */
  maxPages?: number;
  /** Per-page (rendered page or image) pixel cap (LIMIT_EXCEEDED above it). */
  maxPixels?: number;
  /** Library diagnostics, e.g. for `--verbose`; dropped when absent. */
  onDiagnostic?: (text: string) => void;
  /** Called for every OCRed page with the worker that served it. */
  onRecognized?: (info: { source: string; page: number; worker: number }) => void;
}

export interface LocalEngineStats extends PoolStats {
  /** PDF pages whose own text layer was used. */
  textLayerPages: number;
}

export interface LocalEngine extends Target {
  /** The local engine always finishes a document: it never leaves a job pending. */
  process(doc: TargetDocument, ctx: ProcessContext): Promise<DocumentOutcome>;
  jobIdFor(sha256: string): string;
  readonly stats: LocalEngineStats;
  readonly workers: number;
}

/** `result` of a completed local-engine document. */
export interface LocalResult {
  engine: 'tesseract.js';
  lang: string;
  dpi: number;
  pages: PageResult[];
}

/**
 * Starts the engine: checks the language data (UsageError naming the language and directory when it is
 * missing or broken) and starts all workers, before any document is processed.
 */
export async function createLocalEngine(options: LocalEngineOptions): Promise<LocalEngine> {
  const langData = await resolveLangData(options.lang, options.langPath);
  const workers = options.workers > 0 ? Math.floor(options.workers) : os.availableParallelism();
  const pool = await TesseractPool.start({ ...langData, workers, onDiagnostic: options.onDiagnostic });
  const stats: LocalEngineStats = Object.assign(pool.stats, { textLayerPages: 0 });
  const engine: EngineContext = {
    pool,
    stats,
    options: {
      ...options,
      dpi: options.dpi > 0 ? options.dpi : DEFAULT_DPI,
      maxPages: options.maxPages ?? DEFAULT_MAX_PAGES,
      maxPixels: options.maxPixels ?? DEFAULT_MAX_PIXELS,
    },
  };

  return {
    name: 'local',
    stats,
    workers,
    jobIdFor,
    async process(doc, ctx) {
      ctx.signal.throwIfAborted();
      try {
        const pages = doc.type === 'pdf' ? await processPdf(engine, doc, ctx) : await processImage(engine, doc, ctx);
        const result: LocalResult = { engine: 'tesseract.js', lang: options.lang, dpi: engine.options.dpi, pages };
        return { ok: true, jobId: jobIdFor(doc.sha256), text: pages.map((p) => p.text).join('\f'), pages: pages.length, result };
      } catch (err) {
        ctx.signal.throwIfAborted();
        return { ok: false, jobId: jobIdFor(doc.sha256), error: toFailure(err, doc) } satisfies DocumentOutcome;
      }
    },
    async countPages(doc) {
      if (doc.type === 'pdf') return countPdfPages(doc.data, doc.source);
      return readImageSize(doc.data, doc.type) ? 1 : null;
    },
    close: () => pool.close(),
  };
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

async function processImage(engine: EngineContext, doc: TargetDocument, ctx: ProcessContext): Promise<PageResult[]> {
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
    );
  }
  // BMPs in layouts decoded here skip the engine's own slow BMP path; the rest (RLE) take it, and any
  // failure there is the image's.
  let engineDecodesBmp = false;
  try {
    const r = await engine.pool.recognize({
      signal: ctx.signal,
      prepare: async () => {
        if (doc.type !== 'bmp') return doc.data;
        const bmp = decodeBmpToGray(doc.data);
        if (bmp.ok) return encodePgm(bmp.image);
        if (bmp.reason === 'invalid') throw invalidImage(doc);
        engineDecodesBmp = true;
        return doc.data;
      },
    });
    return [ocrPage(engine, doc, ctx, 1, r)];
  } catch (err) {
    if (err instanceof RecognizeError && (err.unreadable || engineDecodesBmp)) {
      throw invalidImage(doc);
    }
    throw err;
  }
}

const invalidImage = (doc: TargetDocument): DocumentError =>
  new DocumentError(ErrorCodes.IMAGE_INVALID, `${doc.source}: the ${doc.type} image cannot be decoded`);
