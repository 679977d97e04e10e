/**
 * Turns the user's arguments into a stream of inputs, in walk order, without ever holding the list of files:
 * directories are read with `opendir` as they are walked, globs are streamed, ZIP archives are expanded entry by
 * entry. Every problem with one input becomes a `skipped` item; the walk itself only throws for bugs.
 */
import fsSync, { constants as fsConstants, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import picomatch from 'picomatch';
import { DocumentError, ErrorCodes, type DocumentFailure } from '../errors.js';
import { escapeForDisplay } from '../output/display.js';
import { isZip, readZip, type ZipLimits } from './zip.js';
import type { InputItem } from './types.js';
import { formatBytes } from '../output/format.js';

/** Bytes read from each file to decide what it is (ZIP or document); PDFs may have junk before `%PDF-`. */
export const HEAD_BYTES = 1024;

/**
 * Files up to this size are read whole when they are listed: one open serves sniffing, hashing and processing.
 * Larger files are read again, lazily, when their turn comes.
 */
export const READ_WHOLE_BYTES = 256 * 1024;

/**
 * While the median of recent probes (open, stat, read, stat, close) is under this, files are probed inline with
 * synchronous calls, each a fraction of a thread-pool round trip. Slower storage (a network or FUSE mount, a cold
 * disk) switches the walk to PROBE_AHEAD probes in flight at once, so that waiting on the storage overlaps. The
 * median, because a busy CPU makes a few probes slow (the process is scheduled out), not most of them.
 */
export const SLOW_PROBE_MS = 2;
/** Probes in each median. */
const PROBE_WINDOW = 32;

/** On slow storage, files of one folder are probed this many at a time, in listing order. */
export const PROBE_AHEAD = 32;

/** Directory entries read per getdents call. */
const DIR_BUFFER = 256;

/** What a probe learned about a listed file: never thrown, kept for the file's turn in listing order. */
interface Probe {
  source: string;
  rel: string;
  absPath: string;
  stat?: Stats;
  head?: Buffer;
  /** The whole content, read and checked for change, when the file is at most READ_WHOLE_BYTES. */
  data?: Buffer;
  error?: unknown;
}

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

interface Filters {
  isExcluded(rel: string): boolean;
  isIncluded(rel: string): boolean;
}

export function hasGlobChars(arg: string): boolean {
  return /[*?[\]{}]/.test(arg) || /(^|[^\\])[!@+]\(/.test(arg);
}

function makeFilters(include: string[], exclude: string[]): Filters {
  // Patterns without a slash match the base name anywhere, as in rsync and rclone filters.
  const opts = { dot: true, basename: true };
  const inc = include.length > 0 ? picomatch(include, opts) : null;
  const exc = exclude.length > 0 ? picomatch(exclude, opts) : null;
  return {
    isExcluded: (rel) => (exc ? exc(rel) : false),
    isIncluded: (rel) => (inc ? inc(rel) : true),
  };
}

function skipped(source: string, code: string, message: string, category: DocumentFailure['category'] = 'input'): InputItem {
  return { kind: 'skipped', source, error: { code, message, category } };
}

/** Joins the way the user wrote it: `docs` + `a/b.pdf` → `docs/a/b.pdf`, `./docs/` + `x` → `./docs/x`. */
function joinSource(base: string, rel: string): string {
  if (base === '.' || base === './') return rel;
  return base.endsWith('/') || base.endsWith(path.sep) ? base + rel : `${base}/${rel}`;
}

export async function* walkInputs(args: string[], options: WalkOptions): AsyncGenerator<InputItem> {
  const walker = new Walker(options);
  for (const arg of args) {
    if (arg === '-') {
      if (!options.stdin) continue;
      const lines = readline.createInterface({ input: options.stdin, crlfDelay: Infinity });
      for await (const line of lines) {
        const p = line.trim() === '' ? '' : line.replace(/\r$/, '');
        if (p) yield* walker.walkArg(p);
      }
      continue;
    }
    yield* walker.walkArg(arg);
  }
}

class Walker {
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

  private abs(p: string): string {
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

  async *walkArg(arg: string): AsyncGenerator<InputItem> {
    let st;
    try {
      st = await fs.stat(this.abs(arg));
    } catch (err) {
      if (hasGlobChars(arg)) {
        yield* this.walkGlob(arg);
        return;
      }
      yield skipped(arg, codeForFsError(err), `${escapeForDisplay(arg)}: ${fsErrorText(err)}`);
      return;
    }
    if (st.isDirectory()) {
      const root = await fs.realpath(this.abs(arg));
      yield* this.walkDir(arg, root);
    } else {
      yield* this.walkFile(arg, path.basename(arg), st);
    }
  }

  private async *walkGlob(pattern: string): AsyncGenerator<InputItem> {
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

  private async *walkDir(base: string, rootReal: string): AsyncGenerator<InputItem> {
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
            const target = await this.resolveLink(source, rootReal);
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

  private async resolveLink(
    source: string,
    rootReal: string,
  ): Promise<{ kind: 'ok'; stat: Stats } | { kind: 'skip'; item: InputItem }> {
    let real: string;
    try {
      real = await fs.realpath(this.abs(source));
    } catch (err) {
      this.warn(`${escapeForDisplay(source)}: dangling symbolic link; skipped`);
      return { kind: 'skip', item: skipped(source, ErrorCodes.SYMLINK_DANGLING, `${escapeForDisplay(source)}: symbolic link to nothing (${fsErrorText(err)})`) };
    }
    if (real !== rootReal && !real.startsWith(rootReal + path.sep)) {
      this.warn(`${escapeForDisplay(source)}: symbolic link leads outside ${escapeForDisplay(rootReal)}; not followed`);
      return {
        kind: 'skip',
        item: skipped(source, ErrorCodes.SYMLINK_OUTSIDE_ROOT, `${escapeForDisplay(source)}: symbolic link leads outside the input folder; not followed (pass its target as an argument to include it)`),
      };
    }
    return { kind: 'ok', stat: await fs.stat(real) };
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

  private async *walkFile(source: string, rel: string, st: Stats): AsyncGenerator<InputItem> {
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

/** Open flags for every read: O_NONBLOCK so that a FIFO swapped in after the listing cannot hang the walk. */
const READ_FLAGS = fsConstants.O_RDONLY | fsConstants.O_NONBLOCK;

function probeFileSync(source: string, rel: string, absPath: string): Probe {
  let fd: number;
  try {
    fd = fsSync.openSync(absPath, READ_FLAGS);
  } catch (error) {
    return { source, rel, absPath, error };
  }
  try {
    for (let attempt = 0; ; attempt++) {
      const stat = fsSync.fstatSync(fd);
      if (!stat.isFile()) return { source, rel, absPath, stat };
      const whole = stat.size <= READ_WHOLE_BYTES;
      // One byte more than the stat size, so a file that grew since shows it.
      const buf = Buffer.allocUnsafe(whole ? stat.size + 1 : Math.min(HEAD_BYTES, stat.size));
      let filled = 0;
      for (;;) {
        const n = fsSync.readSync(fd, buf, filled, buf.length - filled, filled);
        filled += n;
        if (n === 0 || filled === buf.length || filled === stat.size) break;
      }
      const bytes = buf.subarray(0, filled);
      if (!whole) return { source, rel, absPath, stat, head: bytes };
      if (unchanged(stat, fsSync.fstatSync(fd), filled)) return { source, rel, absPath, stat, head: bytes.subarray(0, HEAD_BYTES), data: bytes };
      if (attempt === 1) return { source, rel, absPath, error: changedError(source) };
    }
  } catch (error) {
    return { source, rel, absPath, error };
  } finally {
    fsSync.closeSync(fd);
  }
}

/** Stat and first KiB of a listed file, for storage where waiting dominates; the content is read in its turn. */
async function probeFile(source: string, rel: string, absPath: string): Promise<Probe> {
  try {
    const stat = await fs.stat(absPath);
    if (!stat.isFile()) return { source, rel, absPath, stat };
    return { source, rel, absPath, stat, head: await readHead(absPath, HEAD_BYTES) };
  } catch (error) {
    return { source, rel, absPath, error };
  }
}

/** Size and mtime the same before and after reading, and every byte read. */
function unchanged(before: Stats, after: Stats, bytesRead: number): boolean {
  return after.size === before.size && after.mtimeMs === before.mtimeMs && bytesRead === after.size;
}

function changedError(source: string): DocumentError {
  return new DocumentError(ErrorCodes.FILE_CHANGED, `${escapeForDisplay(source)}: changed while being read (twice); not processed`, 'input');
}

async function readHead(absPath: string, bytes: number): Promise<Buffer> {
  const fh = await fs.open(absPath, READ_FLAGS);
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * Reads a whole file and makes sure it did not change while being read (size and mtime before and after);
 * one retry, then the document fails with FILE_CHANGED rather than being recorded for bytes that no longer exist.
 */
async function readStable(absPath: string, source: string): Promise<Buffer> {
  for (let attempt = 0; attempt < 2; attempt++) {
    let fh;
    try {
      fh = await fs.open(absPath, READ_FLAGS);
    } catch (err) {
      throw new DocumentError(codeForFsError(err), `${escapeForDisplay(source)}: ${fsErrorText(err)}`, 'input');
    }
    try {
      const before = await fh.stat();
      if (!before.isFile()) throw new DocumentError(ErrorCodes.NOT_REGULAR_FILE, `${escapeForDisplay(source)}: no longer a regular file`, 'input');
      const data = await fh.readFile();
      if (unchanged(before, await fh.stat(), data.length)) {
        // A change between the walk and this read is fine: the content read now is what gets hashed.
        return data;
      }
    } finally {
      await fh.close();
    }
  }
  throw changedError(source);
}

function codeForFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return ErrorCodes.FILE_VANISHED;
  return ErrorCodes.FILE_UNREADABLE;
}

function fsErrorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'EISDIR':
      return 'is a directory';
    default:
      return e?.code ? `${e.code}: ${e.message}` : String(err);
  }
}

function direntKind(d: import('node:fs').Dirent): string {
  if (d.isFIFO()) return 'named pipe';
  if (d.isSocket()) return 'socket';
  if (d.isCharacterDevice()) return 'character device';
  if (d.isBlockDevice()) return 'block device';
  return 'special file';
}
