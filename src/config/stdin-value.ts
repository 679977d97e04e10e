import type { Readable } from 'node:stream';
import { UsageError } from '../errors.js';

/** Longest value read from standard input (a key or a secret, never a document). */
export const MAX_STDIN_VALUE_BYTES = 64 * 1024;

/** A secret piped on standard input, whole; refuses more than MAX_STDIN_VALUE_BYTES (not a key, surely). */
export async function readStdinValue(stdin: Readable | NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > MAX_STDIN_VALUE_BYTES) throw new UsageError(`the value on stdin is larger than ${MAX_STDIN_VALUE_BYTES} bytes`, 'pipe the key alone');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}
