/**
 * The walk itself: folders depth-first in listing order (each streamed with `opendir`, synchronously while the
 * storage is fast), the files a glob matches, single files, and ZIP archives entry by entry, with --include and
 * --exclude applied on the way (README "Filters"): --exclude leaves out files, folders, archives and ZIP entries it
 * matches (an entry also when one of its folders inside the archive matches); --include keeps only the documents
 * (files and ZIP entries) it matches, or that are inside an archive it matches, and never leaves out an archive
 * before its entries are looked at. What is met and what the filters leave out is counted (found.ts).
 */
import fsSync, { type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { DocumentError, ErrorCodes } from '../errors.js';
import { escapeForDisplay } from '../output/display.js';
import { formatBytes } from '../output/format.js';
import { codeForFsError, direntKind, fsErrorText, skipped } from './errors.js';
import { HEAD_BYTES, readHead, readStable, type FileStat, type Probe } from './probe.js';
import { ProbeQueue } from './probe-queue.js';
import { globBase, realKey, selects } from './shard-select.js';
import { resolveLink } from './symlinks.js';
import type { InputItem, WalkOptions } from './types.js';
import { joinSource } from './sources.js';
import { isZip, readZip } from './zip.js';
import { makeFilters, type Filters } from './filters.js';
import { FoundTally, globWarning } from './found.js';

export type { WalkOptions } from './types.js';

/** Directory entries read per getdents call. */
export const DIR_BUFFER = 256;

export class Walker {
  private readonly filters: Filters;
  /** (dev, ino) of directories entered, so symlink loops end. */
  private readonly visitedDirs = new Set<string>();
  /** Listed files being probed: inline, in probe threads, or overlapped on slow storage (probe-queue.ts). */
  private readonly queue: ProbeQueue;
  /** What was met and what the filters left out, for the warnings of a walk that yields nothing. */
  readonly found = new FoundTally();

  constructor(private readonly options: WalkOptions) {
    this.filters = makeFilters(options.include, options.exclude);
    this.queue = new ProbeQueue({ overlap: options.overlapProbes, threads: options.probeThreads, threadsAfter: options.probeThreadsAfter });
  }

  private get slowStorage(): boolean {
    return this.queue.slowStorage;
  }

  /** Ends the probe threads, if any were started. */
  close(): Promise<void> {
    return this.queue.close();
  }

  /** Yields the items of every file listed so far, in listing order. */
  private async *drain(): AsyncGenerator<InputItem[]> {
    for (;;) {
      const batch = await this.queue.next();
      if (batch === null) return;
      yield* this.itemsOf(batch);
    }
  }

  /** A batch's items in as few arrays as its ZIP archives allow: a value through an async generator costs promises. */
  private async *itemsOf(probes: Probe[]): AsyncGenerator<InputItem[]> {
    let items: InputItem[] = [];
    for (const p of probes) {
      if (p.head && isZip(p.head)) {
        if (items.length > 0) yield items;
        items = [];
        yield* this.walkZip(p.source, p.rel);
        continue;
      }
      const item = this.probedItem(p);
      if (item) items.push(item);
    }
    if (items.length > 0) yield items;
  }

  abs(p: string): string {
    return path.resolve(this.options.cwd, p);
  }

  warn(message: string): void {
    this.options.onWarning?.(message);
  }

  /** Whether this run takes the input with this shard key (always, without --shard). */
  takes(key: string): boolean {
    return selects(this.options.shard, key);
  }

  async *walkGlob(pattern: string): AsyncGenerator<InputItem[]> {
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
    const baseAbs = this.abs(globBase(pattern));
    for await (const entry of stream) {
      matched++;
      const source = String(entry);
      if (!this.takes(path.relative(baseAbs, this.abs(source)))) continue;
      yield* this.walkPath(source, source);
    }
    if (matched === 0) this.warn(globWarning(pattern));
  }

  async *walkDir(base: string, rootReal: string): AsyncGenerator<InputItem[]> {
    // Depth-first with an explicit stack of relative directory paths (and their shard keys, which differ only below a
    // link to a folder); each directory is streamed with opendir.
    const stack: Array<{ rel: string; key: string }> = [{ rel: '', key: '' }];
    while (stack.length > 0) {
      const { rel: relDir, key: keyDir } = stack.pop()!;
      const dirSource = relDir ? joinSource(base, relDir) : base;
      const absDir = this.abs(dirSource);
      let dirStat;
      try {
        dirStat = this.slowStorage ? await fs.stat(absDir) : fsSync.statSync(absDir);
      } catch (err) {
        yield* this.drain();
        if (this.takes(keyDir)) yield [skipped(dirSource, codeForFsError(err), `${escapeForDisplay(dirSource)}: ${fsErrorText(err)}`)];
        continue;
      }
      const key = `${dirStat.dev}:${dirStat.ino}`;
      if (this.visitedDirs.has(key)) continue;
      this.visitedDirs.add(key);
      let dir;
      try {
        dir = this.slowStorage ? await fs.opendir(absDir, { bufferSize: DIR_BUFFER }) : fsSync.opendirSync(absDir, { bufferSize: DIR_BUFFER });
      } catch (err) {
        yield* this.drain();
        // Every shard warns (the folder's files would be spread over all of them); one records it.
        this.warn(`${escapeForDisplay(dirSource)}: cannot read directory (${fsErrorText(err)}); skipped`);
        if (this.takes(keyDir)) yield [skipped(dirSource, ErrorCodes.FILE_UNREADABLE, `${escapeForDisplay(dirSource)}: cannot read directory: ${fsErrorText(err)}`)];
        continue;
      }
      const subdirs: Array<{ rel: string; key: string }> = [];
      const absPrefix = absDir.endsWith(path.sep) ? absDir : absDir + path.sep;
      try {
        for (;;) {
          // Listing is synchronous too while the storage is fast: a getdents call per DIR_BUFFER entries.
          const dirent = this.slowStorage ? await dir.read() : dir.readSync();
          if (dirent === null) break;
          const entryKey = keyDir ? `${keyDir}/${dirent.name}` : dirent.name;
          // Another shard's file is dropped first: it costs this shard one hash and nothing else.
          if (dirent.isFile() && !this.takes(entryKey)) continue;
          const rel = relDir ? `${relDir}/${dirent.name}` : dirent.name;
          const source = joinSource(base, rel);
          if (this.filters.isExcluded(rel)) {
            if (dirent.isDirectory()) this.found.excludedFolders++;
            else this.excluded();
            continue;
          }
          if (dirent.isFile()) {
            this.queue.add({ source, rel, absPath: absPrefix + dirent.name });
            while (this.queue.due) yield* this.itemsOf((await this.queue.next())!);
            continue;
          }
          if (dirent.isDirectory()) {
            subdirs.push({ rel, key: entryKey });
            continue;
          }
          // Everything else keeps its place after the files listed before it.
          yield* this.drain();
          // A link is followed by every shard when it leads to a folder (a listing); otherwise it is an input.
          const mine = this.takes(entryKey);
          if (dirent.isSymbolicLink()) {
            const target = await resolveLink(this.abs(source), source, rootReal, mine ? this.options.onWarning : undefined);
            if (target.kind === 'skip') {
              if (mine) yield [target.item];
            } else if (target.stat.isDirectory()) {
              subdirs.push({ rel, key: realKey(rootReal, target.real) });
            } else if (mine) {
              yield* this.walkFile(source, rel, target.stat);
            }
          } else if (mine) {
            yield [skipped(source, ErrorCodes.NOT_REGULAR_FILE, `${escapeForDisplay(source)}: not a regular file (${direntKind(dirent)}); never opened`)];
          }
        }
      } catch (err) {
        yield* this.drain();
        this.warn(`${escapeForDisplay(dirSource)}: directory listing failed (${fsErrorText(err)})`);
      } finally {
        try {
          dir.closeSync();
        } catch {
          // Already closed or never readable: nothing is held.
        }
      }
      // Reverse so that the first subdirectory in listing order is walked first. Files listed in this folder may
      // still be on their way from the probe threads: the next folder is listed meanwhile.
      for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i]);
    }
    yield* this.drain();
  }

  /** The item for a probed file that is not a ZIP archive, or null when --include leaves it out. */
  private probedItem(p: Probe): InputItem | null {
    if (p.error instanceof DocumentError) return { kind: 'skipped', source: p.source, error: p.error.toFailure() };
    if (p.error !== undefined || !p.stat) return skipped(p.source, codeForFsError(p.error), `${escapeForDisplay(p.source)}: ${fsErrorText(p.error)}`);
    return this.fileItem(p.source, p.rel, p.absPath, p.stat, p.data, p.sha256);
  }

  /** A file found by a glob: it may be gone by now. */
  private async *walkPath(source: string, rel: string): AsyncGenerator<InputItem[]> {
    let st;
    try {
      st = await fs.stat(this.abs(source));
    } catch (err) {
      yield [skipped(source, codeForFsError(err), `${escapeForDisplay(source)}: ${fsErrorText(err)}`)];
      return;
    }
    yield* this.walkFile(source, rel, st);
  }

  async *walkFile(source: string, rel: string, st: Stats): AsyncGenerator<InputItem[]> {
    const absPath = this.abs(source);
    // Files named as arguments or matched by a glob are filtered like files found in folders.
    if (this.filters.isExcluded(rel)) {
      this.excluded();
      return;
    }
    if (st.isFile()) {
      let head: Buffer;
      try {
        head = await readHead(absPath, HEAD_BYTES);
      } catch (err) {
        yield [skipped(source, codeForFsError(err), `${escapeForDisplay(source)}: ${fsErrorText(err)}`)];
        return;
      }
      if (isZip(head)) {
        yield* this.walkZip(source, rel);
        return;
      }
    }
    const item = this.fileItem(source, rel, absPath, st);
    if (item) yield [item];
  }

  private excluded(): void {
    this.found.files++;
    this.found.excludedFiles++;
  }

  /**
   * An archive's entries, filtered by their paths inside it. An archive that --include matches by its own path is
   * taken whole; otherwise an entry is kept when its path, or the path of a nested archive it is in, matches.
   */
  private async *walkZip(source: string, rel: string): AsyncGenerator<InputItem[]> {
    const { filters, found } = this;
    const whole = !filters.includes || filters.isIncluded(rel);
    const exclude = (name: string): boolean => {
      if (!filters.isEntryExcluded(name)) return false;
      this.excluded();
      return true;
    };
    for await (const item of readZip(source, { path: this.abs(source) }, this.options.zipLimits, exclude)) {
      found.files++;
      if (item.kind === 'document' && !whole && !item.source.slice(source.length + 2).split('!/').some((name) => filters.isIncluded(name))) {
        found.notIncluded++;
        continue;
      }
      yield [item];
    }
  }

  /** A file that is not a ZIP archive: a document to read, a skipped item, or null when --include leaves it out. */
  private fileItem(source: string, rel: string, absPath: string, st: FileStat, probedData?: Buffer, sha256?: string): InputItem | null {
    this.found.files++;
    if (!st.isFile()) return skipped(source, ErrorCodes.NOT_REGULAR_FILE, `${escapeForDisplay(source)}: not a regular file; never opened`);
    if (!this.filters.isIncluded(rel)) {
      this.found.notIncluded++;
      return null;
    }
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
    return sha256 === undefined ? { kind: 'document', source, size: probedData ? probedData.length : st.size, read } : { kind: 'document', source, size: probedData!.length, read, sha256 };
  }
}
