/**
 * Streaming manifest reader. Lines are split on raw bytes (so a multi-byte character is never cut) and decoded
 * one at a time: memory holds one line, never the whole file. Only the bytes present when reading starts are
 * read, so a writer appending meanwhile cannot make the reader loop.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { ConfigError, ManifestError } from '../errors.js';
import type { ManifestRow } from './types.js';

export { foldRows } from './fold.js';

export const READ_CHUNK_BYTES = 256 * 1024;
const NEWLINE = 0x0a;

/** The bytes after the last newline. */
export interface ManifestTail {
  /** Byte offset where the tail starts (the length the file has once the tail is cut). */
  offset: number;
  bytes: number;
  /** True when the tail is a whole row (or blank) that only lacks its newline; it was yielded. */
  complete: boolean;
}

export interface ReadOptions {
  repair?: boolean;
  onWarning?: (message: string) => void;
  /** Called instead of warning when the file does not end in a newline (the journal cuts or completes it). */
  onTail?: (tail: ManifestTail) => void;
}

export interface ManifestLine {
  row: ManifestRow;
  /** 1-based line number in the file (blank lines count). */
  line: number;
  /** Byte offset of the line and its length without the newline: lets a reader fetch it again later. */
  offset: number;
  length: number;
}

/** Opens a manifest for reading, turning the usual mistakes into a ConfigError naming the file. */
export async function openManifestForReading(path: string): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw notReadable(path, error);
  }
  const stats = await handle.stat();
  if (!stats.isFile()) {
    await handle.close();
    throw new ConfigError(`manifest ${path} is not a regular file`, 'give the path of a JSONL manifest written by ocrq');
  }
  return handle;
}

function notReadable(path: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') {
    return new ConfigError(`manifest ${path} not found`, 'check the path (the default is ocrq-manifest.jsonl)', {
      cause: error,
    });
  }
  if (code === 'EISDIR') return new ConfigError(`manifest ${path} is a directory`, 'give the path of the JSONL file');
  return new ConfigError(`cannot read manifest ${path} (${code ?? String(error)})`, 'check its permissions', {
    cause: error,
  });
}

/** Parses one line; returns the reason when it is not a manifest row. */
export function parseManifestLine(text: string): ManifestRow | { invalid: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { invalid: 'not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { invalid: 'not a JSON object' };
  const fields = value as Record<string, unknown>;
  if (typeof fields.job_id !== 'string' || fields.job_id === '') return { invalid: 'no job_id' };
  if (typeof fields.status !== 'string') return { invalid: 'no status' };
  return value as ManifestRow;
}

/**
 * Yields { row, line, offset, length } for every row. Blank lines are ignored. A torn last line (bytes after the
 * last newline that are not a whole row) is not yielded but reported; a whole row that merely lacks its newline
 * is yielded. A bad line anywhere else throws ManifestError with its line number, unless `repair`.
 */
export async function* readManifest(path: string, options: ReadOptions = {}): AsyncGenerator<ManifestLine> {
  for await (const batch of readManifestBatches(path, options)) yield* batch;
}

/**
 * readManifest's lines, a chunk's worth at a time: a reader of millions of lines (the resume index) pays one
 * asynchronous step per chunk, not per line.
 */
export async function* readManifestBatches(path: string, options: ReadOptions = {}): AsyncGenerator<ManifestLine[]> {
  const handle = await openManifestForReading(path);
  try {
    const { size } = await handle.stat();
    let pieces: Buffer[] = [];
    let lineStart = 0;
    let lineNumber = 0;
    let position = 0;
    while (position < size) {
      const want = Math.min(READ_CHUNK_BYTES, size - position);
      const buffer = Buffer.allocUnsafe(want);
      const { bytesRead } = await handle.read(buffer, 0, want, position);
      if (bytesRead === 0) break; // the file shrank under us: what was read is all there is
      const chunk = buffer.subarray(0, bytesRead);
      const batch: ManifestLine[] = [];
      let start = 0;
      for (let newline = chunk.indexOf(NEWLINE); newline !== -1; newline = chunk.indexOf(NEWLINE, start)) {
        lineNumber += 1;
        let row: ManifestRow | null;
        let length: number;
        if (pieces.length === 0) {
          // The usual case: the whole line is in this chunk, decoded straight from it.
          length = newline - start;
          row = checkLine(path, chunk.toString('utf8', start, newline), lineNumber, options);
        } else {
          pieces.push(chunk.subarray(start, newline));
          const bytes = Buffer.concat(pieces);
          pieces = [];
          length = bytes.length;
          row = checkLine(path, bytes.toString('utf8'), lineNumber, options);
        }
        if (row) batch.push({ row, line: lineNumber, offset: lineStart, length });
        start = newline + 1;
        lineStart = position + start;
      }
      if (start < chunk.length) pieces.push(Buffer.from(chunk.subarray(start)));
      position += bytesRead;
      if (batch.length > 0) yield batch;
    }
    if (pieces.length === 0) return;
    const bytes = Buffer.concat(pieces);
    const text = withoutBom(bytes.toString('utf8'), lineNumber + 1);
    const parsed = text.trim() === '' ? null : parseManifestLine(text);
    const complete = parsed === null || !('invalid' in parsed);
    const tail: ManifestTail = { offset: lineStart, bytes: bytes.length, complete };
    if (options.onTail) options.onTail(tail);
    else if (!complete) {
      options.onWarning?.(
        `manifest ${path}: ignored a torn last line (${bytes.length} bytes, probably cut short by a killed run)`,
      );
    }
    if (parsed && !('invalid' in parsed)) {
      yield [{ row: parsed, line: lineNumber + 1, offset: lineStart, length: bytes.length }];
    }
  } finally {
    await handle.close();
  }
}

/** Yields the rows only, for foldRows. */
export async function* readManifestRows(path: string, options: ReadOptions = {}): AsyncGenerator<ManifestRow> {
  for await (const { row } of readManifest(path, options)) yield row;
}

function withoutBom(text: string, lineNumber: number): string {
  // A manifest saved by a Windows editor may start with a byte order mark, which JSON.parse refuses.
  return lineNumber === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

const OPEN_BRACE = 0x7b;

function checkLine(path: string, decoded: string, lineNumber: number, options: ReadOptions): ManifestRow | null {
  const text = withoutBom(decoded, lineNumber);
  // Rows start with '{'; only other lines need the (allocating) blank check.
  if (text.charCodeAt(0) !== OPEN_BRACE && text.trim() === '') return null;
  const parsed = parseManifestLine(text);
  if (!('invalid' in parsed)) return parsed;
  if (options.repair) {
    options.onWarning?.(`manifest ${path}: skipped line ${lineNumber} (${parsed.invalid}) because of --repair`);
    return null;
  }
  throw new CorruptLineError(
    path,
    lineNumber,
    String(parsed.invalid),
    `manifest ${path}: line ${lineNumber} is corrupt (${parsed.invalid}); it cannot be used to resume`,
    `run ocrq repair ${path} (it moves corrupt lines to ${path}.corrupt), or add --repair to skip them this once`,
  );
}

/** A line that is not a manifest row, before the last one: where it is and why, for commands that word it their way. */
export class CorruptLineError extends ManifestError {
  constructor(
    readonly manifest: string,
    readonly line: number,
    readonly reason: string,
    message: string,
    fix: string,
  ) {
    super(message, fix);
  }
}
