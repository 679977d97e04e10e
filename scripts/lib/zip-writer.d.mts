export interface ZipEntrySpec {
  /** Entry name; a string is written as UTF-8 (and sets the UTF-8 flag when not plain ASCII), bytes verbatim. */
  name: string | Uint8Array;
  /** Content; default empty. */
  data?: string | Uint8Array;
  /** How `data` is written; default 'deflate'. */
  method?: 'store' | 'deflate';
  /** Already deflated bytes written verbatim instead of `data` (needs `uncompressedSize` and `crc32`). */
  compressed?: Uint8Array;
  /** Compression method number written in the headers, whatever the body really is. */
  compressionMethod?: number;
  /** CRC-32 written in the headers; default the CRC of `data`. */
  crc32?: number;
  /** Uncompressed size written in the headers; default the length of `data`. */
  uncompressedSize?: number;
  /** Compressed size written in the headers; default the length of the body. */
  compressedSize?: number;
  /** General purpose bit flag (the UTF-8 and encryption options are OR-ed into it). */
  flags?: number;
  /** Set (true) or clear (false) general purpose bit 11; default: set for non-ASCII string names. */
  utf8?: boolean;
  /** Set general purpose bit 0 (traditional encryption). The body is not encrypted. */
  encrypted?: boolean;
  /** Unix mode (e.g. 0o120777 for a symlink) stored in the upper half of the external attributes. */
  unixMode?: number;
  /** Raw external attributes; wins over `unixMode`. */
  externalAttributes?: number;
  /** Central directory header signature; anything but 0x02014b50 corrupts the directory at this entry. */
  centralSignature?: number;
  /** Index of an earlier entry whose local header and data this entry's central record points at (overlap). */
  sameDataAs?: number;
}

export interface ZipOptions {
  /** Entry count written in the end-of-central-directory record; above 65,535 a ZIP64 record carries it. */
  entryCount?: number;
  comment?: string | Uint8Array;
}

export function buildZip(entries: ZipEntrySpec[], options?: ZipOptions): Buffer;
export function deflatedZeros(size: number): Buffer;
export function crc32OfZeros(size: number): number;
