/**
 * The files `--results-dir` holds for completed documents, in the layout `--results-layout` chose (names:
 * src/manifest/result-files.ts). Every file is written atomically (a temporary file in the same folder, then a rename,
 * src/manifest/atomic.ts), so a reader sees a whole file or none, and a symbolic link standing at a file's own name is
 * replaced, never written through.
 *
 * By source, the folders below the results folder are made one at a time, each checked with lstat: a symbolic link
 * (or a file) standing where a folder is needed is never followed, and that source's files are not written (a
 * warning says so; the text is in the manifest all the same). Every source of a document gets its files, copies met
 * later included: from the row in hand, or from the files of a copy written before.
 */
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { AtomicData } from '../manifest/atomic.js';
import { resultPaths, sourceResultPaths, type ResultsLayout } from '../manifest/result-files.js';
import type { ManifestRow } from '../manifest/types.js';
import { escapeForDisplay } from '../output/display.js';

export interface ResultFiles {
  /** Writes the files of a completed job for each of its sources (by job: once); returns the path for `text_path`. */
  write(jobId: string, row: ManifestRow): Promise<string | undefined>;
  /**
   * Files for sources `added` to a completed job whose sources are now `sources`: from `row` when the caller holds
   * it, or else from the files of one of the other sources. By job there is nothing to add.
   */
  addSources(added: readonly string[], sources: readonly string[], row?: ManifestRow): Promise<void>;
}

/** A path below the results folder that must not be used (a link or a file where a folder belongs, a name too long). */
class Refused extends Error {}

const PATH_PROBLEMS = new Set(['ENAMETOOLONG', 'ENOTDIR', 'ELOOP']);

export function resultWriter(
  dir: string,
  layout: ResultsLayout,
  warn: (message: string) => void,
  writeFileAtomic: (file: string, data: AtomicData) => Promise<void>,
): ResultFiles {
  const root = path.resolve(dir);
  if (layout === 'job') {
    return {
      async write(jobId, row) {
        const { json, txt } = resultPaths(root, jobId);
        await writeFileAtomic(json, JSON.stringify({ ...row, text_path: txt }, null, 2) + '\n');
        await writeFileAtomic(txt, row.text ?? '');
        return txt;
      },
      async addSources() {},
    };
  }

  /** Writes one source's files; returns its text file, or undefined (with a warning) when its path is refused. */
  const writeFor = async (source: string, row: ManifestRow): Promise<string | undefined> => {
    const paths = sourceResultPaths(root, source);
    try {
      if (paths === null) throw new Refused('the source has no name to make a path of');
      const { json, txt, segments } = paths;
      await makeFolders(root, segments.slice(0, -1));
      for (const file of [json, txt]) await clearFileName(file);
      await writeFileAtomic(json, JSON.stringify({ ...row, text_path: txt }, null, 2) + '\n');
      await writeFileAtomic(txt, row.text ?? '');
      return txt;
    } catch (error) {
      // The temporary file's longer name can be the one that is too long.
      const cause = (error as { cause?: unknown } | undefined)?.cause;
      if (!(error instanceof Refused) && !(code(cause) === 'ENAMETOOLONG')) throw error;
      warn(`--results-dir: no result files for ${escapeForDisplay(source)}: ${error instanceof Refused ? error.message : 'name too long'}`);
      return undefined;
    }
  };

  return {
    async write(_jobId, row) {
      let textPath: string | undefined;
      for (const source of sourcesOf(row)) {
        const written = await writeFor(source, row);
        textPath ??= written;
      }
      return textPath;
    },
    async addSources(added, sources, row) {
      const base = row ?? (await readWritten(root, sources.filter((s) => !added.includes(s))));
      if (!base) return;
      for (const source of added) await writeFor(source, { ...base, sources: [...sources] });
    },
  };
}

function sourcesOf(row: ManifestRow): string[] {
  if (Array.isArray(row.sources) && row.sources.length > 0) return row.sources.filter((s): s is string => typeof s === 'string');
  return typeof row.source === 'string' ? [row.source] : [];
}

/** Makes (or finds) each folder below `root`, refusing any that is not a real folder. */
async function makeFolders(root: string, segments: string[]): Promise<void> {
  let dir = root;
  for (const segment of segments) {
    dir = path.join(dir, segment);
    let stat = await lstatOrNull(dir);
    if (stat === null) {
      try {
        await fs.mkdir(dir);
      } catch (error) {
        if (code(error) !== 'EEXIST') throw pathProblem(error, dir);
      }
      stat = await lstatOrNull(dir);
    }
    if (stat === null) throw new Refused(`${escapeForDisplay(dir)} vanished while being made`);
    if (stat.isSymbolicLink()) throw new Refused(`${escapeForDisplay(dir)} is a symbolic link; never followed`);
    if (!stat.isDirectory()) throw new Refused(`${escapeForDisplay(dir)} is a file where a folder is needed`);
  }
}

/** A symbolic link at a result file's name is removed (the file then takes its place); a folder there is refused. */
async function clearFileName(file: string): Promise<void> {
  const stat = await lstatOrNull(file);
  if (stat === null) return;
  if (stat.isSymbolicLink()) await fs.unlink(file).catch((error: unknown) => (code(error) === 'ENOENT' ? undefined : Promise.reject(error)));
  else if (stat.isDirectory()) throw new Refused(`${escapeForDisplay(file)} is a folder`);
}

/** The row kept in the `.json` written for one of `sources`, read without following a link anywhere below `root`. */
async function readWritten(root: string, sources: string[]): Promise<ManifestRow | undefined> {
  for (const source of sources) {
    const paths = sourceResultPaths(root, source);
    if (paths === null) continue;
    let dir = root;
    let usable = true;
    for (const segment of paths.segments.slice(0, -1)) {
      dir = path.join(dir, segment);
      const stat = await lstatOrNull(dir).catch(() => null);
      if (!stat?.isDirectory()) {
        usable = false;
        break;
      }
    }
    if (!usable) continue;
    try {
      const handle = await fs.open(paths.json, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
      try {
        const row = JSON.parse(await handle.readFile('utf8')) as unknown;
        if (typeof row === 'object' && row !== null && !Array.isArray(row) && typeof (row as ManifestRow).job_id === 'string') return row as ManifestRow;
      } finally {
        await handle.close();
      }
    } catch {
      // Not written (an earlier run without --results-dir), replaced by a link, or not ours: try the next copy.
    }
  }
  return undefined;
}

async function lstatOrNull(file: string): Promise<import('node:fs').Stats | null> {
  try {
    return await fs.lstat(file);
  } catch (error) {
    if (code(error) === 'ENOENT') return null;
    throw pathProblem(error, file);
  }
}

function pathProblem(error: unknown, file: string): unknown {
  const c = code(error);
  return c !== undefined && PATH_PROBLEMS.has(c) ? new Refused(`${escapeForDisplay(file)}: ${c === 'ENAMETOOLONG' ? 'name too long' : c}`) : error;
}

function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}
