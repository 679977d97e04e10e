/**
 * Turning pages upright: what Tesseract's orientation detection (OSD) says, and the pixel work to follow it. OSD
 * runs on a worker of its own (startOsdWorker); the turn is done here on grayscale pixels, or by the engine for a
 * half turn of an image file.
 */
import { inflateSync } from 'node:zlib';
import type Tesseract from 'tesseract.js';
import { allocGray, type GrayImage } from '../../documents/pdf.js';

/**
 * Orientation is detected only when asked (`--rotate`): on upright pages it costs about a quarter of the OCR time of
 * a full letter page and more on sparse ones (bench/osd.mjs; README "Orientation").
 */
export const DEFAULT_ROTATE = false;

/** A clockwise turn that makes a page upright. */
export type Rotation = 0 | 90 | 180 | 270;

/**
 * Lowest OSD orientation confidence acted on. Pages of a few lines turned any way score 4-8, full pages about 20;
 * random dots score under 1 and blank pages have none: below this the page is read as it is.
 */
export const MIN_ORIENTATION_CONFIDENCE = 2;

/**
 * Largest image OSD is given: a letter page at 300 dpi (8.4 MP) goes as it is; larger pages are shrunk to fit, which
 * keeps the OSD worker's memory near that of a letter page. At half size, detection confidence barely changes.
 */
export const OSD_MAX_PIXELS = 9_000_000;

/** `image` shrunk by a whole factor (box average) to at most `maxPixels`; the image itself when it fits. */
export function shrinkGray(image: GrayImage, maxPixels = OSD_MAX_PIXELS): GrayImage {
  const { width, height, pixels } = image;
  const factor = Math.ceil(Math.sqrt((width * height) / maxPixels));
  if (factor <= 1) return image;
  const out = allocGray(Math.max(1, Math.floor(width / factor)), Math.max(1, Math.floor(height / factor)));
  const area = factor * factor;
  for (let y = 0; y < out.height; y++) {
    for (let x = 0; x < out.width; x++) {
      let sum = 0;
      for (let dy = 0; dy < factor; dy++) {
        const row = (y * factor + dy) * width + x * factor;
        for (let dx = 0; dx < factor; dx++) sum += pixels[row + dx];
      }
      out.pixels[y * out.width + x] = Math.round(sum / area);
    }
  }
  return out;
}

/** The clockwise turn that makes an image upright, per OSD; 0 when it finds too little text or is unsure. */
export async function detectRotation(osd: Tesseract.Worker, image: Buffer): Promise<Rotation> {
  const { data } = await osd.detect(image);
  const degrees = data.orientation_degrees;
  if (degrees === null || (data.orientation_confidence ?? 0) < MIN_ORIENTATION_CONFIDENCE) return 0;
  return degrees === 90 || degrees === 180 || degrees === 270 ? degrees : 0;
}

/** `image` turned `rotation` degrees clockwise, in a buffer ready for encodePgm. */
export function turnGray(image: GrayImage, rotation: Rotation): GrayImage {
  if (rotation === 0) return image;
  const { width, height, pixels } = image;
  const sideways = rotation !== 180;
  const out = allocGray(sideways ? height : width, sideways ? width : height);
  const target = out.pixels;
  if (rotation === 180) {
    for (let i = 0, j = pixels.length - 1; i < pixels.length; i++, j--) target[j] = pixels[i];
  } else if (rotation === 90) {
    // Source row y becomes target column (height - 1 - y).
    for (let y = 0; y < height; y++) {
      const column = height - 1 - y;
      for (let x = 0, s = y * width; x < width; x++, s++) target[x * height + column] = pixels[s];
    }
  } else {
    // 270: source row y becomes target column y, read bottom to top.
    for (let y = 0; y < height; y++) {
      for (let x = 0, s = y * width; x < width; x++, s++) target[(width - 1 - x) * height + y] = pixels[s];
    }
  }
  return out;
}

/** Smallest slope acted on (radians, about 0.3°): the engine's own straightening ignores less too. */
export const MIN_SKEW_RADIANS = 0.005;

/**
 * The slope of a page's text lines, in radians (clockwise positive, the turn that straightens the page), measured
 * by Tesseract's line finding on the OSD worker with nothing recognized; 0 below MIN_SKEW_RADIANS. Used where the
 * OCR engine cannot straighten a page itself (`--engine native`); the slope is the same at any scale, so `image`
 * may be the shrunk one OSD was given.
 */
export async function detectSkew(osd: Tesseract.Worker, image: Buffer): Promise<number> {
  const { data } = await osd.recognize(image, { rotateAuto: true }, { text: false });
  const radians = data.rotateRadians ?? 0;
  return Number.isFinite(radians) && Math.abs(radians) >= MIN_SKEW_RADIANS ? radians : 0;
}

/**
 * `image` turned by `radians` about its centre (clockwise positive), the same size, what comes in from outside the
 * page white: bilinear, as the engine turns a page it straightens.
 */
export function turnGrayBy(image: GrayImage, radians: number): GrayImage {
  if (radians === 0) return image;
  const { width, height, pixels } = image;
  const out = allocGray(width, height);
  const target = out.pixels;
  const cos = Math.cos(radians);
  const sin = Math.sin(radians);
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const at = (x: number, y: number): number => (x >= 0 && y >= 0 && x < width && y < height ? pixels[y * width + x] : 255);
  for (let oy = 0; oy < height; oy++) {
    const dy = oy - cy;
    for (let ox = 0; ox < width; ox++) {
      const dx = ox - cx;
      // The source of an output pixel: the output turned back by -radians.
      const sx = dx * cos + dy * sin + cx;
      const sy = -dx * sin + dy * cos + cy;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx;
      const bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx;
      target[oy * width + ox] = Math.round(top * (1 - fy) + bottom * fy);
    }
  }
  return out;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * The pixels of an 8-bit grayscale, non-interlaced PNG: the form in which the OCR engine hands back an image it
 * decoded (its grey image). Null for any other PNG.
 */
export function decodeGrayPng(png: Buffer): GrayImage | null {
  if (png.length < 33 || !png.subarray(0, 8).equals(PNG_SIGNATURE) || png.toString('latin1', 12, 16) !== 'IHDR') return null;
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const [depth, colorType, , , interlace] = png.subarray(24, 29);
  if (depth !== 8 || colorType !== 0 || interlace !== 0 || width === 0 || height === 0) return null;
  const chunks: Buffer[] = [];
  for (let at = 8; at + 8 <= png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    if (type === 'IDAT') chunks.push(png.subarray(at + 8, at + 8 + length));
    if (type === 'IEND') break;
    at += 12 + length;
  }
  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(chunks));
  } catch {
    return null;
  }
  if (raw.length < (width + 1) * height) return null;
  const image = allocGray(width, height);
  const out = image.pixels;
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (width + 1)];
    const row = y * (width + 1) + 1;
    const at = y * width;
    for (let x = 0; x < width; x++) {
      const left = x > 0 ? out[at + x - 1] : 0;
      const up = y > 0 ? out[at - width + x] : 0;
      const upLeft = x > 0 && y > 0 ? out[at - width + x - 1] : 0;
      let predicted: number;
      switch (filter) {
        case 0:
          predicted = 0;
          break;
        case 1:
          predicted = left;
          break;
        case 2:
          predicted = up;
          break;
        case 3:
          predicted = (left + up) >> 1;
          break;
        case 4: {
          const p = left + up - upLeft;
          const pa = Math.abs(p - left);
          const pb = Math.abs(p - up);
          const pc = Math.abs(p - upLeft);
          predicted = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
          break;
        }
        default:
          return null;
      }
      out[at + x] = (raw[row + x] + predicted) & 0xff;
    }
  }
  return image;
}
