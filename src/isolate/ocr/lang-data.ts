import { createRequire } from 'node:module';
import { readFile, rm, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { UsageError } from '../../errors.js';
import { makeScratchDirSync } from './scratch.js';

/** Where tesseract.js finds the traineddata of every requested language. */
export interface LangData {
  langPath: string;
  /** Whether the files are `<lang>.traineddata.gz` (true) or plain `<lang>.traineddata`. */
  gzip: boolean;
  langs: string[];
  /** `langPath` is a scratch folder of links made for this run, removed by `disposeLangData`. */
  scratch?: boolean;
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

/** Where a language's data was found. */
interface Found {
  lang: string;
  file: string;
  gzip: boolean;
}

/** The npm package that ships a language's data (tesseract.js's own packaging of tessdata `best_int`). */
export const langPackage = (lang: string): string => `@tesseract.js-data/${lang}`;

/**
 * Folders of `@tesseract.js-data/<lang>` installed next to ocrq (its own dependencies, or a global install beside
 * it) or in the current folder's project, in that order.
 */
function packageDirs(lang: string): string[] {
  const dirs: string[] = [];
  for (const from of [import.meta.url, path.join(process.cwd(), 'noop.js')]) {
    try {
      const pkg = createRequire(from).resolve(`${langPackage(lang)}/package.json`);
      const dir = path.join(path.dirname(pkg), '4.0.0_best_int');
      if (!dirs.includes(dir)) dirs.push(dir);
    } catch {
      // Not installed there.
    }
  }
  return dirs;
}

/** `--lang-path` folders: several may be given, separated like PATH (`:`; `;` on Windows). */
export function langPathDirs(langPath: string | undefined): string[] {
  if (langPath === undefined) return [];
  return langPath
    .split(path.delimiter)
    .filter((d) => d !== '')
    .map((d) => path.resolve(d));
}

/**
 * Finds and checks the traineddata for `lang` (`eng`, `eng+fra`): in each `--lang-path` folder, then in the
 * `@tesseract.js-data/<lang>` package. Throws a UsageError naming the language, where it looked and what to install
 * when something is missing or broken. tesseract.js reads every language from one folder: when they come from
 * several, `langPath` is a scratch folder of links to them (`scratch: true`; `disposeLangData` removes it).
 */
export async function resolveLangData(lang: string, langPath?: string): Promise<LangData> {
  const langs = lang.split('+').filter(Boolean);
  if (langs.length === 0 || langs.some((l) => !/^[A-Za-z0-9_]+$/u.test(l))) {
    throw new UsageError(`invalid --lang '${lang}': expected language codes joined by '+', e.g. eng+deu`);
  }
  const given = langPathDirs(langPath);
  for (const dir of given) {
    const kind = await stat(dir).then((st) => (st.isDirectory() ? 'dir' : 'other'), () => 'missing');
    if (kind !== 'dir') throw new UsageError(`--lang-path ${dir}: ${kind === 'missing' ? 'no such folder' : 'not a folder'}`, 'give a folder holding <lang>.traineddata or <lang>.traineddata.gz files');
  }
  const found: Found[] = [];
  for (const l of langs) {
    const searched = [...given, ...packageDirs(l)];
    let hit: Found | null = null;
    for (const dir of searched) {
      for (const gzip of [true, false]) {
        const file = path.join(dir, `${l}.traineddata${gzip ? '.gz' : ''}`);
        const data = await readIfPresent(file);
        if (!data) continue;
        const problem = checkTrainedData(data);
        if (problem) {
          throw new UsageError(`language data for '${l}' in ${dir} is unusable: ${file}: ${problem}`, `Replace it with a file from tessdata_best or tessdata_fast, or install ${langPackage(l)}.`);
        }
        hit = { lang: l, file, gzip };
        break;
      }
      if (hit) break;
    }
    if (!hit) throw missing(l, given);
    found.push(hit);
  }
  const dirs = new Set(found.map((f) => path.dirname(f.file)));
  const kinds = new Set(found.map((f) => f.gzip));
  if (dirs.size === 1 && kinds.size === 1) return { langPath: [...dirs][0], gzip: found[0].gzip, langs };
  return { langPath: await linkFolder(found), gzip: true, langs, scratch: true };
}

function missing(lang: string, given: string[]): UsageError {
  const pkg = langPackage(lang);
  const message =
    given.length > 0
      ? `language data for '${lang}' not found in ${given.join(', ')} or in the package ${pkg}`
      : `language data for '${lang}' not found: the package ${pkg} is not installed`;
  return new UsageError(
    message,
    `Install it next to ocrq (npm install ${pkg}; with a global ocrq, npm install -g ${pkg}), or pass --lang-path DIR holding ${lang}.traineddata or ${lang}.traineddata.gz (tessdata_best or tessdata_fast).`,
  );
}

const SCRATCH_PREFIX = 'ocrq-lang-';

/**
 * A private folder of links `<lang>.traineddata.gz` to each language's file. Every link carries the `.gz` name: the
 * engine tells gzip from plain data by its first bytes, not by the name. Folders left by runs that died are removed.
 */
async function linkFolder(found: Found[]): Promise<string> {
  const dir = makeScratchDirSync(SCRATCH_PREFIX);
  for (const f of found) await symlink(f.file, path.join(dir, `${f.lang}.traineddata.gz`));
  return dir;
}

/** Removes the scratch folder of links, if `resolveLangData` made one. */
export async function disposeLangData(data: LangData): Promise<void> {
  if (data.scratch) await rm(data.langPath, { recursive: true, force: true }).catch(() => {});
}
