import type { DocType } from '../../documents/types.js';

export interface ImageSize {
  width: number;
  height: number;
}

/**
 * Reads an image's pixel size from its header, without decoding it, so oversized images can be refused
 * before the OCR engine allocates them. Null when the header is not where the format puts it.
 */
export function readImageSize(data: Buffer, type: DocType): ImageSize | null {
  try {
    const size = readers[type]?.(data) ?? null;
    return size && size.width > 0 && size.height > 0 ? size : null;
  } catch {
    // Reading past the end of a truncated header.
    return null;
  }
}

const readers: Partial<Record<DocType, (data: Buffer) => ImageSize | null>> = {
  png: (d) =>
    d.toString('latin1', 12, 16) === 'IHDR' ? { width: d.readUInt32BE(16), height: d.readUInt32BE(20) } : null,
  gif: (d) => (d.toString('latin1', 0, 3) === 'GIF' ? { width: d.readUInt16LE(6), height: d.readUInt16LE(8) } : null),
  bmp: readBmpSize,
  webp: readWebpSize,
  jpeg: readJpegSize,
  tiff: readTiffSize,
};

function readBmpSize(d: Buffer): ImageSize | null {
  if (d.toString('latin1', 0, 2) !== 'BM') return null;
  // OS/2 1.x headers (12 bytes) store 16-bit sizes; later ones 32-bit, with a negative height for top-down rows.
  if (d.readUInt32LE(14) === 12) return { width: d.readUInt16LE(18), height: d.readUInt16LE(20) };
  return { width: Math.abs(d.readInt32LE(18)), height: Math.abs(d.readInt32LE(22)) };
}

function readWebpSize(d: Buffer): ImageSize | null {
  if (d.toString('latin1', 0, 4) !== 'RIFF' || d.toString('latin1', 8, 12) !== 'WEBP') return null;
  switch (d.toString('latin1', 12, 16)) {
    case 'VP8 ':
      return { width: d.readUInt16LE(26) & 0x3fff, height: d.readUInt16LE(28) & 0x3fff };
    case 'VP8L': {
      const bits = d.readUInt32LE(21);
      return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
    }
    case 'VP8X':
      return { width: d.readUIntLE(24, 3) + 1, height: d.readUIntLE(27, 3) + 1 };
    default:
      return null;
  }
}

// SOF markers carry the frame size; C4 (DHT), C8 (reserved) and CC (DAC) share the range but do not.
const isStartOfFrame = (marker: number): boolean =>
  marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

function readJpegSize(d: Buffer): ImageSize | null {
  if (d[0] !== 0xff || d[1] !== 0xd8) return null;
  let i = 2;
  while (i + 3 < d.length) {
    if (d[i] !== 0xff) return null;
    const marker = d[i + 1];
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return null; // image data before any frame header
    if (isStartOfFrame(marker)) return { width: d.readUInt16BE(i + 7), height: d.readUInt16BE(i + 5) };
    i += 2 + d.readUInt16BE(i + 2);
  }
  return null;
}

function readTiffSize(d: Buffer): ImageSize | null {
  const order = d.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return null;
  const le = order === 'II';
  const u16 = (o: number): number => (le ? d.readUInt16LE(o) : d.readUInt16BE(o));
  const u32 = (o: number): number => (le ? d.readUInt32LE(o) : d.readUInt32BE(o));
  if (u16(2) !== 42) return null;
  const ifd = u32(4);
  const count = u16(ifd);
  let width = 0;
  let height = 0;
  for (let n = 0; n < count; n++) {
    const entry = ifd + 2 + n * 12;
    const tag = u16(entry);
    if (tag !== 256 && tag !== 257) continue;
    const value = u16(entry + 2) === 3 ? u16(entry + 8) : u32(entry + 8);
    if (tag === 256) width = value;
    else height = value;
  }
  return { width, height };
}
