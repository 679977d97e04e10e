/**
 * Messages between the run and its document workers (child processes, see pool.ts and child.ts). A document's
 * bytes travel once per worker: the first task of a document on a worker carries them, later ones name the
 * document by its key, and `release` lets the worker drop it.
 */
import type { DocType } from '../documents/types.js';
import type { DocumentFailure } from '../errors.js';
import type { LangData } from './ocr/lang-data.js';
import type { NativeTesseract } from './ocr/native-binary.js';

/** Opens a PDF and reports its page count (failures: PDF_INVALID, PDF_PASSWORD_PROTECTED). */
export interface OpenTask {
  kind: 'open';
  /** Images inside the PDF above this many pixels are not decoded. */
  maxPixels: number;
}

/**
 * One PDF page: its text layer when it holds real text, otherwise rendered at `dpi` and OCRed; a page over
 * `maxPixels` at `dpi` is rendered at the highest dpi that fits (not below MIN_RENDER_DPI).
 */
export interface PageTask {
  kind: 'page';
  page: number;
  dpi: number;
  forceOcr: boolean;
  maxPixels: number;
}

/** An image document OCRed as one page. */
export interface ImageTask {
  kind: 'image';
  type: DocType;
}

/** Page count of a PDF without OCR (dry runs, remote providers); null when it cannot be opened. */
export interface CountTask {
  kind: 'count';
}

export type Task = OpenTask | PageTask | ImageTask | CountTask;

export interface PageReply {
  source: 'text-layer' | 'ocr';
  text: string;
  /** Mean word confidence 0-100; null for text-layer pages. */
  confidence: number | null;
  /**
   * How an OCRed page's image was made: taken from the scan itself (its pixels, or `jpeg`: its own JPEG, decoded by
   * the system's tesseract), or drawn on a canvas.
   */
  image?: 'scanned' | 'jpeg' | 'rendered' | 'file';
  /** The dpi an OCRed PDF page was rendered at, when lower than the one asked for (to fit the pixel cap). */
  dpi?: number;
  /** When orientation is detected: the clockwise turn given to the page before it was read. */
  rotation?: 0 | 90 | 180 | 270;
}

export interface TaskReplies {
  open: { pages: number };
  page: PageReply;
  image: PageReply;
  count: { pages: number | null };
}

export type ParentMessage =
  // `native`: pages are read by the system's tesseract (ocr/native.ts) instead of tesseract.js, with page images in
  // `scratch`, a folder the run made for this worker; `lang` is then null.
  | { type: 'init'; lang: LangData | null; rotate?: boolean; native?: NativeTesseract; scratch?: string; parameters?: Record<string, string> }
  | { type: 'task'; id: number; doc: string; source: string; data?: Uint8Array; task: Task }
  | { type: 'release'; doc: string }
  // The end of the run: the worker ends its own tesseract, waits for it, and exits (pool.ts close()).
  | { type: 'close' };

export type ChildMessage =
  | { type: 'ready' }
  | { type: 'init-failed'; message: string }
  | { type: 'result'; id: number; ok: true; value: TaskReplies[Task['kind']] }
  | { type: 'result'; id: number; ok: false; failure: DocumentFailure };
