/**
 * Counting ahead: how many inputs `walkInputs` will yield for the same arguments, found by listing folders (names and
 * entry types: no stat of a listed file, and no file opened but archives), so that progress has a total long before
 * the walk itself, which reads each file as processing reaches it, gets there. It runs beside the walk and holds no
 * more than the walk does: the folders still to list, and the folders entered.
 *
 * The count follows the walk's rules (--include, --exclude, symbolic links, globs) but does not read documents: an
 * archive is recognised by its name here (and its entries counted from its central directory, nothing inflated),
 * where the walk recognises it by its first bytes. A ZIP archive under another name, or one nested in an archive,
 * counts as one input here; the walk's own count is the exact one.
 */
import type { Dirent } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { resolveLink } from './symlinks.js';
import { DIR_BUFFER } from './traverse.js';
import { makeFilters, type Filters } from './filters.js';
import { joinSource } from './sources.js';
import { globBase, selects } from './shard-select.js';
import type { WalkOptions } from './types.js';
import { hasGlobChars } from './walk.js';
import { readHead } from './probe.js';
import { isZip } from './zip.js';
import { isDirectoryEntry } from './zip-entry.js';
import { decodeEntryName, findNameProblem } from './zip-names.js';

/** The count is reported at most this often while it grows, and once at the end. */
export const COUNT_REPORT_MS = 100;

/** Names of files that are ZIP archives under the hood; the walk expands every ZIP archive, whatever its name. */
const ARCHIVE_NAME = /\.(zip|cbz|docx|xlsx|pptx|odt|ods|odp|epub|jar)$/i;

export interface CountOptions extends Pick<WalkOptions, 'cwd' | 'include' | 'exclude' | 'zipLimits' | 'shard'> {
  /** Whether `-` reads paths from standard input (as in WalkOptions). */
  stdin?: unknown;
  signal: AbortSignal;
}

/**
 * The number of inputs the walk of `args` will yield, or null when it cannot be known ahead (paths read from
 * standard input, which can be read only once) or the count was stopped. `onCount` hears the count as it grows.
 */
export async function countInputs(args: string[], options: CountOptions, onCount: (inputs: number) => void): Promise<number | null> {
  if (options.stdin && args.includes('-')) return null;
  const counter = new Counter(options, onCount);
  for (const arg of args) {
    if (arg === '-') continue;
    if (options.signal.aborted) return null;
    await counter.countArg(arg);
  }
  return options.signal.aborted ? null : counter.total();
}

class Counter {
  private readonly filters: Filters;
  private readonly visitedDirs = new Set<string>();
  private n = 0;
  private reported = performance.now();

  constructor(
    private readonly options: CountOptions,
    private readonly onCount: (inputs: number) => void,
  ) {
    this.filters = makeFilters(options.include, options.exclude);
  }

  total(): number {
    this.onCount(this.n);
    return this.n;
  }

  private add(k: number): void {
    if (k === 0) return;
    this.n += k;
    const t = performance.now();
    if (t - this.reported < COUNT_REPORT_MS) return;
    this.reported = t;
    this.onCount(this.n);
  }

  private abs(p: string): string {
    return path.resolve(this.options.cwd, p);
  }

  /** As walkArg in walk.ts: a file, a folder, or (when no such path exists) a glob. */
  async countArg(arg: string): Promise<void> {
    let st;
    try {
      st = await fs.stat(this.abs(arg));
    } catch {
      if (hasGlobChars(arg)) await this.countGlob(arg);
      else this.add(1);
      return;
    }
    if (st.isDirectory()) await this.countDir(arg, await fs.realpath(this.abs(arg)));
    else if (selects(this.options.shard, path.basename(arg))) await this.countFile(arg, path.basename(arg), st.isFile());
  }

  private async countGlob(pattern: string): Promise<void> {
    const { default: fg } = await import('fast-glob');
    // The walk's own options (traverse.ts, walkGlob).
    const base = globBase(pattern);
    const stream = fg.stream(pattern, { cwd: this.options.cwd, onlyFiles: true, dot: true, followSymbolicLinks: false, suppressErrors: true });
    for await (const entry of stream) {
      if (this.options.signal.aborted) {
        (stream as unknown as { destroy(): void }).destroy();
        return;
      }
      const source = String(entry);
      // Under --shard, a glob's files are keyed by their paths below the folder part of the pattern, as in the walk.
      if (!selects(this.options.shard, path.posix.relative(base, source))) continue;
      await this.countFile(source, source, true);
    }
  }

  /** A file the walk would probe: an archive's entries, one input, or none when --include leaves it out. */
  private async countFile(source: string, rel: string, regular: boolean): Promise<void> {
    if (!regular) {
      this.add(1);
      return;
    }
    if (ARCHIVE_NAME.test(source)) {
      const entries = await this.countZip(this.abs(source));
      if (entries !== null) {
        this.add(entries);
        return;
      }
    }
    if (this.filters.isIncluded(rel)) this.add(1);
  }

  /** As traverse.ts walkDir: depth-first, each folder listed once, links followed inside the folder named. */
  private async countDir(base: string, rootReal: string): Promise<void> {
    const stack: string[] = [''];
    while (stack.length > 0) {
      if (this.options.signal.aborted) return;
      const relDir = stack.pop()!;
      const dirSource = relDir ? joinSource(base, relDir) : base;
      const absDir = this.abs(dirSource);
      let dir;
      try {
        const st = await fs.stat(absDir);
        const key = `${st.dev}:${st.ino}`;
        if (this.visitedDirs.has(key)) continue;
        this.visitedDirs.add(key);
        dir = await fs.opendir(absDir, { bufferSize: DIR_BUFFER });
      } catch {
        // The walk yields one skipped input for a folder it cannot read.
        this.add(1);
        continue;
      }
      const subdirs: string[] = [];
      try {
        for (;;) {
          const dirent: Dirent | null = await dir.read();
          if (dirent === null) break;
          if (this.options.signal.aborted) return;
          const rel = relDir ? `${relDir}/${dirent.name}` : dirent.name;
          if (this.filters.isExcluded(rel)) continue;
          // Under --shard, another shard's file is not counted (folders are listed by every shard).
          if (!dirent.isDirectory() && !selects(this.options.shard, rel)) continue;
          if (dirent.isFile()) {
            await this.countFile(joinSource(base, rel), rel, true);
          } else if (dirent.isDirectory()) {
            subdirs.push(rel);
          } else if (dirent.isSymbolicLink()) {
            const source = joinSource(base, rel);
            const target = await resolveLink(this.abs(source), source, rootReal, undefined).catch(() => null);
            if (target === null || target.kind === 'skip') this.add(1);
            else if (target.stat.isDirectory()) subdirs.push(rel);
            else await this.countFile(source, rel, target.stat.isFile());
          } else {
            this.add(1);
          }
        }
      } catch {
        // A listing that fails half-way: the walk warns and goes on with the next folder.
      } finally {
        await dir.close().catch(() => {});
      }
      for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]);
    }
  }

  /**
   * The inputs an archive becomes, from its central directory: one per file entry that --include and --exclude keep
   * (an entry whose name is unsafe counts too), or one for an archive over the entry limit; null when it is not a
   * readable ZIP archive, so that it counts as the one file it is.
   */
  private async countZip(absPath: string): Promise<number | null> {
    let zipfile: ZipFile;
    try {
      zipfile = await new Promise<ZipFile>((resolve, reject) =>
        yauzl.open(absPath, { lazyEntries: true, autoClose: true, decodeStrings: false, strictFileNames: false }, (err, z) => (err ? reject(err) : resolve(z))),
      );
    } catch (err) {
      // As the walk: one skipped input for an archive that cannot be read or is corrupt; a file that only has an
      // archive's name is an ordinary file.
      if (typeof (err as NodeJS.ErrnoException).code === 'string') return 1;
      return isZip(await readHead(absPath, 4).catch(() => Buffer.alloc(0))) ? 1 : null;
    }
    if (zipfile.entryCount > this.options.zipLimits.maxEntries) {
      zipfile.close();
      return 1;
    }
    let n = 0;
    await new Promise<void>((resolve) => {
      zipfile.on('entry', (entry: Entry) => {
        n += this.entryCount(entry);
        if (this.options.signal.aborted) {
          zipfile.close();
          resolve();
          return;
        }
        zipfile.readEntry();
      });
      zipfile.on('end', () => resolve());
      // A corrupt directory: the entries counted so far, as the walk yields them before its one skipped input.
      zipfile.on('error', () => {
        n++;
        resolve();
      });
      zipfile.readEntry();
    });
    return n;
  }

  private entryCount(entry: Entry): number {
    const decoded = decodeEntryName(entry.fileNameRaw, entry.generalPurposeBitFlag);
    // As the walk filters what readZip yields (traverse.ts, walkZip): --exclude on every item, --include on documents.
    if ((decoded.problem ?? findNameProblem(decoded.name)) !== null) return this.filters.isExcluded(decoded.name) ? 0 : 1;
    if (isDirectoryEntry(entry, decoded.name)) return 0;
    const inner = decoded.name.replaceAll('\\', '/');
    return this.filters.isExcluded(inner) || !this.filters.isIncluded(inner) ? 0 : 1;
  }
}
