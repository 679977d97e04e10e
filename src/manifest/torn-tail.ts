import { createReadStream, createWriteStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { ManifestTail } from './read.js';

export function tornCopyPathFor(manifest: string, now: Date): string {
  return `${manifest}.torn-${now.toISOString().replace(/:/g, '-')}`;
}

/**
 * Copies the torn bytes next to the manifest, then cuts the file back to its last newline, so that the next
 * append starts a fresh line. Returns the copy's path. `handle` is the manifest opened for appending.
 */
export async function setAsideTornTail(
  manifest: string,
  handle: FileHandle,
  tail: ManifestTail,
  now: Date = new Date(),
): Promise<string> {
  const copy = await copyRange(manifest, tail.offset, tornCopyPathFor(manifest, now));
  await handle.truncate(tail.offset);
  await handle.sync();
  return copy;
}

/** A whole row that only lacks its newline: complete it instead of cutting it. `handle` must be O_APPEND. */
export async function completeLastLine(handle: FileHandle): Promise<void> {
  await handle.write(Buffer.from('\n'));
  await handle.sync();
}

async function copyRange(source: string, start: number, wanted: string): Promise<string> {
  for (let attempt = 0; ; attempt += 1) {
    const target = attempt === 0 ? wanted : `${wanted}-${attempt}`;
    try {
      await pipeline(createReadStream(source, { start }), createWriteStream(target, { flags: 'wx', mode: 0o644, flush: true }));
      return target;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 100) throw error;
    }
  }
}
