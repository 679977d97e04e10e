import { describe, expect, it } from 'vitest';
import type { GrayImage } from '../../../src/documents/pdf.js';
import { decodeBmpToGray } from '../../../src/isolate/ocr/bmp.js';
import { encodeBmp24 } from '../../targets/local/make-image.js';

/** A BMP with a given header layout and raw pixel rows (bottom-up unless height < 0). */
function bmp(opts: { width: number; height: number; bpp: number; compression?: number; palette?: number[][]; masks?: number[]; rows: number[][] }): Buffer {
  const { width, height, bpp } = opts;
  const stride = Math.ceil((width * bpp) / 32) * 4;
  const paletteBytes = (opts.palette?.length ?? 0) * 4;
  const maskBytes = (opts.masks?.length ?? 0) * 4;
  const offset = 54 + maskBytes + paletteBytes;
  const out = Buffer.alloc(offset + stride * Math.abs(height));
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(offset, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(bpp, 28);
  out.writeUInt32LE(opts.compression ?? 0, 30);
  out.writeUInt32LE(opts.palette?.length ?? 0, 46);
  opts.masks?.forEach((m, i) => out.writeUInt32LE(m, 54 + i * 4));
  opts.palette?.forEach(([r, g, b], i) => {
    const o = 54 + maskBytes + i * 4;
    out[o] = b;
    out[o + 1] = g;
    out[o + 2] = r;
  });
  opts.rows.forEach((row, y) => Buffer.from(row).copy(out, offset + y * stride));
  return out;
}

function gray(data: Buffer): GrayImage {
  const decoded = decodeBmpToGray(data);
  if (!decoded.ok) throw new Error(`not decoded: ${decoded.reason}`);
  return decoded.image;
}

describe('decodeBmpToGray', () => {
  it('decodes 24-bit rows bottom-up', () => {
    const rgba = new Uint8ClampedArray([255, 255, 255, 255, 0, 0, 0, 255, 255, 0, 0, 255, 0, 0, 255, 255]);
    const image = gray(encodeBmp24(2, 2, rgba));
    expect(image).toMatchObject({ width: 2, height: 2 });
    // BT.601 luma: white 255, black 0, red 76, blue 28.
    expect(Array.from(image.pixels)).toEqual([255, 0, 76, 28]);
  });

  it('decodes 1-bit and 8-bit palettes', () => {
    const mono = bmp({ width: 3, height: 1, bpp: 1, palette: [[0, 0, 0], [255, 255, 255]], rows: [[0b10100000]] });
    expect(Array.from(gray(mono).pixels)).toEqual([255, 0, 255]);
    const indexed = bmp({ width: 2, height: -2, bpp: 8, palette: [[0, 0, 0], [255, 255, 255], [0, 255, 0]], rows: [[2, 1], [0, 2]] });
    expect(Array.from(gray(indexed).pixels)).toEqual([149, 255, 0, 149]);
  });

  it('decodes 4-bit palettes', () => {
    const image = bmp({ width: 3, height: 1, bpp: 4, palette: [[0, 0, 0], [255, 255, 255]], rows: [[0x10, 0x10]] });
    expect(Array.from(gray(image).pixels)).toEqual([255, 0, 255]);
  });

  it('decodes 16- and 32-bit bit fields', () => {
    const rgb565 = bmp({ width: 2, height: 1, bpp: 16, compression: 3, masks: [0xf800, 0x07e0, 0x001f], rows: [[0xff, 0xff, 0x00, 0x00]] });
    expect(Array.from(gray(rgb565).pixels)).toEqual([255, 0]);
    const bgra = bmp({ width: 1, height: 1, bpp: 32, rows: [[0, 0, 255, 255]] });
    expect(Array.from(gray(bgra).pixels)).toEqual([76]);
  });

  it('leaves compressed layouts to the OCR engine and flags damaged files', () => {
    const rle = bmp({ width: 2, height: 1, bpp: 8, compression: 1, palette: [[0, 0, 0]], rows: [[0, 0]] });
    expect(decodeBmpToGray(rle)).toEqual({ ok: false, reason: 'compressed' });
    const full = encodeBmp24(10, 10, new Uint8ClampedArray(400));
    for (const damaged of [full.subarray(0, 100), full.subarray(0, 20), Buffer.from('not a bmp')]) {
      expect(decodeBmpToGray(damaged)).toEqual({ ok: false, reason: 'invalid' });
    }
  });
});
