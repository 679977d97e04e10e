import type { Readable } from 'node:stream';
import Tesseract from 'tesseract.js';
import { osdLangPath, type LangData } from './lang-data.js';

/** Longest a worker may take to load its language data. */
export const WORKER_START_TIMEOUT_MS = 120_000;

export interface WorkerThread {
  on(event: string, listener: (...args: never[]) => void): void;
  stdout: Readable;
  stderr: Readable;
}

/** The worker_threads Worker behind a tesseract.js worker (not in its typings). */
export const threadOf = (worker: Tesseract.Worker): WorkerThread =>
  (worker as unknown as { worker: WorkerThread }).worker;

/** Starts one tesseract.js worker, offline, LSTM engine only, with its progress logging off. */
export function startWorker(lang: LangData): Promise<Tesseract.Worker> {
  return withTimeout(
    Tesseract.createWorker(lang.langs.join('+'), Tesseract.OEM.LSTM_ONLY, {
      langPath: lang.langPath,
      gzip: lang.gzip,
      cacheMethod: 'none',
      logger: () => {},
      // Without a handler tesseract.js throws engine errors from a message listener, killing the process.
      errorHandler: () => {},
    }),
  );
}

/**
 * Starts a tesseract.js worker for orientation detection (`worker.detect`): the legacy engine with the bundled OSD
 * model, offline like the others. It recognizes nothing.
 */
export function startOsdWorker(): Promise<Tesseract.Worker> {
  return withTimeout(
    Tesseract.createWorker('osd', Tesseract.OEM.TESSERACT_ONLY, {
      langPath: osdLangPath(),
      gzip: true,
      cacheMethod: 'none',
      legacyCore: true,
      legacyLang: true,
      logger: () => {},
      errorHandler: () => {},
    }),
  );
}

function withTimeout(worker: Promise<Tesseract.Worker>): Promise<Tesseract.Worker> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out loading the language data')), WORKER_START_TIMEOUT_MS);
    timer.unref();
  });
  return Promise.race([worker, timeout]).finally(() => clearTimeout(timer)).catch((err: unknown) => {
    // A worker that turns up after the timeout must not keep the process alive.
    worker.then((w) => w.terminate(), () => {});
    throw err;
  });
}
