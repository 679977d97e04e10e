/**
 * PDFs through pdf.js, offline: fonts, CMaps, ICC profiles and WASM decoders come from the installed
 * pdfjs-dist package, never from the network. Canvases come from pdf.js's own canvas factory so the process
 * holds a single copy of its native canvas module. Failures are DocumentErrors with stable codes.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { PDFDocumentLoadingTask, PDFDocumentProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { DocumentError, ErrorCodes } from '../errors.js';
import { captureJpegs, capturedJpeg, jpegCaptureInstalled, jpegForEngine } from './scan-jpeg.js';

/** Largest canvas side the renderer accepts. */
export const MAX_CANVAS_SIDE = 32_767;

/** Lowest resolution a page too large for the pixel cap at the asked dpi is rendered at; below it, it fails. */
export const MIN_RENDER_DPI = 72;

const PDF_POINTS_PER_INCH = 72;

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
let pdfjsPromise: Promise<PdfJs> | undefined;

/** pdf.js is loaded on first use: it is large and installs canvas polyfills on import. */
function loadPdfJs(): Promise<PdfJs> {
  pdfjsPromise ??= import('pdfjs-dist/legacy/build/pdf.mjs');
  return pdfjsPromise;
}

let assetDir: string | undefined;
function pdfjsAssetDir(): string {
  assetDir ??= path.dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
  return assetDir;
}
const assetUrl = (name: string): string => path.join(pdfjsAssetDir(), name) + path.sep;

/** pdf.js's warning for an image it leaves out of a page because it is over `maxImageSize`. */
const IMAGE_LEFT_OUT = 'Image exceeded maximum allowed size and was removed';
let imagesLeftOut = 0;
let watchingImages = false;

/**
 * Starts counting the images pdf.js leaves out of pages because they are over the image pixel cap; returns the count
 * so far (it only grows). pdf.js gives no other sign of it than a warning on `console.warn`, so from the first call its
 * warnings are turned on for the documents this process opens, and taken off `console.warn`: that one is counted, the
 * others are dropped as before, and whatever else is written there passes through. For processes that own their
 * console (the document workers).
 */
export function imagesLeftOutSoFar(): number {
  if (!watchingImages) {
    watchingImages = true;
    // eslint-disable-next-line no-console -- pdf.js reports left-out images only on the console
    const write = console.warn.bind(console);
    // eslint-disable-next-line no-console
    console.warn = (...args: unknown[]) => {
      const text = String(args[0]);
      if (text.includes(IMAGE_LEFT_OUT)) imagesLeftOut++;
      else if (!text.startsWith('Warning: ')) write(...args);
    };
  }
  return imagesLeftOut;
}

/**
 * What ocrq hands pdf.js for every document: fonts, CMaps, ICC profiles and decoders from the installed package, no
 * system fonts and no eval, images above `maxImagePixels` left undecoded (-1: no limit), errors only (and warnings
 * once imagesLeftOutSoFar watches them).
 */
export function documentParams(data: Uint8Array, maxImagePixels = -1) {
  return {
    // pdf.js takes ownership of (and detaches) the buffer it is given: hand it a copy.
    data: new Uint8Array(data),
    standardFontDataUrl: assetUrl('standard_fonts'),
    cMapUrl: assetUrl('cmaps'),
    cMapPacked: true,
    iccUrl: assetUrl('iccs'),
    wasmUrl: assetUrl('wasm'),
    useSystemFonts: false,
    disableFontFace: true,
    isEvalSupported: false,
    maxImageSize: maxImagePixels,
    // Whether a scan's JPEG may be handed over undecoded (scan-jpeg.ts); pdf.js decodes it otherwise.
    isImageDecoderSupported: jpegCaptureInstalled(),
    // 0 = errors only: pdf.js prints warnings on the console. 1 = warnings too, taken off it by imagesLeftOutSoFar.
    verbosity: watchingImages ? 1 : 0,
  };
}

export interface OpenPdfOptions {
  /** Images inside the PDF above this many pixels are not decoded. */
  maxImagePixels?: number;
}

/** A scanned page as scannedPage finds it: its pixels, or its own JPEG for the engine to decode. */
export type ScannedPage = { gray: GrayImage } | { jpeg: Buffer };

/** An 8-bit grayscale raster. */
export interface GrayImage {
  width: number;
  height: number;
  /** Row-major, one byte per pixel. */
  pixels: Uint8Array;
}

interface CanvasAndContext {
  canvas: { width: number; height: number } | null;
  context: {
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  } | null;
}
interface CanvasFactory {
  create(width: number, height: number): CanvasAndContext;
  destroy(entry: CanvasAndContext): void;
}

const isPasswordException = (err: unknown): boolean => (err as { name?: string } | null)?.name === 'PasswordException';

/** Describes what went wrong opening a PDF as a document failure. */
export function pdfOpenError(err: unknown, source: string): DocumentError {
  const e = err as { name?: string; code?: number; message?: string } | null;
  if (isPasswordException(err)) {
    const reason = e?.code === 2 ? 'incorrect password' : 'password required';
    return new DocumentError(
      ErrorCodes.PDF_PASSWORD_PROTECTED,
      `${source}: PDF is password-protected (${reason}); ocrq cannot open it (decrypt it first, e.g. qpdf --decrypt)`,
    );
  }
  const detail = e?.message ?? String(err);
  return new DocumentError(ErrorCodes.PDF_INVALID, `${source}: not a readable PDF (${detail})`);
}

export class PdfDocument {
  private constructor(
    private readonly task: PDFDocumentLoadingTask,
    private readonly doc: PDFDocumentProxy,
    readonly source: string,
  ) {}

  /**
   * Opens a PDF; throws a DocumentError (PDF_PASSWORD_PROTECTED, PDF_INVALID) when it cannot be opened.
   * PDF_PASSWORD_PROTECTED means the pages cannot be read without a password: a document with only an owner
   * password (permissions), an empty user password, or encrypted attachments alone is read like any other.
   */
  static async open(data: Uint8Array, source: string, options: OpenPdfOptions = {}): Promise<PdfDocument> {
    try {
      return await PdfDocument.load(data, source, options);
    } catch (err) {
      // pdf.js asks for the user password whenever a document has one, even when that password guards only the
      // embedded files and the pages are stored in the clear. Viewers open such a document without a password,
      // so it is read here too: from a copy whose trailers no longer name the encryption, which changes nothing
      // pdf.js reads for the pages, since none of it was encrypted.
      const readable = isPasswordException(err) ? withoutAttachmentOnlyEncryption(data) : null;
      if (!readable) throw pdfOpenError(err, source);
      try {
        return await PdfDocument.load(readable, source, options);
      } catch (again) {
        throw pdfOpenError(again, source);
      }
    }
  }

  private static async load(data: Uint8Array, source: string, options: OpenPdfOptions): Promise<PdfDocument> {
    const pdfjs = await loadPdfJs();
    const task = pdfjs.getDocument(documentParams(data, options.maxImagePixels));
    try {
      return new PdfDocument(task, await task.promise, source);
    } catch (err) {
      await task.destroy().catch(() => {});
      throw err;
    }
  }

  get numPages(): number {
    return this.doc.numPages;
  }

  /**
   * The page's own text (its text layer), lines separated by newlines: the text its content draws, then what is
   * filled in on top of it (form field values, FreeText annotations; see annotationTexts), top to bottom.
   */
  async readPageText(pageNumber: number): Promise<string> {
    const pdfjs = await loadPdfJs();
    const page = await this.getPage(pageNumber);
    try {
      const [content, annotations] = await Promise.all([page.getTextContent(), page.getAnnotations({ intent: 'display' })]);
      let text = '';
      for (const item of content.items) {
        if ('str' in item) text += item.str + (item.hasEOL ? '\n' : '');
      }
      const drawn = content.items.flatMap((item) => ('str' in item ? [{ str: item.str, x: item.transform[4], y: item.transform[5] }] : []));
      const filledIn = annotationTexts(pdfjs.AnnotationType, annotations as PdfAnnotation[], drawn);
      if (filledIn.length > 0) text += `\n${filledIn.join('\n')}`;
      return text.replace(/[ \t]+$/gmu, '').trim();
    } catch (err) {
      throw this.pageError(pageNumber, err);
    } finally {
      page.cleanup();
    }
  }

  /**
   * Pixel size of a page rendered at `dpi`; a DocumentError (LIMIT_EXCEEDED) when it is over `maxPixels` or
   * wider than a canvas can be, so oversized pages fail before anything is allocated.
   */
  async renderSize(pageNumber: number, dpi: number, maxPixels: number): Promise<{ width: number; height: number }> {
    const page = await this.getPage(pageNumber);
    const viewport = page.getViewport({ scale: dpi / PDF_POINTS_PER_INCH });
    const width = Math.max(1, Math.round(viewport.width));
    const height = Math.max(1, Math.round(viewport.height));
    if (width * height > maxPixels || width > MAX_CANVAS_SIDE || height > MAX_CANVAS_SIDE) {
      throw new DocumentError(
        ErrorCodes.LIMIT_EXCEEDED,
        `${this.source}: page ${pageNumber} is ${width}x${height} pixels at ${dpi} dpi, over the limit of ` +
          `${maxPixels} pixels (${MAX_CANVAS_SIDE} per side)`,
        'limit',
        'pixels',
      );
    }
    return { width, height };
  }

  /**
   * The resolution to render a page at: `dpi` when the page fits `maxPixels` and a canvas there; otherwise the highest
   * whole dpi at which it fits, down to `minDpi` (or `dpi` itself when lower). A page that fits not even there is a
   * DocumentError (LIMIT_EXCEEDED, reason `pixels`).
   */
  async fitDpi(pageNumber: number, dpi: number, maxPixels: number, minDpi = MIN_RENDER_DPI): Promise<number> {
    const page = await this.getPage(pageNumber);
    const { width, height } = page.getViewport({ scale: 1 });
    const sizeAt = (d: number) => ({ w: Math.max(1, Math.round((width * d) / PDF_POINTS_PER_INCH)), h: Math.max(1, Math.round((height * d) / PDF_POINTS_PER_INCH)) });
    const fits = (d: number) => {
      const { w, h } = sizeAt(d);
      return w * h <= maxPixels && w <= MAX_CANVAS_SIDE && h <= MAX_CANVAS_SIDE;
    };
    if (fits(dpi)) return dpi;
    const floor = Math.min(minDpi, dpi);
    const byArea = PDF_POINTS_PER_INCH * Math.sqrt(maxPixels / Math.max(1e-9, width * height));
    const bySide = (PDF_POINTS_PER_INCH * MAX_CANVAS_SIDE) / Math.max(1e-9, width, height);
    let fitted = Math.min(Math.floor(Math.min(byArea, bySide)) + 1, dpi - 1);
    while (fitted >= floor && !fits(fitted)) fitted--;
    if (fitted >= floor) return fitted;
    const asked = sizeAt(dpi);
    const lowest = sizeAt(floor);
    throw new DocumentError(
      ErrorCodes.LIMIT_EXCEEDED,
      `${this.source}: page ${pageNumber} is ${asked.w}x${asked.h} pixels at ${dpi} dpi and still ${lowest.w}x${lowest.h} at ` +
        `${floor} dpi, the lowest it is rendered at: over the limit of ${maxPixels} pixels (${MAX_CANVAS_SIDE} per side)`,
      'limit',
      'pixels',
    );
  }

  /** Renders a page on white at `dpi` and returns it as grayscale; sizes are checked as in `renderSize`. */
  async renderPageGray(pageNumber: number, dpi: number, maxPixels: number): Promise<GrayImage> {
    const { width, height } = await this.renderSize(pageNumber, dpi, maxPixels);
    const page = await this.getPage(pageNumber);
    const factory = this.doc.canvasFactory as CanvasFactory;
    const entry = factory.create(width, height);
    try {
      const viewport = page.getViewport({ scale: dpi / PDF_POINTS_PER_INCH });
      await page.render({
        canvas: entry.canvas,
        canvasContext: entry.context,
        viewport,
        background: 'white',
      } as unknown as Parameters<typeof page.render>[0]).promise;
      // Read back in bands: a whole-page RGBA copy would cost 4 bytes a pixel on top of the canvas's own.
      const gray = allocGray(width, height);
      const rows = Math.max(1, Math.floor(READBACK_BAND_PIXELS / width));
      for (let y = 0; y < height; y += rows) {
        const band = Math.min(rows, height - y);
        gray.pixels.set(rgbaToGray(entry.context!.getImageData(0, y, width, band).data), y * width);
      }
      return gray;
    } catch (err) {
      throw this.pageError(pageNumber, err);
    } finally {
      factory.destroy(entry);
      page.cleanup();
    }
  }

  /**
   * A page that is one image drawn upright over the whole page (a scan), at about `dpi` (within DPI_TOLERANCE):
   * that image's pixels in grayscale, taken as pdf.js decoded them, without drawing the page on a canvas. Null for
   * any other page, which is rendered instead. Saves most of a worker's rendering work on a scanned page.
   */
  async scannedPageGray(pageNumber: number, dpi: number, maxPixels: number): Promise<GrayImage | null> {
    const scan = await this.scannedPage(pageNumber, dpi, maxPixels);
    return scan && 'gray' in scan ? scan.gray : null;
  }

  /**
   * As scannedPageGray; with `jpeg`, a scan stored as a JPEG the OCR engine can decode itself comes as those bytes,
   * with `dpi` as their resolution (scan-jpeg.ts), and pdf.js does not decode it at all.
   */
  async scannedPage(pageNumber: number, dpi: number, maxPixels: number, { jpeg = false } = {}): Promise<ScannedPage | null> {
    if (!jpeg) return this.findScan(pageNumber, dpi, maxPixels, false);
    const { value, captures } = await captureJpegs(() => this.findScan(pageNumber, dpi, maxPixels, true));
    // A captured image not taken here, or one kept for the whole document, would reach a canvas as its bytes: the
    // document drops what it holds, and draws such images from a fresh decode.
    if (captures > 0 && (value === null || value.shared)) await this.doc.cleanup().catch(() => {});
    return value;
  }

  private async findScan(pageNumber: number, dpi: number, maxPixels: number, jpeg: boolean): Promise<(ScannedPage & { shared: boolean }) | null> {
    const pdfjs = await loadPdfJs();
    const page = await this.getPage(pageNumber);
    try {
      if (page.rotate % 360 !== 0) return null;
      const { fnArray, argsArray } = await page.getOperatorList();
      const placed = singleImage(pdfjs.OPS, fnArray, argsArray);
      if (!placed) return null;
      const [x0, y0, x1, y1] = page.view;
      const [a, b, c, d, e, f] = placed.ctm;
      const pageWidth = x1 - x0;
      const pageHeight = y1 - y0;
      const covers = b === 0 && c === 0 && near(a, pageWidth) && near(d, pageHeight) && near(e + pageWidth, x1) && near(f + pageHeight, y1);
      if (!covers || placed.width * placed.height > maxPixels) return null;
      const imageDpi = placed.width / (pageWidth / PDF_POINTS_PER_INCH);
      if (Math.abs(imageDpi - dpi) > dpi * DPI_TOLERANCE || Math.abs(placed.height / (pageHeight / PDF_POINTS_PER_INCH) - dpi) > dpi * DPI_TOLERANCE) return null;
      const shared = placed.objId.startsWith('g_');
      const store = shared ? page.commonObjs : page.objs;
      // pdf.js sends a page's images while it builds the operator list; one that never comes (an image it gave up
      // on) must not hold the page forever: the page is drawn on a canvas instead.
      let timer: NodeJS.Timeout | undefined;
      const image = await Promise.race([
        new Promise<unknown>((resolve) => store.get(placed.objId, resolve)),
        new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), IMAGE_WAIT_MS))),
      ]).finally(() => clearTimeout(timer));
      const bytes = jpeg ? capturedJpeg(image) : null;
      if (bytes) {
        const ready = jpegForEngine(bytes, placed.width, placed.height, dpi);
        return ready ? { jpeg: ready, shared } : null;
      }
      const gray = decodedToGray(pdfjs.ImageKind, image, placed.width, placed.height);
      return gray ? { gray, shared } : null;
    } catch (err) {
      throw this.pageError(pageNumber, err);
    } finally {
      page.cleanup();
    }
  }

  async close(): Promise<void> {
    await this.task.destroy().catch(() => {});
  }

  private async getPage(pageNumber: number) {
    try {
      return await this.doc.getPage(pageNumber);
    } catch (err) {
      throw this.pageError(pageNumber, err);
    }
  }

  private pageError(pageNumber: number, err: unknown): DocumentError {
    if (err instanceof DocumentError) return err;
    const detail = (err as Error | null)?.message ?? String(err);
    return new DocumentError(ErrorCodes.PDF_INVALID, `${this.source}: page ${pageNumber} is unreadable (${detail})`);
  }
}

/** The fields of pdf.js's annotation data that annotationTexts reads. */
interface PdfAnnotation {
  annotationType: number;
  annotationFlags?: number;
  rect?: number[];
  hidden?: boolean;
  fieldType?: string;
  fieldName?: string;
  fieldValue?: unknown;
  password?: boolean;
  options?: Array<{ exportValue?: unknown; displayValue?: unknown }>;
  contentsObj?: { str?: string };
}

/** Annotation flags (/F): not shown on screen. */
const ANNOTATION_HIDDEN = 0x02;
const ANNOTATION_NO_VIEW = 0x20;
/** How far (in points) outside an annotation's rectangle page text may start and still count as drawn in it. */
const RECT_SLACK = 2;

const collapse = (text: string): string => text.replace(/\s+/gu, ' ').trim();

/**
 * What is filled in on a page, as text, in reading order (top to bottom, then left to right): the values of text
 * fields and the chosen items of list and combo boxes (their display names), and the text of FreeText
 * annotations, as a viewer shows them. Left out: hidden annotations, password fields, check boxes, radio buttons
 * and push buttons (states and captions, not content), signature fields, and every other annotation (comments,
 * links, highlights, stamps), which a viewer shows as marks or pop-ups rather than page text. Text that the
 * page content already draws inside the annotation (a form flattened with its fields kept) is not repeated, and
 * a field with several widgets on the page is given once.
 */
function annotationTexts(
  types: PdfJs['AnnotationType'],
  annotations: PdfAnnotation[],
  drawn: Array<{ str: string; x: number; y: number }>,
): string[] {
  const found: Array<{ text: string; top: number; left: number }> = [];
  const fieldsSeen = new Set<string>();
  for (const annotation of annotations) {
    const rect = annotation.rect;
    if (!rect || rect.length !== 4) continue;
    if (annotation.hidden || (annotation.annotationFlags ?? 0) & (ANNOTATION_HIDDEN | ANNOTATION_NO_VIEW)) continue;
    let text: string;
    if (annotation.annotationType === types.FREETEXT) {
      text = annotation.contentsObj?.str ?? '';
    } else if (annotation.annotationType === types.WIDGET) {
      text = fieldText(annotation);
      if (!text) continue;
      if (annotation.fieldName) {
        if (fieldsSeen.has(annotation.fieldName)) continue;
        fieldsSeen.add(annotation.fieldName);
      }
    } else {
      continue;
    }
    if (` ${drawnInside(drawn, rect)} `.includes(` ${collapse(text)} `)) continue;
    text = text.replace(/\r\n?/gu, '\n').trim();
    if (text) found.push({ text, top: Math.max(rect[1], rect[3]), left: Math.min(rect[0], rect[2]) });
  }
  // Array.prototype.sort is stable: annotations at the same place keep pdf.js's order.
  found.sort((a, b) => b.top - a.top || a.left - b.left);
  return found.map((f) => f.text);
}

/** A widget's value as text: a text field's value, or a list or combo box's chosen items; '' for anything else. */
function fieldText(widget: PdfAnnotation): string {
  if (widget.fieldType === 'Tx') return widget.password || typeof widget.fieldValue !== 'string' ? '' : widget.fieldValue;
  if (widget.fieldType !== 'Ch') return '';
  const chosen = (Array.isArray(widget.fieldValue) ? widget.fieldValue : [widget.fieldValue]).filter((v): v is string => typeof v === 'string' && v !== '');
  const display = (value: string): string => {
    const option = widget.options?.find((o) => o.exportValue === value);
    return typeof option?.displayValue === 'string' ? option.displayValue : value;
  };
  return chosen.map(display).join('\n');
}

/** The page text whose items start inside `rect`, whitespace collapsed. */
function drawnInside(drawn: Array<{ str: string; x: number; y: number }>, rect: number[]): string {
  const [x0, x1] = [Math.min(rect[0], rect[2]) - RECT_SLACK, Math.max(rect[0], rect[2]) + RECT_SLACK];
  const [y0, y1] = [Math.min(rect[1], rect[3]) - RECT_SLACK, Math.max(rect[1], rect[3]) + RECT_SLACK];
  return collapse(drawn.filter((d) => d.x >= x0 && d.x <= x1 && d.y >= y0 && d.y <= y1).map((d) => d.str).join(' '));
}

/** Longest wait for a page's decoded image after its operator list is built. */
const IMAGE_WAIT_MS = 10_000;

/** How far a scanned page's own resolution may be from the one asked for, and still be used as it is. */
const DPI_TOLERANCE = 0.1;

const near = (value: number, expected: number): boolean => Math.abs(value - expected) <= Math.max(1, Math.abs(expected) * 0.01);

type Matrix = [number, number, number, number, number, number];

/**
 * The one image a page's operator list paints, with the transformation in force, when it paints nothing else
 * (save/restore, transforms, graphics states and marked content aside); null otherwise.
 */
function singleImage(ops: PdfJs['OPS'], fnArray: number[], argsArray: unknown[]): { objId: string; width: number; height: number; ctm: Matrix } | null {
  let ctm: Matrix = [1, 0, 0, 1, 0, 0];
  const saved: Matrix[] = [];
  let found: { objId: string; width: number; height: number; ctm: Matrix } | null = null;
  for (let i = 0; i < fnArray.length; i++) {
    const args = argsArray[i] as unknown[] | null;
    switch (fnArray[i]) {
      case ops.save:
        saved.push(ctm);
        break;
      case ops.restore:
        ctm = saved.pop() ?? ctm;
        break;
      case ops.transform:
        ctm = multiply(ctm, args as Matrix);
        break;
      case ops.dependency:
      case ops.setGState:
      case ops.beginMarkedContent:
      case ops.beginMarkedContentProps:
      case ops.endMarkedContent:
        break;
      case ops.paintImageXObject: {
        const [objId, width, height] = args as [unknown, unknown, unknown];
        if (found || typeof objId !== 'string' || typeof width !== 'number' || typeof height !== 'number') return null;
        found = { objId, width, height, ctm };
        break;
      }
      default:
        return null;
    }
  }
  return found;
}

function multiply(m: Matrix, n: Matrix): Matrix {
  return [
    m[0] * n[0] + m[2] * n[1],
    m[1] * n[0] + m[3] * n[1],
    m[0] * n[2] + m[2] * n[3],
    m[1] * n[2] + m[3] * n[3],
    m[0] * n[4] + m[2] * n[5] + m[4],
    m[1] * n[4] + m[3] * n[5] + m[5],
  ];
}

/** An image as pdf.js decodes it (1-bit gray with 1 = white, RGB, or RGBA) in grayscale on white; null for others. */
function decodedToGray(kinds: PdfJs['ImageKind'], image: unknown, width: number, height: number): GrayImage | null {
  const img = image as { width?: number; height?: number; kind?: number; data?: Uint8Array | Uint8ClampedArray } | null;
  if (!img || img.width !== width || img.height !== height || !img.data) return null;
  const { data, kind } = img;
  const gray = allocGray(width, height);
  const { pixels } = gray;
  if (kind === kinds.RGB_24BPP && data.length >= pixels.length * 3) {
    for (let i = 0, p = 0; p < pixels.length; i += 3, p++) pixels[p] = (data[i] * 77 + data[i + 1] * 150 + data[i + 2] * 29) >> 8;
  } else if (kind === kinds.RGBA_32BPP && data.length >= pixels.length * 4) {
    for (let i = 0, p = 0; p < pixels.length; i += 4, p++) {
      const luma = (data[i] * 77 + data[i + 1] * 150 + data[i + 2] * 29) >> 8;
      const alpha = data[i + 3];
      pixels[p] = (luma * alpha + 255 * (255 - alpha)) / 255;
    }
  } else if (kind === kinds.GRAYSCALE_1BPP && data.length >= Math.ceil(width / 8) * height) {
    const rowBytes = Math.ceil(width / 8);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) pixels[y * width + x] = data[y * rowBytes + (x >> 3)] & (0x80 >> (x & 7)) ? 255 : 0;
    }
  } else {
    return null;
  }
  return gray;
}

/** Luma (ITU-R BT.601) of each RGBA pixel; the page was drawn on white, so alpha is opaque. */
export function rgbaToGray(rgba: Uint8ClampedArray | Uint8Array): Uint8Array {
  const gray = new Uint8Array(rgba.length >>> 2);
  for (let i = 0, p = 0; p < gray.length; i += 4, p++) {
    gray[p] = (rgba[i] * 77 + rgba[i + 1] * 150 + rgba[i + 2] * 29) >> 8;
  }
  return gray;
}

/** Rows of a rendered page read back from the canvas at a time, as a number of pixels. */
const READBACK_BAND_PIXELS = 4 * 1024 * 1024;

const pgmHeader = (width: number, height: number): Buffer => Buffer.from(`P5\n${width} ${height}\n255\n`, 'latin1');

/**
 * A grayscale raster whose pixels sit right after a PGM header in one buffer, so that `encodePgm` hands it to the OCR
 * engine without copying a page's worth of pixels again.
 */
export function allocGray(width: number, height: number): GrayImage {
  const header = pgmHeader(width, height);
  const buffer = Buffer.allocUnsafe(header.length + width * height);
  header.copy(buffer, 0);
  return { width, height, pixels: buffer.subarray(header.length) };
}

/** Binary PGM (`P5`), a format the OCR engine reads with no decoding cost. */
export function encodePgm(image: GrayImage): Buffer {
  const header = pgmHeader(image.width, image.height);
  const { pixels } = image;
  if (pixels.byteOffset === header.length && pixels.buffer.byteLength >= header.length + pixels.length) {
    const whole = Buffer.from(pixels.buffer, 0, header.length + pixels.length);
    if (whole.subarray(0, header.length).equals(header)) return whole;
  }
  const out = Buffer.allocUnsafe(header.length + image.pixels.length);
  header.copy(out, 0);
  out.set(image.pixels, header.length);
  return out;
}

/** Page count of a PDF, or null when it cannot be opened (damaged, password-protected). */
export async function countPdfPages(data: Uint8Array, source = 'document'): Promise<number | null> {
  try {
    const pdf = await PdfDocument.open(data, source);
    const pages = pdf.numPages;
    await pdf.close();
    return pages;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Encryption that leaves the pages readable.
//
// Revision 4+ encryption (/V 4 or 5) names a crypt filter for strings (/StrF), for streams (/StmF) and for
// embedded files (/EFF). When strings and streams are stored as they are (Identity, or a filter with /CFM /None),
// only the attachments are encrypted and the pages need no password. The few objects needed to tell are read
// here with a minimal parser: the trailers and the encryption dictionary they name.

type PdfValue =
  | { kind: 'dict'; entries: Map<string, PdfEntry> }
  | { kind: 'name'; name: string }
  | { kind: 'number'; value: number }
  | { kind: 'ref'; num: number; gen: number }
  | { kind: 'other' };
/** A dictionary entry, with where it starts (its key) and ends (its value) in the file. */
interface PdfEntry {
  value: PdfValue;
  start: number;
  end: number;
}

const PDF_WHITESPACE = new Set([0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]);
const PDF_DELIMITERS = new Set([...'()<>[]{}/%'].map((c) => c.charCodeAt(0)));
const MAX_NESTING = 32;

class PdfObjectReader {
  constructor(
    private readonly bytes: Buffer,
    private pos: number,
  ) {}

  value(depth = 0): PdfValue {
    if (depth > MAX_NESTING) throw new Error('nested too deeply');
    this.skipWhitespace();
    const { bytes } = this;
    if (this.pos >= bytes.length) throw new Error('unexpected end');
    if (this.startsWith('<<')) return this.dictionary(depth);
    const c = bytes[this.pos];
    if (c === 0x2f /* / */) {
      this.pos++;
      const name = this.token().replace(/#([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
      return { kind: 'name', name };
    }
    if (c === 0x3c /* < */) {
      const end = bytes.indexOf(0x3e, this.pos);
      if (end < 0) throw new Error('unterminated hex string');
      this.pos = end + 1;
      return { kind: 'other' };
    }
    if (c === 0x28 /* ( */) {
      this.skipLiteralString();
      return { kind: 'other' };
    }
    if (c === 0x5b /* [ */) {
      this.pos++;
      for (this.skipWhitespace(); bytes[this.pos] !== 0x5d /* ] */; this.skipWhitespace()) this.value(depth + 1);
      this.pos++;
      return { kind: 'other' };
    }
    const word = this.token();
    if (!word) throw new Error(`unexpected byte ${c}`);
    if (/^\d+$/.test(word)) {
      // An integer, or the first of `num gen R`.
      const after = this.pos;
      this.skipWhitespace();
      const gen = this.token();
      this.skipWhitespace();
      if (/^\d+$/.test(gen) && this.token() === 'R') return { kind: 'ref', num: Number(word), gen: Number(gen) };
      this.pos = after;
    }
    const number = Number(word);
    return Number.isFinite(number) ? { kind: 'number', value: number } : { kind: 'other' };
  }

  private dictionary(depth: number): PdfValue {
    this.pos += 2;
    const entries = new Map<string, PdfEntry>();
    for (;;) {
      this.skipWhitespace();
      if (this.startsWith('>>')) {
        this.pos += 2;
        return { kind: 'dict', entries };
      }
      const start = this.pos;
      const key = this.value(depth + 1);
      if (key.kind !== 'name') throw new Error('dictionary key is not a name');
      const value = this.value(depth + 1);
      entries.set(key.name, { value, start, end: this.pos });
    }
  }

  private skipWhitespace(): void {
    const { bytes } = this;
    while (this.pos < bytes.length) {
      if (PDF_WHITESPACE.has(bytes[this.pos])) {
        this.pos++;
      } else if (bytes[this.pos] === 0x25 /* % */) {
        while (this.pos < bytes.length && bytes[this.pos] !== 0x0a && bytes[this.pos] !== 0x0d) this.pos++;
      } else {
        break;
      }
    }
  }

  /** A run of regular characters: a number, a keyword or a name's body. */
  private token(): string {
    const start = this.pos;
    while (this.pos < this.bytes.length && !PDF_WHITESPACE.has(this.bytes[this.pos]) && !PDF_DELIMITERS.has(this.bytes[this.pos])) {
      this.pos++;
    }
    return this.bytes.toString('latin1', start, this.pos);
  }

  private startsWith(text: string): boolean {
    return this.bytes.toString('latin1', this.pos, this.pos + text.length) === text;
  }

  private skipLiteralString(): void {
    const { bytes } = this;
    for (let depth = 0; this.pos < bytes.length; this.pos++) {
      const c = bytes[this.pos];
      if (c === 0x5c /* \ */) {
        this.pos++;
      } else if (c === 0x28 /* ( */) {
        depth++;
      } else if (c === 0x29 /* ) */ && --depth === 0) {
        this.pos++;
        return;
      }
    }
    throw new Error('unterminated string');
  }
}

/** Every offset at which `text` occurs in `bytes`. */
function occurrences(bytes: Buffer, text: string): number[] {
  const found: number[] = [];
  for (let at = bytes.indexOf(text); at >= 0; at = bytes.indexOf(text, at + 1)) found.push(at);
  return found;
}

function readValueAt(bytes: Buffer, offset: number): PdfValue | null {
  try {
    return new PdfObjectReader(bytes, offset).value();
  } catch {
    return null;
  }
}

/**
 * Every trailer dictionary in the file: the classic ones after `trailer`, and those of xref streams (which
 * follow `obj`). A file may hold several (incremental updates, the first-page trailer of a linearized file), and
 * a reader that has to rebuild a damaged file's cross-reference looks at all of them.
 */
function trailerDictionaries(bytes: Buffer): Array<Map<string, PdfEntry>> {
  const candidates = [
    ...occurrences(bytes, 'trailer').map((at) => at + 'trailer'.length),
    ...occurrences(bytes, '/XRef').map((at) => bytes.lastIndexOf('obj', at) + 'obj'.length),
  ];
  const trailers: Array<Map<string, PdfEntry>> = [];
  for (const offset of new Set(candidates)) {
    if (offset < 'obj'.length) continue;
    const value = readValueAt(bytes, offset);
    if (value?.kind !== 'dict') continue;
    const type = value.entries.get('Type')?.value;
    const isXrefStream = type?.kind === 'name' && type.name === 'XRef';
    if (isXrefStream || value.entries.has('Root') || value.entries.has('Encrypt')) trailers.push(value.entries);
  }
  return trailers;
}

/** The object `num gen obj` defined last in the file (a later update replaces an earlier definition). */
function readIndirectObject(bytes: Buffer, num: number, gen: number): PdfValue | null {
  const header = `${num} ${gen} obj`;
  for (let at = bytes.lastIndexOf(header); at >= 0; at = at === 0 ? -1 : bytes.lastIndexOf(header, at - 1)) {
    if (at > 0 && bytes[at - 1] >= 0x30 && bytes[at - 1] <= 0x39) continue;
    return readValueAt(bytes, at + header.length);
  }
  return null;
}

function resolve(bytes: Buffer, value: PdfValue | undefined): PdfValue | undefined {
  return value?.kind === 'ref' ? (readIndirectObject(bytes, value.num, value.gen) ?? undefined) : value;
}

/** Whether an encryption dictionary leaves strings and streams as they are, i.e. encrypts embedded files only. */
function encryptsAttachmentsOnly(bytes: Buffer, encrypt: PdfValue | undefined): boolean {
  if (encrypt?.kind !== 'dict') return false;
  const get = (dict: Map<string, PdfEntry>, key: string) => resolve(bytes, dict.get(key)?.value);
  const version = get(encrypt.entries, 'V');
  if (version?.kind !== 'number' || (version.value !== 4 && version.value !== 5)) return false;
  const filters = get(encrypt.entries, 'CF');
  const storedAsIs = (filter: PdfValue | undefined): boolean => {
    if (filter === undefined) return true; // an absent /StmF or /StrF means Identity
    if (filter.kind !== 'name') return false;
    if (filter.name === 'Identity') return true;
    const definition = filters?.kind === 'dict' ? get(filters.entries, filter.name) : undefined;
    const method = definition?.kind === 'dict' ? get(definition.entries, 'CFM') : undefined;
    return method?.kind === 'name' && method.name === 'None';
  };
  return storedAsIs(get(encrypt.entries, 'StmF')) && storedAsIs(get(encrypt.entries, 'StrF'));
}

/**
 * A copy of `data` that pdf.js opens without a password, when only its embedded files are encrypted; null for
 * anything else (the pages are encrypted, or the file is not understood). The copy differs only in the trailers'
 * /Encrypt entries, overwritten with spaces, so every byte offset stays valid.
 */
function withoutAttachmentOnlyEncryption(data: Uint8Array): Uint8Array | null {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const entries = trailerDictionaries(bytes).flatMap((trailer) => trailer.get('Encrypt') ?? []);
  if (entries.length === 0 || !entries.every((entry) => encryptsAttachmentsOnly(bytes, resolve(bytes, entry.value)))) return null;
  const copy = new Uint8Array(data);
  for (const { start, end } of entries) copy.fill(0x20, start, end);
  return copy;
}
