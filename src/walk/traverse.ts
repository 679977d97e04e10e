/**
 * The walk itself: folders depth-first in listing order (each streamed with `opendir`, synchronously while the
 * storage is fast), the files a glob matches, single files, and ZIP archives entry by entry, with --include and
 * --exclude applied on the way.
 */
import fsSync, { type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import picomatch from 'picomatch';
import { DocumentError, ErrorCodes } from '../errors.js';
import { escapeForDisplay } from '../output/display.js';
import { formatBytes } from '../output/format.js';
import { codeForFsError, direntKind, fsErrorText, skipped } from './errors.js';
import { HEAD_BYTES, PROBE_AHEAD, PROBE_WINDOW, SLOW_PROBE_MS, probeFile, probeFileSync, readHead, readStable, type Probe } from './probe.js';
import { resolveLink } from './symlinks.js';
import type { InputItem } from './types.js';
import { isZip, readZip, type ZipLimits } from './zip.js';

/** Directory entries read per getdents call. */
export const DIR_BUFFER = 256;

export interface WalkOptions {
  cwd: string;
  include: string[];
  exclude: string[];
  maxFileSize: number;
  zipLimits: ZipLimits;
  stdin?: Readable;
  onWarning?: (message: string) => void;
  /** Probe files PROBE_AHEAD at a time from the start, as on slow storage. */
  overlapProbes?: boolean;
}

export interface Filters {
  isExcluded(rel: string): boolean;
  isIncluded(rel: string): boolean;
}

export function makeFilters(include: string[], exclude: string[]): Filters {
  // Patterns without a slash match the base name anywhere, as in rsync and rclone filters.
  const opts = { dot: true, basename: true };
  const inc = include.length > 0 ? picomatch(include, opts) : null;
  const exc = exclude.length > 0 ? picomatch(exclude, opts) : null;
  return {
    isExcluded: (rel) => (exc ? exc(rel) : false),
    isIncluded: (rel) => (inc ? inc(rel) : true),
  };
}

/** Joins the way the user wrote it: `docs` + `a/b.pdf` → `docs/a/b.pdf`, `./docs/` + `x` → `./docs/x`. */
export function joinSource(base: string, rel: string): string {
  if (base === '.' || base === './') return rel;
  return base.endsWith('/') || base.endsWith(path.sep) ? base + rel : `${base}/${rel}`;
}

export class Walker {
  private readonly filters: Filters;
  /** (dev, ino) of directories entered, so symlink loops end. */
  private readonly visitedDirs = new Set<string>();
  /** The latest inline probe times; once their median is over SLOW_PROBE_MS, probes overlap for the rest of the walk. */
  private readonly probeMs = new Float64Array(PROBE_WINDOW);
  private probes = 0;
  private slowStorage: boolean;

  constructor(private readonly options: WalkOptions) {
    this.filters = makeFilters(options.include, options.exclude);
    this.slowStorage = options.overlapProbes ?? false;
  }

  abs(p: string): string {
    return path.resolve(this.options.cwd, p);
  }

  private timeProbe(ms: number): void {
    this.probeMs[this.probes++ % PROBE_WINDOW] = ms;
    if (this.probes % PROBE_WINDOW !== 0) return;
    const sorted = this.probeMs.slice().sort();
    if (sorted[PROBE_WINDOW / 2] > SLOW_PROBE_MS) this.slowStorage = true;
  }

  private warn(message: string): void {
    this.options.onWarning?.(message);
  }

  async *walkGlob(pattern: string): AsyncGenerator<InputItem> {
    let matched = 0;
    // Loaded on first use: with its matcher it is a sizeable part of start-up, and most runs name folders.
    const { default: fg } = await import('fast-glob');
    const stream = fg.stream(pattern, {
      cwd: this.options.cwd,
      onlyFiles: true,
      dot: true,
      followSymbolicLinks: false,
      suppressErrors: true,
    });
    for await (const entry of stream) {
      matched++;
      const source = String(entry);
      yield* this.walkPath(source, source);
    }
    if (matched === 0) this.warn(`${escapeForDisplay(pattern)}: no file matches this pattern`);
  }

  async *walkDir(base: string, rootReal: string): AsyncGenerator<InputItem> {
    // Depth-first with an explicit stack of relative directory paths; each directory is streamed with opendir.
    const stack: string[] = [''];
    while (stack.length > 0) {
      const relDir = stack.pop()!;
      const dirSource = relDir ? joinSource(base, relDir) : base;
      const absDir = this.abs(dirSource);
      let dirStat;
      try {
        dirStat = this.slowStorage ? await fs.stat(absDir) : fsSync.statSync(absDir);
      } catch (err) {
        yield skipped(dirSource, codeForFsError(err), `${escapeForDisplay(dirSource)}: ${fsErrorText(err)}`);
        continue;
      }
      const key = `${dirStat.dev}:${dirStat.ino}`;
      if (this.visitedDirs.has(key)) continue;
      this.visitedDirs.add(key);
      let dir;
      try {
        dir = this.slowStorage ? await fs.opendir(absDir, { bufferSize: DIR_BUFFER }) : fsSync.opendirSync(absDir, { bufferSize: DIR_BUFFER });
      } catch (err) {
        this.warn(`${escapeForDisplay(dirSource)}: cannot read directory (${fsErrorText(err)}); skipped`);
        yield skipped(dirSource, ErrorCodes.FILE_UNREADABLE, `${escapeForDisplay(dirSource)}: cannot read directory: ${fsErrorText(err)}`);
        continue;
      }
      const subdirs: string[] = [];
      let probes: Array<Promise<Probe>> = [];
      const drain = async function* (this: Walker): AsyncGenerator<InputItem> {
        const batch = probes;
        probes = [];
        for (const probe of batch) yield* this.fromProbe(await probe);
      };
      const absPrefix = absDir.endsWith(path.sep) ? absDir : absDir + path.sep;
      try {
        for (;;) {
          // Listing is synchronous too while the storage is fast: a getdents call per DIR_BUFFER entries.
          const dirent = this.slowStorage ? await dir.read() : dir.readSync();
          if (dirent === null) break;
          const rel = relDir ? `${relDir}/${dirent.name}` : dirent.name;
          const source = joinSource(base, rel);
          if (this.filters.isExcluded(rel)) continue;
          if (dirent.isFile()) {
            const absPath = absPrefix + dirent.name;
            if (this.slowStorage) {
              probes.push(probeFile(source, rel, absPath));
              if (probes.length >= PROBE_AHEAD) yield* drain.call(this);
              continue;
            }
            const started = performance.now();
            const probe = probeFileSync(source, rel, absPath);
            this.timeProbe(performance.now() - started);
            if (probe.head && isZip(probe.head)) {
              yield* this.walkZip(source);
              continue;
            }
            const item = this.probedItem(probe);
            if (item) yield item;
            continue;
          }
          // Everything else keeps its place after the files listed before it.
          yield* drain.call(this);
          if (dirent.isDirectory()) {
            subdirs.push(rel);
          } else if (dirent.isSymbolicLink()) {
            const target = await resolveLink(this.abs(source), source, rootReal, this.options.onWarning);
            if (target.kind === 'skip') {
              yield target.item;
            } else if (target.stat.isDirectory()) {
              subdirs.push(rel);
            } else {
              yield* this.walkFile(source, rel, target.stat);
            }
          } else {
            yield skipped(source, ErrorCodes.NOT_REGULAR_FILE, `${escapeForDisplay(source)}: not a regular file (${direntKind(dirent)}); never opened`);
          }
        }
        yield* drain.call(this);
      } catch (err) {
        this.warn(`${escapeForDisplay(dirSource)}: directory listing failed (${fsErrorText(err)})`);
      } finally {
        try {
          dir.closeSync();
        } catch {
          // Already closed or never readable: nothing is held.
        }
      }
      // Reverse so that the first subdirectory in listing order is walked first.
      for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]);
    }
  }

  private async *fromProbe(p: Probe): AsyncGenerator<InputItem> {
    if (p.head && isZip(p.head)) {
      yield* this.walkZip(p.source);
      return;
    }
    const item = this.probedItem(p);
    if (item) yield item;
  }

  /** The item for a probed file that is not a ZIP archive, or null when --include leaves it out. */
  private probedItem(p: Probe): InputItem | null {
    if (p.error instanceof DocumentError) return { kind: 'skipped', source: p.source, error: p.error.toFailure() };
    if (p.error !== undefined || !p.stat) return skipped(p.source, codeForFsError(p.error), `${escapeForDisplay(p.source)}: ${fsErrorText(p.error)}`);
    return this.fileItem(p.source, p.rel, p.absPath, p.stat, p.data);
  }

  /** A file found by a glob: it may be gone by now. */
  private async *walkPath(source: string, rel: string): AsyncGenerator<InputItem> {
    let st;
    try {
      st = await fs.stat(this.abs(source));
    } catch (err) {
      yield skipped(source, codeForFsError(err), `${escapeForDisplay(source)}: ${fsErrorText(err)}`);
      return;
    }
    yield* this.walkFile(source, rel, st);
  }

  async *walkFile(source: string, rel: string, st: Stats): AsyncGenerator<InputItem> {
    const absPath = this.abs(source);
    if (st.isFile()) {
      let head: Buffer;
      try {
        head = await readHead(absPath, HEAD_BYTES);
      } catch (err) {
        yield skipped(source, codeForFsError(err), `${escapeForDisplay(source)}: ${fsErrorText(err)}`);
        return;
      }
      if (isZip(head)) {
        yield* this.walkZip(source);
        return;
      }
    }
    const item = this.fileItem(source, rel, absPath, st);
    if (item) yield item;
  }

  private async *walkZip(source: string): AsyncGenerator<InputItem> {
    for await (const item of readZip(source, { path: this.abs(source) }, this.options.zipLimits)) {
      const inner = item.source.slice(item.source.lastIndexOf('!/') + 2);
      if (this.filters.isExcluded(inner)) continue;
      if (item.kind === 'document' && !this.filters.isIncluded(inner)) continue;
      yield item;
    }
  }

  /** A file that is not a ZIP archive: a document to read, a skipped item, or null when --include leaves it out. */
  private fileItem(source: string, rel: string, absPath: string, st: Stats, probedData?: Buffer): InputItem | null {
    if (!st.isFile()) return skipped(source, ErrorCodes.NOT_REGULAR_FILE, `${escapeForDisplay(source)}: not a regular file; never opened`);
    if (!this.filters.isIncluded(rel)) return null;
    if (st.size > this.options.maxFileSize) {
      return skipped(
        source,
        ErrorCodes.FILE_TOO_LARGE,
        `${escapeForDisplay(source)}: ${formatBytes(st.size)} is over the ${formatBytes(this.options.maxFileSize)} limit (raise it with --max-file-size)`,
        'limit',
      );
    }
    let data = probedData;
    const read = (): Promise<Buffer> => {
      // The bytes read while walking are handed over once, so the item does not keep them alive afterwards.
      const bytes = data;
      data = undefined;
      return bytes ? Promise.resolve(bytes) : readStable(absPath, source);
    };
    return { kind: 'document', source, size: probedData ? probedData.length : st.size, read };
  }
}
