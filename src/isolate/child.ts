/**
 * A document worker: a child process that opens, reads, renders and OCRs untrusted documents, one task at a time,
 * for the run that started it (pool.ts). Everything a document can do to a process (exhaust memory, spin for
 * minutes, crash native code) happens here, where the run can see it, kill the process and start another.
 */
import { Worker } from 'node:worker_threads';
import type Tesseract from 'tesseract.js';
import { encodePgm, imagesLeftOutSoFar, PdfDocument, type GrayImage } from '../documents/pdf.js';
import { installJpegCapture } from '../documents/scan-jpeg.js';
import { DocumentError, ErrorCodes, type DocumentFailure } from '../errors.js';
import { decodeBmpToGray } from './ocr/bmp.js';
import { NativeRecognizeError, NativeRecognizer } from './ocr/native.js';
import { decodeGrayPng, detectRotation, detectSkew, shrinkGray, turnGray, turnGrayBy, type Rotation } from './ocr/orientation.js';
import { RecognizeError, TesseractPool } from './ocr/tesseract.js';
import { isRealTextLayer } from './ocr/text-layer.js';
import { startOsdWorker, threadOf } from './ocr/worker.js';
import type { ChildMessage, ImageTask, PageReply, PageTask, ParentMessage, Task, TaskReplies } from './protocol.js';

interface HeldDocument {
  source: string;
  data: Buffer;
  pdf?: Promise<PdfDocument>;
}

const docs = new Map<string, HeldDocument>();
let ocr: TesseractPool | null = null;
/** With `--engine native`: the system's tesseract, in place of `ocr`. */
let native: NativeRecognizer | null = null;
/** Orientation detection, when the run asked for it: started with the worker, started again if its thread dies. */
let osd: Promise<Tesseract.Worker> | null = null;
let rotate = false;
/** Tesseract parameters the run set for every page (`init`). */
let pageParameters: Record<string, string> = {};

const send = (message: ChildMessage): void => {
  process.send?.(message);
};

/**
 * A worker busy in a long synchronous render never sees its IPC channel close, so a thread of its own watches the
 * parent and ends the process when the parent is gone (killed with SIGKILL, say), instead of rendering on as an orphan.
 * The processes it started (a native tesseract) go first, found through /proc.
 */
const WATCHDOG = `
const fs = require('node:fs');
const parent = process.ppid;
setInterval(() => {
  if (process.ppid === parent) return;
  const self = '/proc/' + process.pid + '/task';
  let threads = [];
  try { threads = fs.readdirSync(self); } catch {}
  for (const tid of threads) {
    let children = [];
    try { children = fs.readFileSync(self + '/' + tid + '/children', 'latin1').trim().split(/\\s+/); } catch {}
    for (const child of children) if (child) try { process.kill(Number(child), 'SIGKILL'); } catch {}
  }
  process.kill(process.pid, 'SIGKILL');
}, 500);
`;

function main(): void {
  new Worker(WATCHDOG, { eval: true }).unref();
  installJpegCapture(); // before pdf.js loads: scans' JPEGs can then reach the engine undecoded (readPage)
  imagesLeftOutSoFar(); // from now on, images pdf.js leaves out are counted (see readPage)
  process.on('disconnect', () => process.exit(0));
  // pdf.js may reject promises nobody awaits when a document is damaged; those are not this process's failure.
  process.on('unhandledRejection', (err) => process.stderr.write(`ignored rejection: ${String(err)}\n`));
  let queue: Promise<void> = Promise.resolve();
  process.on('message', (message: ParentMessage) => {
    // Not queued behind a page being read: the run is over.
    if (message.type === 'close') {
      void close();
      return;
    }
    // One message at a time; a failure in one must not stop the messages after it.
    queue = queue
      .then(() => handle(message))
      .catch((err: unknown) => {
        process.stderr.write(`message failed: ${String(err)}\n`);
      });
  });
}

/** The end of the run: the native engine's tesseract is ended and waited for, then this worker exits. */
async function close(): Promise<void> {
  await native?.close().catch(() => {});
  process.exit(0);
}

async function handle(message: ParentMessage): Promise<void> {
  switch (message.type) {
    case 'init':
      try {
        if (message.native && message.scratch) {
          native = await NativeRecognizer.start(message.native, message.scratch, message.parameters ?? {}, (text) => process.stderr.write(text));
          rotate = Boolean(message.rotate);
          if (rotate) await orientationDetector();
        } else if (message.lang) {
          ocr = await TesseractPool.start({ ...message.lang, workers: 1, onDiagnostic: (text) => process.stderr.write(text) });
          rotate = Boolean(message.rotate);
          pageParameters = message.parameters ?? {};
          if (rotate) await orientationDetector();
        }
        send({ type: 'ready' });
      } catch (err) {
        send({ type: 'init-failed', message: (err as Error).message });
      }
      return;
    case 'release': {
      const held = docs.get(message.doc);
      docs.delete(message.doc);
      if (held?.pdf) await held.pdf.then((pdf) => pdf.close(), () => {});
      return;
    }
    case 'task': {
      let held = docs.get(message.doc);
      if (!held) {
        const data = message.data ? Buffer.from(message.data.buffer, message.data.byteOffset, message.data.byteLength) : Buffer.alloc(0);
        held = { source: message.source, data };
        docs.set(message.doc, held);
      }
      try {
        const value = await run(held, message.task);
        send({ type: 'result', id: message.id, ok: true, value });
      } catch (err) {
        send({ type: 'result', id: message.id, ok: false, failure: toFailure(err, held.source) });
      }
      return;
    }
  }
}

async function run(held: HeldDocument, task: Task): Promise<TaskReplies[Task['kind']]> {
  switch (task.kind) {
    case 'open':
      return { pages: (await openPdf(held, task.maxPixels)).numPages };
    case 'count':
      try {
        return { pages: (await openPdf(held)).numPages };
      } catch {
        return { pages: null };
      }
    case 'page':
      return readPage(held, task);
    case 'image':
      return readImage(held, task);
  }
}

function openPdf(held: HeldDocument, maxImagePixels?: number): Promise<PdfDocument> {
  held.pdf ??= PdfDocument.open(held.data, held.source, { maxImagePixels });
  return held.pdf;
}

async function readPage(held: HeldDocument, task: PageTask): Promise<PageReply> {
  const { page, dpi, maxPixels } = task;
  let rotation: Rotation | undefined;
  const pdf = await openPdf(held, maxPixels);
  if (!task.forceOcr) {
    // A page whose text cannot be extracted may still render: try OCR before giving up on it.
    const text = await pdf.readPageText(page).catch(() => '');
    if (isRealTextLayer(text)) return { source: 'text-layer', text, confidence: null };
  }
  // A page too large for the pixel cap at `dpi` is read at the highest dpi that fits.
  const used = await pdf.fitDpi(page, dpi, maxPixels);
  const leftOutBefore = imagesLeftOutSoFar();
  // A scan's own JPEG goes to the system's tesseract as it is, unless the page is to be turned first (which needs its
  // pixels). Not to tesseract.js: its WebAssembly JPEG decoder costs more than pdf.js's decode and the gray copy.
  const scan = await pdf.scannedPage(page, used, maxPixels, { jpeg: native !== null && !rotate });
  if (native && scan && 'jpeg' in scan) {
    const reply = await recognizeJpeg(native, held.source, page, scan.jpeg);
    if (reply) {
      if (used < dpi) reply.dpi = used;
      return reply;
    }
  }
  const scanned = scan && 'gray' in scan ? scan.gray : scan ? await pdf.scannedPageGray(page, used, maxPixels) : null;
  let gray = scanned ?? (await pdf.renderPageGray(page, used, maxPixels));
  if (used < dpi && imagesLeftOutSoFar() > leftOutBefore) {
    // The page fits once reduced, but an image on it (its scan, typically) is itself over the cap and was not
    // decoded: what is left to read is not the page.
    throw new DocumentError(
      ErrorCodes.LIMIT_EXCEEDED,
      `${held.source}: page ${page} is over the limit of ${maxPixels} pixels at ${dpi} dpi, and an image on it is over the limit too, so it cannot be read at a lower dpi either`,
      'limit',
      'pixels',
    );
  }
  if (rotate) {
    const small = shrinkGray(gray);
    rotation = await uprightTurn(encodePgm(small), held.source);
    const turned = turnGray(gray, rotation);
    // The system's tesseract cannot straighten a page: the slope is measured here and the page turned by it.
    if (native) gray = turnGrayBy(turned, await pageSkew(encodePgm(small === gray ? turned : turnGray(small, rotation)), held.source));
    else gray = turned;
  }
  try {
    const r = native
      ? await native.page(gray, used)
      : await recognizer().recognize({ prepare: async () => encodePgm(gray), parameters: { ...pageParameters, user_defined_dpi: String(used) }, deskew: rotate });
    const reply: PageReply = { source: 'ocr', text: r.text.trim(), confidence: r.confidence, image: scanned ? 'scanned' : 'rendered' };
    if (used < dpi) reply.dpi = used;
    if (rotation !== undefined) reply.rotation = rotation;
    return reply;
  } catch (err) {
    throw ocrFailure(err, held.source, page);
  }
}

/**
 * A scanned page read by the system's tesseract from its own JPEG (the dpi already in its header); null when tesseract
 * cannot decode it, and the page is then read from the pixels pdf.js decodes, as any other.
 */
async function recognizeJpeg(engine: NativeRecognizer, source: string, page: number, jpeg: Buffer): Promise<PageReply | null> {
  try {
    const r = await engine.image(jpeg);
    return { source: 'ocr', text: r.text.trim(), confidence: r.confidence, image: 'jpeg' };
  } catch (err) {
    if (err instanceof NativeRecognizeError && err.unreadable) {
      process.stderr.write(`${source}: page ${page}: the scan's JPEG is read from its decoded pixels (${err.message})\n`);
      return null;
    }
    throw ocrFailure(err, source, page);
  }
}

function ocrFailure(err: unknown, source: string, page: number): unknown {
  if (err instanceof RecognizeError || err instanceof NativeRecognizeError) {
    return new DocumentError(ErrorCodes.OCR_FAILED, `${source}: page ${page}: OCR failed (${err.message})`, 'engine');
  }
  return err;
}

async function readImage(held: HeldDocument, task: ImageTask): Promise<PageReply> {
  const invalid = () => new DocumentError(ErrorCodes.IMAGE_INVALID, `${held.source}: the ${task.type} image cannot be decoded`);
  // BMPs in layouts decoded here skip the engine's own slow BMP path; the rest (RLE) take it, and any failure there
  // is the image's.
  let input = held.data;
  let gray: GrayImage | null = null;
  let engineDecodesBmp = false;
  if (task.type === 'bmp') {
    const bmp = decodeBmpToGray(held.data);
    if (bmp.ok) {
      gray = bmp.image;
      input = encodePgm(gray);
    } else if (bmp.reason === 'invalid') throw invalid();
    else engineDecodesBmp = true;
  }
  if (native) {
    try {
      let rotation: Rotation | undefined;
      if (rotate) {
        // Turned and straightened here, from the pixels as the OSD engine decodes them; an image it cannot decode is
        // read as it is. A turned image goes to tesseract without its resolution, which it then estimates.
        gray ??= await decodeForOsd(input, held.source);
        rotation = 0;
        if (gray) {
          const small = shrinkGray(gray);
          rotation = await uprightTurn(encodePgm(small), held.source);
          const turned = turnGray(gray, rotation);
          const skew = await pageSkew(encodePgm(small === gray ? turned : turnGray(small, rotation)), held.source);
          if (rotation !== 0 || skew !== 0) input = encodePgm(turnGrayBy(turned, skew));
        }
      }
      const r = await native.image(input);
      const reply: PageReply = { source: 'ocr', text: r.text.trim(), confidence: r.confidence, image: 'file' };
      if (rotation !== undefined) reply.rotation = rotation;
      return reply;
    } catch (err) {
      if (err instanceof NativeRecognizeError && (err.unreadable || engineDecodesBmp)) throw invalid();
      throw err;
    }
  }
  try {
    let rotation: Rotation | undefined;
    let rotateRadians: number | undefined;
    if (rotate) {
      rotation = await uprightTurn(input, held.source);
      if (rotation === 180 && !gray) {
        // A half turn keeps the image's size: the engine turns it as it reads it.
        rotateRadians = Math.PI;
      } else if (rotation !== 0) {
        // A quarter turn swaps width and height, which the engine's own turn does not: turn the pixels here, from
        // the image as the engine decodes it.
        gray ??= decodeGrayPng((await recognizer().recognize({ prepare: async () => input, output: 'grey' })).grey ?? Buffer.alloc(0));
        if (gray) input = encodePgm(turnGray(gray, rotation));
        else rotation = 0;
      }
    }
    const r = await recognizer().recognize({ prepare: async () => input, parameters: pageParameters, rotateRadians, deskew: rotate && !rotateRadians });
    const reply: PageReply = { source: 'ocr', text: r.text.trim(), confidence: r.confidence, image: 'file' };
    if (rotation !== undefined) reply.rotation = rotation;
    return reply;
  } catch (err) {
    if (err instanceof RecognizeError && (err.unreadable || engineDecodesBmp)) throw invalid();
    throw err;
  }
}

/** The OSD worker, started on first use and again after its thread dies; its output goes to diagnostics. */
function orientationDetector(): Promise<Tesseract.Worker> {
  if (osd) return osd;
  const started = startOsdWorker();
  osd = started;
  started.then(
    (worker) => {
      const thread = threadOf(worker);
      const lost = (): void => {
        if (osd === started) osd = null;
      };
      thread.on('error', lost);
      thread.on('exit', lost);
      for (const stream of [thread.stdout, thread.stderr]) {
        stream.unpipe();
        stream.on('data', (chunk: Buffer) => process.stderr.write(chunk));
        stream.resume();
      }
    },
    () => {
      if (osd === started) osd = null;
    },
  );
  return started;
}

/**
 * The clockwise turn that makes a page upright; 0 when orientation cannot be told (too little text) or detection
 * fails, so that the page is still read as it is.
 */
async function uprightTurn(image: Buffer, source: string): Promise<Rotation> {
  try {
    return await detectRotation(await orientationDetector(), image);
  } catch (err) {
    process.stderr.write(`${source}: orientation not detected (${(err as Error | null)?.message ?? String(err)})\n`);
    return 0;
  }
}

/** The slope that straightens a page (radians, clockwise), per pageSkew; 0 when it cannot be measured. */
async function pageSkew(image: Buffer, source: string): Promise<number> {
  try {
    return await detectSkew(await orientationDetector(), image);
  } catch (err) {
    process.stderr.write(`${source}: skew not measured (${(err as Error | null)?.message ?? String(err)})\n`);
    return 0;
  }
}

/** An image file's pixels as the OSD engine decodes them (it recognizes nothing); null when it cannot. */
async function decodeForOsd(input: Buffer, source: string): Promise<GrayImage | null> {
  try {
    const { data } = await (await orientationDetector()).recognize(input, {}, { text: false, imageGrey: true });
    const grey = data.imageGrey;
    return typeof grey === 'string' ? decodeGrayPng(Buffer.from(grey.slice(grey.indexOf(',') + 1), 'base64')) : null;
  } catch (err) {
    process.stderr.write(`${source}: orientation not detected (${(err as Error | null)?.message ?? String(err)})\n`);
    return null;
  }
}

function recognizer(): TesseractPool {
  if (!ocr) throw new Error('this worker was started without an OCR engine');
  return ocr;
}

function toFailure(err: unknown, source: string): DocumentFailure {
  if (err instanceof DocumentError) return err.toFailure();
  const message = `${source}: OCR failed (${(err as Error | null)?.message ?? String(err)})`;
  return { code: ErrorCodes.OCR_FAILED, message, category: 'engine' };
}

main();
