import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { readImageSize } from '../../../src/targets/local/image-size.js';
import { drawText, encodeBmp24, encodeTiffGray } from './make-image.js';

const drawn = drawText(['Size check'], 333, 50);
const gray = new Uint8Array(drawn.width * drawn.height).fill(255);

describe('readImageSize', () => {
  it.each(['png', 'jpeg', 'webp', 'gif'] as const)('reads %s headers', (format) => {
    expect(readImageSize(drawn.encode(format), format)).toEqual({ width: 333, height: 100 });
  });

  it('reads BMP and both TIFF byte orders', () => {
    expect(readImageSize(encodeBmp24(333, 100, drawn.rgba), 'bmp')).toEqual({ width: 333, height: 100 });
    expect(readImageSize(encodeTiffGray(333, 100, gray), 'tiff')).toEqual({ width: 333, height: 100 });
    expect(readImageSize(encodeTiffGray(333, 100, gray, true), 'tiff')).toEqual({ width: 333, height: 100 });
  });

  it('reads a top-down BMP', () => {
    const bmp = encodeBmp24(333, 100, drawn.rgba);
    bmp.writeInt32LE(-100, 22);
    expect(readImageSize(bmp, 'bmp')).toEqual({ width: 333, height: 100 });
  });

  it('reads the fixture images', async () => {
    const files = {
      'invoice.png': 'png',
      'receipt.jpg': 'jpeg',
      'letter.tiff': 'tiff',
      'memo.webp': 'webp',
      'note.bmp': 'bmp',
      'sign.gif': 'gif',
    } as const;
    for (const [file, type] of Object.entries(files)) {
      const size = readImageSize(await readFile(new URL(`../../../fixtures/images/${file}`, import.meta.url)), type);
      expect(size, file).not.toBeNull();
      expect(size!.width).toBeGreaterThan(100);
    }
  });

  it('returns null for truncated or foreign headers instead of throwing', () => {
    const png = drawn.encode('png');
    expect(readImageSize(png.subarray(0, 10), 'png')).toBeNull();
    expect(readImageSize(Buffer.alloc(0), 'jpeg')).toBeNull();
    expect(readImageSize(png, 'jpeg')).toBeNull();
    expect(readImageSize(drawn.encode('jpeg').subarray(0, 20), 'jpeg')).toBeNull();
    expect(readImageSize(Buffer.from('RIFF\0\0\0\0WEBPXXXX'), 'webp')).toBeNull();
    expect(readImageSize(Buffer.from('II*\0\xff\xff\xff\x7f', 'latin1'), 'tiff')).toBeNull();
  });

  it('reports what a hostile header claims, so the caller can refuse it', () => {
    const png = Buffer.from(drawn.encode('png'));
    png.writeUInt32BE(30_000, 16);
    png.writeUInt32BE(30_000, 20);
    expect(readImageSize(png, 'png')).toEqual({ width: 30_000, height: 30_000 });
  });
});
