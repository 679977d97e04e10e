import type { GrayImage } from '../../documents/pdf.js';

const BI_RGB = 0;
const BI_BITFIELDS = 3;
const BI_ALPHABITFIELDS = 6;

/** A decoded BMP, or why not: `compressed` (RLE, embedded JPEG/PNG) or `invalid` (damaged, truncated). */
export type BmpDecoding = { ok: true; image: GrayImage } | { ok: false; reason: 'compressed' | 'invalid' };

/**
 * Decodes the common uncompressed BMP layouts (1/4/8-bit palette, 16/24/32-bit, bit fields) to grayscale.
 * tesseract.js converts BMPs through a pure-JS path that needs seconds and hundreds of megabytes for a
 * scanned page; this takes milliseconds. Compressed layouts are left to the OCR engine.
 */
export function decodeBmpToGray(d: Buffer): BmpDecoding {
  try {
    return decode(d);
  } catch {
    return { ok: false, reason: 'invalid' }; // a header pointing past the end of the file
  }
}

function decode(d: Buffer): BmpDecoding {
  const invalid = { ok: false, reason: 'invalid' } as const;
  const compressed = { ok: false, reason: 'compressed' } as const;
  if (d.toString('latin1', 0, 2) !== 'BM') return invalid;
  const dataOffset = d.readUInt32LE(10);
  const headerSize = d.readUInt32LE(14);
  const core = headerSize === 12;
  if (!core && headerSize < 40) return invalid;
  const width = core ? d.readUInt16LE(18) : d.readInt32LE(18);
  const rawHeight = core ? d.readInt16LE(20) : d.readInt32LE(22);
  const bpp = d.readUInt16LE(core ? 24 : 28);
  const compression = core ? BI_RGB : d.readUInt32LE(30);
  const height = Math.abs(rawHeight);
  const topDown = rawHeight < 0;
  if (width <= 0 || height === 0) return invalid;

  let masks: [number, number, number] | null = null;
  if (compression === BI_BITFIELDS || compression === BI_ALPHABITFIELDS) {
    if (bpp !== 16 && bpp !== 32) return invalid;
    // Masks follow a 40-byte header; later headers (V4/V5) hold them at the same place.
    masks = [d.readUInt32LE(54), d.readUInt32LE(58), d.readUInt32LE(62)];
  } else if (compression !== BI_RGB) {
    return compressed;
  } else if (bpp === 16) {
    masks = [0x7c00, 0x03e0, 0x001f];
  } else if (bpp === 32) {
    masks = [0xff0000, 0x00ff00, 0x0000ff];
  }

  let palette: Uint8Array | null = null;
  if (bpp <= 8) {
    if (bpp !== 1 && bpp !== 4 && bpp !== 8) return invalid;
    const entrySize = core ? 3 : 4;
    const declared = core ? 0 : d.readUInt32LE(46);
    const colors = declared > 0 && declared <= 1 << bpp ? declared : 1 << bpp;
    const paletteStart = 14 + headerSize;
    palette = new Uint8Array(1 << bpp);
    for (let i = 0; i < colors; i++) {
      const o = paletteStart + i * entrySize;
      if (o + 3 > d.length) break;
      palette[i] = luma(d[o + 2], d[o + 1], d[o]);
    }
  } else if (bpp !== 16 && bpp !== 24 && bpp !== 32) {
    return invalid;
  }

  const stride = Math.ceil((width * bpp) / 32) * 4;
  if (dataOffset + stride * height > d.length) return invalid;
  const channels = masks?.map(maskShape) ?? null;
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * stride;
    const out = y * width;
    for (let x = 0; x < width; x++) {
      if (palette) {
        const bit = x * bpp;
        const index = (d[row + (bit >> 3)] >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        pixels[out + x] = palette[index];
      } else if (channels) {
        const v = bpp === 16 ? d.readUInt16LE(row + x * 2) : d.readUInt32LE(row + x * 4);
        pixels[out + x] = luma(channels[0](v), channels[1](v), channels[2](v));
      } else {
        const o = row + x * 3;
        pixels[out + x] = luma(d[o + 2], d[o + 1], d[o]);
      }
    }
  }
  return { ok: true, image: { width, height, pixels } };
}

const luma = (r: number, g: number, b: number): number => (r * 77 + g * 150 + b * 29) >> 8;

/** Extracts a channel under `mask` and scales it to 0-255. */
function maskShape(mask: number): (v: number) => number {
  if (mask === 0) return () => 0;
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  const max = mask >>> shift;
  return (v) => Math.round((((v & mask) >>> shift) * 255) / max);
}
