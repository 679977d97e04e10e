import { createRequire } from 'node:module';

/** Test images drawn with the canvas module pdf.js itself loads (one copy per process). */
interface CanvasModule {
  createCanvas(w: number, h: number): {
    getContext(kind: '2d'): {
      fillStyle: string;
      font: string;
      fillRect(x: number, y: number, w: number, h: number): void;
      fillText(text: string, x: number, y: number): void;
      getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
      createImageData(w: number, h: number): { data: Uint8ClampedArray };
      putImageData(image: { data: Uint8ClampedArray }, x: number, y: number): void;
    };
    encodeSync(format: 'png' | 'jpeg' | 'webp' | 'gif', quality?: number): Buffer;
  };
}

const pdfjsRequire = createRequire(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
const canvasModule = pdfjsRequire('@napi-rs/canvas') as CanvasModule;

export interface DrawnText {
  width: number;
  height: number;
  /** RGBA pixels. */
  rgba: Uint8ClampedArray;
  encode(format: 'png' | 'jpeg' | 'webp' | 'gif'): Buffer;
}

/** Black text on white, 40 px type: easy for OCR. */
export function drawText(lines: string[], width = 1400, lineHeight = 70): DrawnText {
  const height = lineHeight * (lines.length + 1);
  const canvas = canvasModule.createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = 'white';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = 'black';
  ctx.font = '40px sans-serif';
  lines.forEach((line, i) => ctx.fillText(line, 40, lineHeight * (i + 1)));
  const rgba = ctx.getImageData(0, 0, width, height).data;
  return { width, height, rgba, encode: (format) => canvas.encodeSync(format) };
}

/** RGBA pixels encoded as an image file. */
export function encodeRgba(width: number, height: number, rgba: Uint8ClampedArray, format: 'png' | 'jpeg'): Buffer {
  const canvas = canvasModule.createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(width, height);
  image.data.set(rgba);
  ctx.putImageData(image, 0, 0);
  return canvas.encodeSync(format);
}

/** Uncompressed 24-bit bottom-up BMP. */
export function encodeBmp24(width: number, height: number, rgba: Uint8ClampedArray): Buffer {
  const stride = Math.ceil((width * 3) / 4) * 4;
  const out = Buffer.alloc(54 + stride * height);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(54, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(24, 28);
  out.writeUInt32LE(stride * height, 34);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const s = ((height - 1 - y) * width + x) * 4;
      const o = 54 + y * stride + x * 3;
      out[o] = rgba[s + 2];
      out[o + 1] = rgba[s + 1];
      out[o + 2] = rgba[s];
    }
  }
  return out;
}

/** Uncompressed 8-bit grayscale TIFF, little- or big-endian. */
export function encodeTiffGray(width: number, height: number, gray: Uint8Array, bigEndian = false): Buffer {
  const entries: Array<[tag: number, type: number, value: number]> = [
    [256, 4, width],
    [257, 4, height],
    [258, 3, 8],
    [259, 3, 1],
    [262, 3, 1],
    [273, 4, 0],
    [277, 3, 1],
    [278, 4, height],
    [279, 4, width * height],
  ];
  const ifd = 8;
  const dataStart = ifd + 2 + entries.length * 12 + 4;
  const out = Buffer.alloc(dataStart + gray.length);
  const u16 = (v: number, o: number) => (bigEndian ? out.writeUInt16BE(v, o) : out.writeUInt16LE(v, o));
  const u32 = (v: number, o: number) => (bigEndian ? out.writeUInt32BE(v, o) : out.writeUInt32LE(v, o));
  out.write(bigEndian ? 'MM' : 'II', 0, 'latin1');
  u16(42, 2);
  u32(ifd, 4);
  u16(entries.length, ifd);
  entries.forEach(([tag, type, value], i) => {
    const o = ifd + 2 + i * 12;
    u16(tag, o);
    u16(type, o + 2);
    u32(1, o + 4);
    const v = tag === 273 ? dataStart : value;
    if (type === 3) u16(v, o + 8);
    else u32(v, o + 8);
  });
  out.set(gray, dataStart);
  return out;
}

/**
 * Random black dots on white, `density` of the pixels, the same for the same seed: a page with nothing to read, from
 * which the OCR engine still makes words, with a low confidence.
 */
export function drawNoise(width: number, height: number, density: number, seed = 7): Buffer {
  const canvas = canvasModule.createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(width, height);
  let state = seed >>> 0;
  for (let i = 0; i < width * height; i++) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    const value = state / 2 ** 32 < density ? 0 : 255;
    image.data.set([value, value, value, 255], i * 4);
  }
  ctx.putImageData(image, 0, 0);
  return canvas.encodeSync('png');
}
