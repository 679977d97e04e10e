import type { DocType } from './types.js';

/** Bytes needed to recognise every supported type. */
export const SNIFF_BYTES = 16;

/**
 * Recognises a document type from its first bytes; extensions are never trusted.
 * PDFs may carry up to 1 KiB of junk before `%PDF-` (as pdf.js and Acrobat accept), so callers pass at least
 * `SNIFF_BYTES` and, for the PDF case, as much of the first KiB as they have.
 */
export function sniffType(head: Uint8Array): DocType | null {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (b.length >= 8 && b.readUInt32BE(0) === 0x89504e47 && b.readUInt32BE(4) === 0x0d0a1a0a) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 4 && (at(b, 0, 'II*\0') || at(b, 0, 'MM\0*'))) return 'tiff';
  if (b.length >= 12 && at(b, 0, 'RIFF') && at(b, 8, 'WEBP')) return 'webp';
  if (b.length >= 6 && (at(b, 0, 'GIF87a') || at(b, 0, 'GIF89a'))) return 'gif';
  if (b.length >= 14 && at(b, 0, 'BM') && isBmpHeader(b)) return 'bmp';
  if (b.length >= 5 && b.subarray(0, 1024).indexOf('%PDF-', 0, 'latin1') !== -1) return 'pdf';
  return null;
}

/** Whether `b` holds the latin1 `magic` at `i` (no string made: most files that are not documents are met here). */
function at(b: Buffer, i: number, magic: string): boolean {
  for (let k = 0; k < magic.length; k++) if (b[i + k] !== magic.charCodeAt(k)) return false;
  return true;
}
/** `BM` alone is too weak (text files start with it); require a plausible pixel-data offset. */
function isBmpHeader(b: Buffer): boolean {
  const reserved = b.readUInt32LE(6);
  const offset = b.readUInt32LE(10);
  return reserved === 0 && offset >= 26 && offset < 1 << 20;
}

/** Human name of what a file looks like, for the `UNSUPPORTED_TYPE` reason. */
export function describeUnknown(head: Uint8Array): string {
  if (head.length === 0) return 'empty file';
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  const text = b.subarray(0, 64).toString('latin1');
  if (/^\s*<(!doctype html|html)/i.test(text)) return 'HTML document';
  if (/^[\t\n\r\x20-\x7e]*$/.test(text)) return 'plain text';
  return `unknown content (starts with ${b.subarray(0, 4).toString('hex')})`;
}
