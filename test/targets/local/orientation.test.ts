import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodePgm } from '../../../src/documents/pdf.js';
import { decodeGrayPng, OSD_MAX_PIXELS, shrinkGray, turnGray, turnGrayBy } from '../../../src/isolate/ocr/orientation.js';

/** 3 x 2 pixels, row by row: 1 2 3 / 4 5 6. */
const image = { width: 3, height: 2, pixels: Uint8Array.from([1, 2, 3, 4, 5, 6]) };

/** An 8-bit grayscale PNG of `rows`, each row written with the filter type given beside it. */
function grayPng(rows: number[][], filters: number[], colorType = 0): Buffer {
  const width = rows[0].length;
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    return Buffer.concat([length, Buffer.from(type, 'latin1'), data, Buffer.alloc(4)]); // CRCs are not checked
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(rows.length, 4);
  header.set([8, colorType, 0, 0, 0], 8);
  const raw: number[] = [];
  rows.forEach((row, y) => {
    raw.push(filters[y]);
    row.forEach((value, x) => {
      const left = x > 0 ? row[x - 1] : 0;
      const up = y > 0 ? rows[y - 1][x] : 0;
      const upLeft = x > 0 && y > 0 ? rows[y - 1][x - 1] : 0;
      const p = left + up - upLeft;
      const paeth = Math.abs(p - left) <= Math.abs(p - up) && Math.abs(p - left) <= Math.abs(p - upLeft) ? left : Math.abs(p - up) <= Math.abs(p - upLeft) ? up : upLeft;
      const predicted = [0, left, up, (left + up) >> 1, paeth][filters[y]];
      raw.push((value - predicted) & 0xff);
    });
  });
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.from(raw))), chunk('IEND', Buffer.alloc(0))]);
}

describe('turning a page upright', () => {
  it('turns grayscale pixels a quarter, half and three quarters clockwise', () => {
    const turn = (r: 0 | 90 | 180 | 270) => {
      const t = turnGray(image, r);
      return { width: t.width, height: t.height, pixels: Array.from(t.pixels) };
    };
    expect(turn(0)).toEqual({ width: 3, height: 2, pixels: [1, 2, 3, 4, 5, 6] });
    expect(turn(90)).toEqual({ width: 2, height: 3, pixels: [4, 1, 5, 2, 6, 3] });
    expect(turn(180)).toEqual({ width: 3, height: 2, pixels: [6, 5, 4, 3, 2, 1] });
    expect(turn(270)).toEqual({ width: 2, height: 3, pixels: [3, 6, 2, 5, 1, 4] });
    // The result sits right after a PGM header, as the engine is handed it.
    expect(encodePgm(turnGray(image, 90)).toString('latin1', 0, 10)).toBe('P5\n2 3\n255');
  });

  it('turns pixels by a small angle about the centre, clockwise for a positive one, white coming in from outside', () => {
    expect(turnGrayBy(image, 0)).toBe(image);
    // A black dot 40 pixels right of the centre of a white 101 x 101 page, turned 90 degrees clockwise: it goes below.
    const page = { width: 101, height: 101, pixels: new Uint8Array(101 * 101).fill(255) };
    page.pixels[50 * 101 + 90] = 0;
    const turned = turnGrayBy(page, Math.PI / 2);
    expect([turned.width, turned.height]).toEqual([101, 101]);
    expect(turned.pixels[90 * 101 + 50]).toBe(0);
    expect(turned.pixels[50 * 101 + 90]).toBe(255);
    // 3 degrees clockwise: the dot drops by 40 * sin(3°) = 2.1 pixels; the corners fill with white.
    const skewed = turnGrayBy(page, (3 * Math.PI) / 180);
    expect(skewed.pixels[52 * 101 + 90]).toBeLessThan(128);
    expect(skewed.pixels[0]).toBe(255);
    expect(Array.from(skewed.pixels).filter((v) => v < 255).length).toBeLessThanOrEqual(4);
  });

  it('shrinks pages over the OSD size by a whole factor, averaging', () => {
    expect(OSD_MAX_PIXELS).toBe(9_000_000);
    expect(shrinkGray(image, 6)).toBe(image);
    const half = shrinkGray({ width: 4, height: 2, pixels: Uint8Array.from([0, 10, 100, 200, 20, 30, 100, 0]) }, 2);
    expect({ width: half.width, height: half.height, pixels: Array.from(half.pixels) }).toEqual({ width: 2, height: 1, pixels: [15, 100] });
    // A 50-megapixel page (A0 at 179 dpi) goes to OSD at a third of each side: 5.6 MP.
    const a0 = shrinkGray({ width: 5925, height: 8379, pixels: new Uint8Array(5925 * 8379) });
    expect([a0.width, a0.height]).toEqual([1975, 2793]);
  });

  it('decodes the grayscale PNGs the engine hands back, every row filter included', () => {
    const rows = [
      [10, 200, 30, 250],
      [0, 255, 128, 64],
      [7, 7, 9, 200],
      [90, 91, 3, 180],
      [255, 0, 255, 1],
    ];
    const decoded = decodeGrayPng(grayPng(rows, [0, 1, 2, 3, 4]));
    expect(decoded).not.toBeNull();
    expect({ width: decoded!.width, height: decoded!.height }).toEqual({ width: 4, height: 5 });
    expect(Array.from(decoded!.pixels)).toEqual(rows.flat());
    // Anything else (colour, not a PNG, damaged data) is not decoded.
    expect(decodeGrayPng(grayPng(rows, [0, 0, 0, 0, 0], 2))).toBeNull();
    expect(decodeGrayPng(Buffer.from('not a png at all, not even close to one'))).toBeNull();
    const damaged = grayPng(rows, [0, 1, 2, 3, 4]);
    damaged.fill(0, 41, 60);
    expect(decodeGrayPng(damaged)).toBeNull();
  });
});
