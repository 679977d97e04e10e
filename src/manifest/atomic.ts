/**
 * Atomic file replacement: data goes to `.<name>.tmp-<pid>-<random>` in the destination's directory, is
 * fsynced, then renamed over the destination. A reader sees the old file or the new one, never a partial one;
 * a killed run leaves at most a temp file, which removeStaleTempFiles() cleans (its pid is in the name).
 */
import { randomBytes } from 'node:crypto';
import { open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ConfigError, OcrqError } from '../errors.js';
import { isProcessAlive } from './lock.js';

/** Chunks smaller than this are gathered before writing, to keep syscalls per row low. */
export const WRITE_BATCH_BYTES = 64 * 1024;

export type AtomicData = string | Uint8Array | Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>;

const TEMP_PATTERN = /^\.(.+)\.tmp-(\d+)-[0-9a-f]+$/;

export function tempPathFor(file: string): string {
  return join(dirname(file), `.${basename(file)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
}

/**
 * Removes temp files left by killed runs in `dir` (only those whose process is gone), for destination `name`
 * or for every destination when `name` is omitted. Returns the paths removed.
 */
export async function removeStaleTempFiles(dir: string, name?: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const entry of entries) {
    const match = TEMP_PATTERN.exec(entry);
    if (!match || (name !== undefined && match[1] !== name)) continue;
    const pid = Number(match[2]);
    // Our own pid: perhaps a concurrent write still in progress.
    if (pid === process.pid || isProcessAlive(pid)) continue;
    const path = join(dir, entry);
    try {
      await unlink(path);
      removed.push(path);
    } catch {
      // Removed by someone else meanwhile, or not ours to remove: harmless either way.
    }
  }
  return removed;
}

/** Writes `data` to `file` atomically (see module comment). An existing file's permissions are kept. */
export async function writeFileAtomic(file: string, data: AtomicData): Promise<void> {
  const mode = await stat(file).then(
    (stats) => stats.mode & 0o7777,
    () => 0o666,
  );
  const temp = tempPathFor(file);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx', mode);
    await writeData(handle, data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, file);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw writeFailure(file, error);
  }
  await syncDirectory(file);
}

async function writeData(handle: FileHandle, data: AtomicData): Promise<void> {
  if (typeof data === 'string' || data instanceof Uint8Array) {
    await handle.writeFile(data);
    return;
  }
  let batch: Buffer[] = [];
  let batchBytes = 0;
  for await (const chunk of data) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk);
    batch.push(bytes);
    batchBytes += bytes.length;
    if (batchBytes >= WRITE_BATCH_BYTES) {
      await handle.write(Buffer.concat(batch));
      batch = [];
      batchBytes = 0;
    }
  }
  if (batchBytes > 0) await handle.write(Buffer.concat(batch));
}

function writeFailure(file: string, error: unknown): Error {
  if (error instanceof OcrqError) return error;
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new ConfigError(`cannot write ${file} (${code})`, 'check that its directory exists and is writable', {
      cause: error,
    });
  }
  if (code === 'EISDIR') return new ConfigError(`cannot write ${file}: it is a directory`, 'give a file name');
  if (!code) return error instanceof Error ? error : new Error(String(error));
  return new OcrqError(`cannot write ${file} (${code})`, 'fix the cause and run the command again', { cause: error });
}

/** fsyncs the directory holding `file`, so a create or rename survives a crash. Best effort. */
export async function syncDirectory(file: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dirname(file), 'r');
    await handle.sync();
  } catch {
    // Some platforms and filesystems cannot fsync a directory; the data itself is already synced.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
