/**
 * The system's `tesseract` for `--engine native`: found (OCRQ_TESSERACT, else PATH), its version checked (4.1 or
 * later: the CLI reads stdin, writes TSV to stdout and takes --dpi/--psm/--oem), and the requested languages checked
 * against what it lists, all before any document is read. Runs in the run's own process; the document workers are
 * given the result (NativeTesseract) and spawn the binary themselves (native.ts).
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../errors.js';
import { langPathDirs } from './lang-data.js';

/** What a document worker needs to run the system's tesseract. */
export interface NativeTesseract {
  /** Absolute path of the binary. */
  binary: string;
  /** `5.3.0`, as `tesseract --version` prints it. */
  version: string;
  langs: string[];
  /** `--lang-path`, passed as `--tessdata-dir`; absent: the binary's own tessdata. */
  tessdataDir?: string;
}

/** The oldest Tesseract whose CLI does all that native.ts asks of it. */
export const MIN_NATIVE_VERSION: readonly [number, number] = [4, 1];
/** Environment variable naming the binary to use instead of `tesseract` on PATH. */
export const TESSERACT_ENV = 'OCRQ_TESSERACT';
const PROBE_TIMEOUT_MS = 20_000;

/** How to get a recent enough tesseract, per platform (and for the container image). */
export const INSTALL_HINT =
  'install Tesseract 4.1 or later: Debian/Ubuntu: apt-get install tesseract-ocr; macOS: brew install tesseract; ' +
  `the container image: see the note in the Dockerfile; or point ${TESSERACT_ENV} at the binary. Or use the embedded engine (--engine local).`;

/** Why the native engine cannot be used, as a UsageError (exit 2) with what to install. */
export class NativeUnavailable extends UsageError {}

/** `tesseract 5.3.0` or `tesseract v5.0.0-alpha.20201231` → `[5, 3, 0]`; null when the text names no version. */
export function parseTesseractVersion(text: string): { version: string; parts: number[] } | null {
  const match = /tesseract\s+v?(\d+)\.(\d+)(?:\.(\d+))?([\w.+-]*)/iu.exec(text);
  if (!match) return null;
  const parts = [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
  return { version: `${parts.join('.')}${match[4] ?? ''}`, parts };
}

export function isRecentEnough(parts: readonly number[]): boolean {
  const [major, minor] = MIN_NATIVE_VERSION;
  return parts[0] > major || (parts[0] === major && parts[1] >= minor);
}

/** Absolute path of the tesseract binary: OCRQ_TESSERACT (a path, or a name looked up on PATH), else `tesseract`. */
export function findTesseract(env: NodeJS.ProcessEnv): string | null {
  const wanted = env[TESSERACT_ENV]?.trim() || 'tesseract';
  if (wanted.includes('/') || wanted.includes(path.sep)) return executable(path.resolve(wanted)) ? path.resolve(wanted) : null;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, wanted);
    if (executable(candidate)) return candidate;
  }
  return null;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function run(binary: string, args: string[]): Promise<{ stdout: string; stderr: string; error: Error | null }> {
  return new Promise((resolve) => {
    execFile(binary, args, { timeout: PROBE_TIMEOUT_MS, env: { ...process.env, OMP_THREAD_LIMIT: '1' } }, (error, stdout, stderr) => {
      resolve({ stdout: String(stdout), stderr: String(stderr), error });
    });
  });
}

/** The binary and its version; a NativeUnavailable when it is missing, does not run, or is older than 4.1. */
export async function probeTesseract(env: NodeJS.ProcessEnv): Promise<{ binary: string; version: string }> {
  const given = env[TESSERACT_ENV]?.trim();
  const binary = findTesseract(env);
  if (!binary) {
    throw new NativeUnavailable(
      given ? `${TESSERACT_ENV}=${given}: no such executable, so --engine native cannot run` : 'tesseract was not found on PATH, so --engine native cannot run',
      INSTALL_HINT,
    );
  }
  const r = await run(binary, ['--version']);
  // Tesseract 3 printed its version on stderr, later ones on stdout.
  const parsed = parseTesseractVersion(`${r.stdout}\n${r.stderr}`);
  if (!parsed) {
    const why = r.error ? r.error.message : 'it did not print a version';
    throw new NativeUnavailable(`${binary} --version failed (${why.split('\n')[0]}), so --engine native cannot run`, INSTALL_HINT);
  }
  if (!isRecentEnough(parsed.parts)) {
    throw new NativeUnavailable(`${binary} is Tesseract ${parsed.version}; --engine native needs ${MIN_NATIVE_VERSION.join('.')} or later`, INSTALL_HINT);
  }
  return { binary, version: parsed.version };
}

/** Languages `tesseract --list-langs` names (the lines after its heading). */
export function parseLangList(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^List of available languages/iu.test(l) && !/\s/u.test(l));
}

/** Debian's package for a language's data: `chi_sim` → `tesseract-ocr-chi-sim`. */
export const debianLangPackage = (lang: string): string => `tesseract-ocr-${lang.toLowerCase().replace(/_/gu, '-')}`;

/**
 * Everything the workers need to run the system's tesseract for `lang` (`eng`, `eng+deu`): the binary, its version,
 * and the languages, each checked against `--list-langs` (from `langPath` when given: one folder, as
 * `--tessdata-dir`). Throws a NativeUnavailable naming what to install.
 */
export async function resolveNativeTesseract(lang: string, langPath: string | undefined, env: NodeJS.ProcessEnv): Promise<NativeTesseract> {
  const langs = lang.split('+').filter(Boolean);
  if (langs.length === 0 || langs.some((l) => !/^[A-Za-z0-9_]+$/u.test(l))) {
    throw new UsageError(`invalid --lang '${lang}': expected language codes joined by '+', e.g. eng+deu`);
  }
  const dirs = langPathDirs(langPath);
  if (dirs.length > 1) {
    throw new NativeUnavailable('--engine native reads languages from one --lang-path folder (tesseract --tessdata-dir)', 'put every <lang>.traineddata in one folder');
  }
  const tessdataDir = dirs[0];
  if (tessdataDir !== undefined) {
    const isDir = (() => {
      try {
        return statSync(tessdataDir).isDirectory();
      } catch {
        return false;
      }
    })();
    if (!isDir) throw new NativeUnavailable(`--lang-path ${tessdataDir}: no such folder`, 'give a folder holding <lang>.traineddata files');
  }
  const { binary, version } = await probeTesseract(env);
  const r = await run(binary, [...(tessdataDir ? ['--tessdata-dir', tessdataDir] : []), '--list-langs']);
  const available = parseLangList(r.stdout);
  const where = /languages in "([^"]*)"/u.exec(`${r.stdout}\n${r.stderr}`)?.[1]?.replace(/\/$/u, '') ?? tessdataDir ?? 'its tessdata folder';
  for (const l of langs) {
    if (available.includes(l)) continue;
    const fix = tessdataDir
      ? `put ${l}.traineddata (not gzipped; from tessdata_fast or tessdata_best) in ${tessdataDir}, or leave out --lang-path to use the installed languages (${available.join(', ') || 'none'})`
      : `Debian/Ubuntu: apt-get install ${debianLangPackage(l)}; macOS: brew install tesseract-lang; or pass --lang-path DIR holding ${l}.traineddata. Installed: ${available.join(', ') || 'none'}`;
    throw new NativeUnavailable(`language '${l}' is not installed for tesseract ${version} (${where})`, fix);
  }
  return { binary, version, langs, ...(tessdataDir ? { tessdataDir } : {}) };
}
