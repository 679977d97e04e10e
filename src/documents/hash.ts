import { createHash } from 'node:crypto';

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Stable id for a row about an input whose content was never read (refused before reading). */
export function sourceId(source: string): string {
  return 'skip_' + sha256Hex(Buffer.from('source:' + source)).slice(0, 32);
}

/** A job id made from content: the prefix and the first 128 bits of the SHA-256 (`local_…`, `skip_…`). */
export function contentJobId(prefix: string, sha256: string): string {
  return `${prefix}_${sha256.slice(0, 32)}`;
}

/** Stable id for a skipped row about content that was read (unsupported type...). */
export function skippedContentId(sha256: string): string {
  return contentJobId('skip', sha256);
}
