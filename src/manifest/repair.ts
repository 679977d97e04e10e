/**
 * Repair: rewrites a manifest without its corrupt lines, which are appended to `<manifest>.corrupt` first, so that
 * later runs need no flag and no line is ever lost. Runs under the manifest's lock (no run may append meanwhile) and
 * replaces the file atomically: a crash leaves the old manifest or the repaired one, never a mix.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { ConfigError } from '../errors.js';
import { removeStaleTempFiles, writeFileAtomic } from './atomic.js';
import { assertManifestWritable } from './journal-errors.js';
import { acquireLock } from './lock.js';
import { openManifestForReading, parseManifestLine, READ_CHUNK_BYTES } from './read.js';

export const CORRUPT_SUFFIX = '.corrupt';

export interface RepairResult {
  manifest: string;
  /** Rows kept. */
  kept: number;
  /** Lines moved aside (a torn last line included). */
  moved: number;
  /** The 1-based numbers of the first of them. */
  movedLines: number[];
  /** Where the moved lines were appended; null when nothing was moved. */
  sideFile: string | null;
}

const NEWLINE = 0x0a;
/** Line numbers listed in the result; the count is always exact. */
const LISTED_LINES = 20;

interface Line {
  bytes: Buffer;
  number: number;
  /** A whole row; false for corrupt lines and a torn last line. */
  good: boolean;
}

/** Every non-blank line of the file with its verdict, read a chunk at a time. */
async function* lines(handle: FileHandle): AsyncGenerator<Line> {
  const { size } = await handle.stat();
  let pieces: Buffer[] = [];
  let number = 0;
  const judge = (bytes: Buffer): Line | null => {
    number += 1;
    let text = bytes.toString('utf8');
    if (number === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.trim() === '') return null;
    return { bytes, number, good: !('invalid' in parseManifestLine(text)) };
  };
  for (let position = 0; position < size; ) {
    const buffer = Buffer.allocUnsafe(Math.min(READ_CHUNK_BYTES, size - position));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) break;
    position += bytesRead;
    const chunk = buffer.subarray(0, bytesRead);
    let start = 0;
    for (let newline = chunk.indexOf(NEWLINE); newline !== -1; newline = chunk.indexOf(NEWLINE, start)) {
      pieces.push(chunk.subarray(start, newline));
      const line = judge(Buffer.concat(pieces));
      pieces = [];
      if (line) yield line;
      start = newline + 1;
    }
    if (start < chunk.length) pieces.push(Buffer.from(chunk.subarray(start)));
  }
  if (pieces.length > 0) {
    const line = judge(Buffer.concat(pieces));
    if (line) yield line;
  }
}

/**
 * Moves the corrupt lines of `manifest` to `<manifest>.corrupt` and rewrites it without them. Throws ConfigError when
 * the manifest cannot be read or written or another run holds its lock. A manifest without corrupt lines is left as
 * it is (not even rewritten).
 */
export async function repairManifest(manifest: string, onWarning?: (message: string) => void): Promise<RepairResult> {
  await (await openManifestForReading(manifest)).close();
  await assertManifestWritable(manifest);
  const lock = await acquireLock(manifest, onWarning);
  try {
    const movedLines: number[] = [];
    let moved = 0;
    let kept = 0;
    const scan = await openManifestForReading(manifest);
    try {
      for await (const line of lines(scan)) {
        if (line.good) kept += 1;
        else if (++moved <= LISTED_LINES) movedLines.push(line.number);
      }
    } finally {
      await scan.close();
    }
    if (moved === 0) return { manifest, kept, moved, movedLines, sideFile: null };
    if (kept === 0) {
      throw new ConfigError(`${manifest} holds no manifest row (${moved} lines, none of them a row); it does not look like an ocrq manifest`, 'check the path; nothing was changed');
    }
    kept = 0;

    const sideFile = manifest + CORRUPT_SUFFIX;
    const source = await openManifestForReading(manifest);
    const side = await open(sideFile, 'a', 0o644);
    try {
      const good = async function* (): AsyncGenerator<Buffer> {
        for await (const line of lines(source)) {
          if (line.good) {
            kept += 1;
            yield Buffer.concat([line.bytes, Buffer.from('\n')]);
          } else await side.write(Buffer.concat([line.bytes, Buffer.from('\n')]));
        }
        // The corrupt lines are on disk before the manifest that no longer has them replaces the old one.
        await side.sync();
      };
      await removeStaleTempFiles(dirname(manifest), basename(manifest));
      await writeFileAtomic(manifest, good());
    } finally {
      await Promise.all([source.close(), side.close()]);
    }
    return { manifest, kept, moved, movedLines, sideFile };
  } finally {
    lock.release();
  }
}
