/**
 * Reading a listed file: the probe made while its folder is listed (stat and first KiB, or the whole file when it is
 * small), in one of two modes, and the later whole read of a larger file. On fast storage a probe is a handful of
 * synchronous calls made inline; on slow storage probes are asynchronous and PROBE_AHEAD of them overlap.
 */
import fsSync, { constants as fsConstants, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import { DocumentError, ErrorCodes } from '../errors.js';
import { escapeForDisplay } from '../output/display.js';
import { changedError, codeForFsError, fsErrorText } from './errors.js';

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
export const PROBE_WINDOW = 32;

/** On slow storage, files of one folder are probed this many at a time, in listing order. */
export const PROBE_AHEAD = 32;

/** What the walk needs of a file's stat: whether it is a regular file, and its size. */
export type FileStat = Pick<Stats, 'isFile' | 'size'>;

/** What a probe learned about a listed file: never thrown, kept for the file's turn in listing order. */
export interface Probe {
  source: string;
  rel: string;
  absPath: string;
  stat?: FileStat;
  head?: Buffer;
  /** The whole content, read and checked for change, when the file is at most READ_WHOLE_BYTES. */
  data?: Buffer;
  /** The SHA-256 (hex) of `data`, when a probe thread hashed it as it read it (probe-pool.ts). */
  sha256?: string;
  error?: unknown;
}

/** Open flags for every read: O_NONBLOCK so that a FIFO swapped in after the listing cannot hang the walk. */
const READ_FLAGS = fsConstants.O_RDONLY | fsConstants.O_NONBLOCK;

/** A stat as far as the walk needs it: whether the file is regular, and its size. */
export function fileStat(size: number, regular: boolean): FileStat {
  return { size, isFile: () => regular };
}

/** Where a probe reads to: room for `bytes` more bytes, as a buffer and the offset in it to read to. */
export type ProbeRoom = (bytes: number) => { buffer: Uint8Array; at: number };

/** What a probe found; the bytes it read (`length` of them) are where its room said. */
export type ReadProbe =
  | { kind: 'failed'; error: unknown }
  | { kind: 'changed' }
  | { kind: 'not-file'; size: number }
  | { kind: 'head' | 'whole'; size: number; length: number };

/**
 * Opens, stats and reads a listed file: whole when it is at most READ_WHOLE_BYTES, and then checked for change (size
 * and mtime before and after, one retry), else its first HEAD_BYTES. The bytes go where `room` says, so that a probe
 * thread reads a batch's files into one buffer.
 */
export function readProbe(absPath: string, room: ProbeRoom): ReadProbe {
  let fd: number;
  try {
    fd = fsSync.openSync(absPath, READ_FLAGS);
  } catch (error) {
    return { kind: 'failed', error };
  }
  try {
    for (let attempt = 0; ; attempt++) {
      const stat = fsSync.fstatSync(fd);
      if (!stat.isFile()) return { kind: 'not-file', size: stat.size };
      const whole = stat.size <= READ_WHOLE_BYTES;
      // One byte more than the stat size, so a file that grew since shows it.
      const want = whole ? stat.size + 1 : Math.min(HEAD_BYTES, stat.size);
      const { buffer, at } = room(want);
      let filled = 0;
      for (;;) {
        const n = fsSync.readSync(fd, buffer, at + filled, want - filled, filled);
        filled += n;
        if (n === 0 || filled === want || filled === stat.size) break;
      }
      if (!whole) return { kind: 'head', size: stat.size, length: filled };
      if (unchanged(stat, fsSync.fstatSync(fd), filled)) return { kind: 'whole', size: stat.size, length: filled };
      if (attempt === 1) return { kind: 'changed' };
    }
  } catch (error) {
    return { kind: 'failed', error };
  } finally {
    fsSync.closeSync(fd);
  }
}

export function probeFileSync(source: string, rel: string, absPath: string): Probe {
  let buffer = Buffer.alloc(0);
  const probe = readProbe(absPath, (bytes) => ({ buffer: (buffer = Buffer.allocUnsafe(bytes)), at: 0 }));
  switch (probe.kind) {
    case 'failed':
      return { source, rel, absPath, error: probe.error };
    case 'changed':
      return { source, rel, absPath, error: changedError(source) };
    case 'not-file':
      return { source, rel, absPath, stat: fileStat(probe.size, false) };
  }
  const stat = fileStat(probe.size, true);
  const bytes = buffer.subarray(0, probe.length);
  return probe.kind === 'head' ? { source, rel, absPath, stat, head: bytes } : { source, rel, absPath, stat, head: bytes.subarray(0, HEAD_BYTES), data: bytes };
}

/** Stat and first KiB of a listed file, for storage where waiting dominates; the content is read in its turn. */
export async function probeFile(source: string, rel: string, absPath: string): Promise<Probe> {
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

export async function readHead(absPath: string, bytes: number): Promise<Buffer> {
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
export async function readStable(absPath: string, source: string): Promise<Buffer> {
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
