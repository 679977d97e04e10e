import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import type { Entry, ZipFile } from 'yauzl';
import { ErrorCodes, type ErrorCategory, type ErrorCode } from '../errors.js';
import { formatBytes } from '../output/format.js';
import { RATIO_MIN_SIZE, type ZipLimits } from './zip-limits.js';
import { escapeForDisplay } from '../output/display.js';

const FLAG_ENCRYPTED = 0x1;
const METHOD_STORED = 0;
const METHOD_DEFLATED = 8;

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const FILE_TYPE_NAMES: Record<number, string> = {
  0o120000: 'symbolic link',
  0o020000: 'character device',
  0o060000: 'block device',
  0o010000: 'FIFO',
  0o140000: 'socket',
};

/** Why an entry is refused; the caller prefixes the entry's source. */
export interface Refusal {
  code: ErrorCode;
  reason: string;
  category: ErrorCategory;
}

/** Declared uncompressed bytes accepted so far under one top-level archive, nested archives included. */
export interface SharedBudget {
  used: number;
  exhausted: boolean;
}

/** Per-archive bookkeeping for the overlap check. */
export interface ArchiveTally {
  fileSize: number;
  compressedSum: number;
}

const unsafe = (reason: string, category: ErrorCategory = 'input'): Refusal => ({ code: ErrorCodes.ZIP_UNSAFE, reason, category });
const invalid = (reason: string): Refusal => ({ code: ErrorCodes.ZIP_INVALID, reason, category: 'input' });

/** Unix file type from the external attributes; 0 when the archiver stored none (DOS/Windows archives). */
function unixFileType(entry: Entry): number {
  return (entry.externalFileAttributes >>> 16) & S_IFMT;
}

export function isDirectoryEntry(entry: Entry, name: string): boolean {
  return name.endsWith('/') || name.endsWith('\\') || unixFileType(entry) === S_IFDIR;
}

/**
 * Everything that can be decided from the central directory alone, in the order a user would want to hear it.
 * Only an entry that passes is charged to the shared budget.
 */
export function refuseBeforeInflating(entry: Entry, limits: ZipLimits, tally: ArchiveTally, budget: SharedBudget): Refusal | null {
  const type = unixFileType(entry);
  if (type !== 0 && type !== S_IFREG) {
    return unsafe(`not a regular file (${FILE_TYPE_NAMES[type] ?? `mode 0o${type.toString(8)}`}); never opened`);
  }
  if (entry.generalPurposeBitFlag & FLAG_ENCRYPTED) return unsafe('encrypted entry; not decrypted');
  if (entry.compressionMethod !== METHOD_STORED && entry.compressionMethod !== METHOD_DEFLATED) {
    return unsafe(`unsupported compression method ${entry.compressionMethod}`);
  }
  const declared = entry.uncompressedSize;
  if (declared > limits.maxEntrySize) {
    return {
      code: ErrorCodes.FILE_TOO_LARGE,
      reason: `declared size ${formatBytes(declared)} (${declared} bytes) is over the ${formatBytes(limits.maxEntrySize)} limit (raise it with --max-file-size)`,
      category: 'limit',
    };
  }
  if (declared >= RATIO_MIN_SIZE && declared > limits.maxRatio * entry.compressedSize) {
    const ratio = entry.compressedSize === 0 ? 'unbounded' : `${Math.round(declared / entry.compressedSize)}:1`;
    return unsafe(`compression ratio ${ratio} over the bound of ${limits.maxRatio}:1; not inflated`, 'limit');
  }
  if (tally.compressedSum > tally.fileSize) {
    return unsafe(
      `compressed sizes add up to more than the archive's ${tally.fileSize} bytes (overlapping entries); not inflated`,
    );
  }
  if (budget.exhausted || budget.used + declared > limits.maxTotalSize) {
    budget.exhausted = true;
    return unsafe(`total uncompressed size of the archive is over the ${formatBytes(limits.maxTotalSize)} budget; not inflated`, 'limit');
  }
  budget.used += declared;
  return null;
}

class EntryOverflow extends Error {}

function openRawStream(zipfile: ZipFile, entry: Entry): Promise<Readable> {
  return new Promise((resolve, reject) => {
    try {
      // Raw bytes: inflating here rather than in yauzl lets a failed pipeline destroy the inflater too.
      zipfile.openReadStream(entry, { decodeFileData: false }, (err, stream) => (err ? reject(err) : resolve(stream)));
    } catch (err) {
      reject(err);
    }
  });
}

/**
 * Inflates one entry into memory, never holding more than `cap` bytes (the stream is destroyed as soon as the output
 * passes it), then checks the size and CRC-32 against what the central directory declares.
 */
export async function inflateEntry(zipfile: ZipFile, entry: Entry, cap: number): Promise<Buffer | Refusal> {
  const declared = entry.uncompressedSize;
  const limit = Math.min(cap, declared);
  const chunks: Buffer[] = [];
  let size = 0;
  let crc = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > limit) return done(new EntryOverflow());
      crc = zlib.crc32(chunk, crc);
      chunks.push(chunk);
      done();
    },
  });
  // Some archivers write an empty deflated file as no bytes at all rather than an empty deflate stream.
  if (entry.compressedSize > 0) {
    let raw: Readable;
    try {
      raw = await openRawStream(zipfile, entry);
    } catch (err) {
      return invalid(`cannot be read: ${errorText(err)}`);
    }
    const refusal = await drain(raw, entry, sink, limit);
    if (refusal) return refusal;
  }
  if (size < declared) return invalid(`inflates to ${size} bytes, fewer than the ${declared} it declares`);
  if (crc !== entry.crc32) return invalid(`CRC-32 mismatch (declared ${hex32(entry.crc32)}, content ${hex32(crc)})`);
  return Buffer.concat(chunks, size);
}

async function drain(raw: Readable, entry: Entry, sink: Writable, limit: number): Promise<Refusal | null> {
  try {
    if (entry.compressionMethod === METHOD_DEFLATED) await pipeline(raw, zlib.createInflateRaw(), sink);
    else await pipeline(raw, sink);
    return null;
  } catch (err) {
    if (err instanceof EntryOverflow) {
      return unsafe(`inflates beyond its declared size of ${entry.uncompressedSize} bytes; stopped at ${limit} bytes`);
    }
    return invalid(`cannot be inflated: ${errorText(err)}`);
  }
}

function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/** A library's error message, made safe to print. */
export function errorText(err: unknown): string {
  return escapeForDisplay(err instanceof Error ? err.message : String(err));
}
