import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { UsageError } from '../../errors.js';

/** Where tesseract.js finds the traineddata of every requested language. */
export interface LangData {
  langPath: string;
  /** Whether the files are `<lang>.traineddata.gz` (true) or plain `<lang>.traineddata`. */
  gzip: boolean;
  langs: string[];
}

// The core build tesseract.js uses knows this many traineddata sections and refuses files that declare more.
const TESSDATA_NUM_ENTRIES = 24;
// Section index of the LSTM model, the only recognizer the LSTM-only core can run.
const TESSDATA_LSTM = 17;

/** The traineddata bundled with ocrq: English, `best_int` (integer LSTM models, the fast accurate choice). */
export function defaultLangPath(): string {
  const pkg = createRequire(import.meta.url).resolve('@tesseract.js-data/eng/package.json');
  return path.join(path.dirname(pkg), '4.0.0_best_int');
}

/**
 * The orientation and script detection (OSD) model bundled with ocrq (`@tesseract.js-data/osd`): a legacy-engine
 * model, read by a worker of its own (startOsdWorker).
 */
export function osdLangPath(): string {
  const pkg = createRequire(import.meta.url).resolve('@tesseract.js-data/osd/package.json');
  return path.join(path.dirname(pkg), '4.0.0');
}

async function readIfPresent(file: string): Promise<Buffer | null> {
  try {
    return await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Checks a traineddata file's section table. tesseract.js hangs or crashes the process on data it cannot
 * load, so broken files must be caught here, before any worker sees them.
 */
export function checkTrainedData(data: Buffer): string | null {
  let raw = data;
  if (raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      raw = gunzipSync(raw);
    } catch (err) {
      return `not a valid gzip file (${(err as Error).message})`;
    }
  }
  if (raw.length < 4) return 'file is too short';
  const entries = raw.readInt32LE(0);
  if (entries < 1 || entries > TESSDATA_NUM_ENTRIES || raw.length < 4 + entries * 8) {
    return 'not a traineddata file (bad section table)';
  }
  let previous = 4 + entries * 8;
  for (let i = 0; i < entries; i++) {
    const offset = Number(raw.readBigInt64LE(4 + i * 8));
    if (offset === -1) continue;
    if (offset < previous || offset > raw.length) return 'not a traineddata file (bad section offsets)';
    previous = offset;
  }
  if (entries <= TESSDATA_LSTM || Number(raw.readBigInt64LE(4 + TESSDATA_LSTM * 8)) === -1) {
    return 'it has no LSTM model (legacy-only data is not supported)';
  }
  return null;
}

/**
 * Finds and checks the traineddata for `lang` (`eng`, `eng+deu`) in `langPath` (default: the bundled English
 * data). Throws a UsageError naming the language and the directory when something is missing or broken.
 */
export async function resolveLangData(lang: string, langPath?: string): Promise<LangData> {
  const dir = path.resolve(langPath ?? defaultLangPath());
  const langs = lang.split('+').filter(Boolean);
  const fix = 'Pass --lang-path DIR with <lang>.traineddata or <lang>.traineddata.gz files (tessdata_best/_fast).';
  if (langs.length === 0 || langs.some((l) => !/^[A-Za-z0-9_]+$/u.test(l))) {
    throw new UsageError(`invalid --lang '${lang}': expected language codes joined by '+', e.g. eng+deu`);
  }
  const kinds = new Set<boolean>();
  for (const l of langs) {
    let gzip = true;
    let data = await readIfPresent(path.join(dir, `${l}.traineddata.gz`));
    if (!data) {
      gzip = false;
      data = await readIfPresent(path.join(dir, `${l}.traineddata`));
    }
    if (!data) throw new UsageError(`language data for '${l}' not found in ${dir}`, fix);
    const problem = checkTrainedData(data);
    if (problem) {
      const file = path.join(dir, `${l}.traineddata${gzip ? '.gz' : ''}`);
      throw new UsageError(`language data for '${l}' in ${dir} is unusable: ${file}: ${problem}`, fix);
    }
    kinds.add(gzip);
  }
  if (kinds.size > 1) {
    throw new UsageError(
      `language data in ${dir} mixes .traineddata and .traineddata.gz files for '${lang}'`,
      'Keep all the languages in one form (all gzipped or all plain).',
    );
  }
  return { langPath: dir, gzip: kinds.has(true), langs };
}
