/**
 * `--engine native` inside a document worker: pages read by the system's tesseract (native-binary.ts found and checked
 * it). One tesseract process per worker, started with the worker and kept for its life: it reads image paths from
 * stdin one at a time (`stream_filelist`) and writes each page's TSV (word confidences) and text to stdout as soon as
 * it is read. A process per page would pay the start-up (loading the model, about 0.1 s of CPU) and the first page's
 * warm-up again on every page: about 9% more CPU per letter page (README "Native Tesseract").
 *
 * The process is the worker's child: the run measures the memory of both together, and a budget kill, the worker's
 * death or the end of the run ends both (pool.ts; the worker's watchdog in child.ts when the run itself is killed). Each page image is written to the worker's scratch folder (rendered pages as
 * uncompressed TIFF carrying their dpi, image files as they are) and overwritten by the next. The run makes that
 * folder for the worker and removes it when the worker ends, however it ends (pool.ts); folders of runs that were
 * killed are removed by the next run that starts native workers.
 *
 * A page's output ends where the next image's begins: each page is followed by a tiny blank sentinel image, and the
 * sentinel's first TSV row closes the page.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { GrayImage } from '../../documents/pdf.js';
import type { NativeTesseract } from './native-binary.js';
import { makeScratchDirSync } from './scratch.js';
import { grayTiffHeader } from './tiff.js';

/** How long close() lets tesseract end by itself once its list of images has ended. */
export const CLOSE_GRACE_MS = 1000;

/** The page's text (as tesseract's txt output lays it out) and its mean word confidence, 0-100. */
export interface NativeResult {
  text: string;
  confidence: number;
}

/** tesseract could not read an image (`unreadable`: the image itself could not be decoded) or stopped. */
export class NativeRecognizeError extends Error {
  constructor(
    message: string,
    readonly unreadable: boolean,
  ) {
    super(message);
    this.name = 'NativeRecognizeError';
  }
}

const SCRATCH_PREFIX = 'ocrq-native-';
/** What tesseract and leptonica print when an image file cannot be decoded. */
const UNREADABLE = /cannot be read|Error in pixRead|Unknown format|Error in findFileFormat|Error in pixReadStream|image file not found|Pix is null/iu;
const STDERR_TAIL = 2048;
const SENTINEL_SIZE = 8;

/**
 * The arguments of the long-lived process: LSTM only, the run's page segmentation (`parameters`, the same Tesseract
 * parameters the embedded engine is given: `tessedit_pageseg_mode` becomes `--psm`, any other a `-c`), and TSV for
 * the word confidences and txt for the text, both on stdout.
 */
export function nativeArgs(spec: NativeTesseract, parameters: Readonly<Record<string, string>>): string[] {
  const { tessedit_pageseg_mode: psm, ...others } = parameters;
  return [
    '-', '-',
    ...(spec.tessdataDir ? ['--tessdata-dir', spec.tessdataDir] : []),
    '-l', spec.langs.join('+'),
    '--oem', '1',
    ...(psm === undefined ? [] : ['--psm', psm]),
    ...Object.entries(others).flatMap(([key, value]) => ['-c', `${key}=${value}`]),
    '-c', 'stream_filelist=1',
    '-c', 'tessedit_create_tsv=1',
    '-c', 'tessedit_create_txt=1',
  ];
}

/**
 * One page's output: TSV rows (every TSV line holds tabs) and the text lines (none do), in whichever order the
 * renderers wrote them. Confidence as tesseract's MeanTextConf: the mean of the words' whole confidences, truncated;
 * 0 with no words.
 */
export function parsePageOutput(output: string): NativeResult {
  const text: string[] = [];
  let sum = 0;
  let words = 0;
  for (const line of output.split('\n')) {
    if (!line.includes('\t')) {
      text.push(line);
      continue;
    }
    const fields = line.split('\t');
    if (fields[0] !== '5' || fields.length < 12) continue;
    const conf = Number(fields[10]);
    if (!Number.isFinite(conf) || conf < 0) continue;
    sum += Math.trunc(conf);
    words++;
  }
  return { text: text.join('\n'), confidence: words > 0 ? Math.trunc(sum / words) : 0 };
}

interface Pending {
  /** Page number (in this process) of the sentinel that closes the page. */
  sentinel: number;
  resolve(result: NativeResult): void;
  reject(err: Error): void;
}

export class NativeRecognizer {
  private proc: ChildProcess | null = null;
  /** Images sent to the current process: TSV numbers them from 1. */
  private sent = 0;
  private out = '';
  private stderrTail = '';
  private pending: Pending | null = null;
  private closed = false;

  private constructor(
    private readonly spec: NativeTesseract,
    private readonly parameters: Readonly<Record<string, string>>,
    private readonly dir: string,
    private readonly sentinelFile: string,
    private readonly onDiagnostic: (text: string) => void,
  ) {}

  /**
   * Starts tesseract, which reads the sentinel once to show that it works; `dir` is the worker's scratch folder,
   * `parameters` the run's Tesseract parameters for every page (its page segmentation).
   */
  static async start(
    spec: NativeTesseract,
    dir: string,
    parameters: Readonly<Record<string, string>>,
    onDiagnostic: (text: string) => void,
  ): Promise<NativeRecognizer> {
    const sentinel = path.join(dir, 'sentinel.tif');
    const blank = Buffer.alloc(SENTINEL_SIZE * SENTINEL_SIZE, 255);
    writeFileSync(sentinel, Buffer.concat([grayTiffHeader(SENTINEL_SIZE, SENTINEL_SIZE, 300), blank]));
    const recognizer = new NativeRecognizer(spec, parameters, dir, sentinel, onDiagnostic);
    process.on('exit', () => recognizer.closeSync());
    try {
      await recognizer.read(null);
    } catch (err) {
      recognizer.closeSync();
      throw new Error(`tesseract ${spec.version} did not start: ${(err as Error).message}`);
    }
    return recognizer;
  }

  /** A rendered page, read at `dpi`. */
  async page(image: GrayImage, dpi: number): Promise<NativeResult> {
    const file = path.join(this.dir, 'page.tif');
    const handle = await open(file, 'w');
    try {
      await handle.writev([grayTiffHeader(image.width, image.height, dpi), image.pixels]);
    } finally {
      await handle.close();
    }
    return this.read(file);
  }

  /** An image file's bytes (any format leptonica reads), read at its own resolution. */
  async image(bytes: Uint8Array): Promise<NativeResult> {
    const file = path.join(this.dir, 'image');
    const handle = await open(file, 'w');
    try {
      await handle.write(bytes);
    } finally {
      await handle.close();
    }
    return this.read(file);
  }

  /**
   * Ends tesseract as the end of a run does: its list of images ends, so it exits by itself, and it is waited for, so
   * that it is this worker's child to the end (its CPU time counts as the worker's, and init is never left to reap
   * it). One still reading a page, or not gone within `graceMs`, is killed, and waited for all the same.
   */
  async close(graceMs = CLOSE_GRACE_MS): Promise<void> {
    this.closed = true;
    const proc = this.proc;
    this.proc = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    if (this.pending) proc.kill('SIGKILL');
    else proc.stdin!.end();
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Stops tesseract at once (the worker is exiting). */
  closeSync(): void {
    this.closed = true;
    this.proc?.kill('SIGKILL');
    this.proc = null;
  }

  /** Sends `file` (null: the sentinel alone) and waits for its output. */
  private read(file: string | null): Promise<NativeResult> {
    if (this.closed) return Promise.reject(new NativeRecognizeError('the OCR engine is closed', false));
    if (this.pending) return Promise.reject(new Error('one page at a time'));
    const proc = this.proc ?? this.spawn();
    this.stderrTail = '';
    const lines = file === null ? `${this.sentinelFile}\n` : `${file}\n${this.sentinelFile}\n`;
    this.sent += file === null ? 1 : 2;
    return new Promise<NativeResult>((resolve, reject) => {
      this.pending = { sentinel: this.sent, resolve, reject };
      proc.stdin!.write(lines);
    });
  }

  private spawn(): ChildProcess {
    const proc = spawn(this.spec.binary, nativeArgs(this.spec, this.parameters), {
      // One thread per process: the workers already fill the cores.
      env: { ...process.env, OMP_THREAD_LIMIT: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.proc = proc;
    this.sent = 0;
    this.out = '';
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (chunk: string) => {
      if (this.proc !== proc) return;
      // Form feeds are tesseract's page separators in its text output; they would hide where a row starts.
      this.out += chunk.replace(/\f/gu, '');
      this.settle();
    });
    proc.stderr!.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL);
      this.onDiagnostic(text);
    });
    // A write to a process that just died: its exit says why.
    proc.stdin!.on('error', () => {});
    proc.on('error', (err) => this.lost(proc, err.message));
    proc.on('exit', (code, signal) => this.lost(proc, signal ? `signal ${signal}` : `exit code ${code}`));
    return proc;
  }

  /** Resolves the waiting page once the row that opens its sentinel has arrived. */
  private settle(): void {
    const pending = this.pending;
    if (!pending) return;
    const marker = `1\t${pending.sentinel}\t0\t0\t0\t0\t`;
    const at = this.out.startsWith(marker) ? 0 : this.out.indexOf(`\n${marker}`);
    if (at < 0) return;
    const end = this.out.indexOf('\n', at + 1 + marker.length);
    if (end < 0) return;
    const page = this.out.slice(0, at);
    this.out = this.out.slice(end + 1);
    this.pending = null;
    pending.resolve(parsePageOutput(page));
  }

  /** The process ended or could not start: the waiting page fails, and the next one starts a new process. */
  private lost(proc: ChildProcess, how: string): void {
    if (this.proc !== proc) return;
    this.proc = null;
    const pending = this.pending;
    this.pending = null;
    if (!pending || this.closed) return;
    const said = lastLines(this.stderrTail);
    pending.reject(new NativeRecognizeError(`tesseract stopped (${how})${said ? `: ${said}` : ''}`, UNREADABLE.test(this.stderrTail)));
  }
}

function lastLines(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(Empty page|Estimating resolution|Warning: Invalid resolution|Detected \d+ diacritics)/u.test(l))
    .slice(-2)
    .join(' | ');
}

/**
 * A scratch folder for one native worker, named after the run's process; scratch folders of runs that no longer run
 * (killed) are removed first (scratch.ts).
 */
export function makeScratchDir(): string {
  return makeScratchDirSync(SCRATCH_PREFIX);
}

export function removeScratchDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
