// Renders short lines of text to a white canvas with the canvas build that pdfjs-dist already depends on,
// so fixtures never pull in a second native canvas.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const pdfjsPkg = require.resolve('pdfjs-dist/package.json');
const { createCanvas, GlobalFonts } = createRequire(pdfjsPkg)('@napi-rs/canvas');

/** The canvas constructor of that build, for callers drawing more than lines of text. */
export { createCanvas };

export const FONT_FAMILY = 'Liberation Sans';
GlobalFonts.registerFromPath(
  path.join(path.dirname(pdfjsPkg), 'standard_fonts', 'LiberationSans-Regular.ttf'),
  FONT_FAMILY,
);

/** Line pitch as a multiple of the font size. */
export const LINE_SPACING = 1.4;

/**
 * Draws `lines` in black on white. `margin` is the left/top inset in pixels; the first baseline sits one
 * font size below it, so callers can mirror the layout of a PDF text page.
 */
export function renderText({ width, height, fontSize, lines, margin = Math.round(fontSize * 0.8) }) {
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#000000';
  ctx.font = `${fontSize}px "${FONT_FAMILY}"`;
  ctx.textBaseline = 'alphabetic';
  lines.forEach((line, i) => {
    const baseline = margin + fontSize + i * fontSize * LINE_SPACING;
    const right = margin + ctx.measureText(line).width;
    if (right > width || baseline + fontSize * 0.3 > height) {
      throw new Error(`text does not fit a ${width}x${height} image: "${line}"`);
    }
    ctx.fillText(line, margin, Math.round(baseline));
  });
  return canvas;
}

/**
 * `canvas` turned `degrees` clockwise about its centre, on white, on a canvas large enough to hold all of it: a sheet
 * fed sideways, upside down or crooked into a scanner.
 */
export function turnCanvas(canvas, degrees) {
  const radians = (degrees * Math.PI) / 180;
  const cos = Math.abs(Math.cos(radians));
  const sin = Math.abs(Math.sin(radians));
  const width = Math.round(canvas.width * cos + canvas.height * sin);
  const height = Math.round(canvas.width * sin + canvas.height * cos);
  const out = createCanvas(width, height);
  const ctx = out.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.translate(width / 2, height / 2);
  ctx.rotate(radians);
  ctx.drawImage(canvas, -canvas.width / 2, -canvas.height / 2);
  return out;
}

/** RGBA pixels of a canvas. */
export function readRgba(canvas) {
  const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  return { width: canvas.width, height: canvas.height, data: Uint8Array.from(data) };
}

/** 8-bit luminance (Rec. 601) of a canvas, one byte per pixel, rows top to bottom. */
export function readGray(canvas) {
  const { width, height, data } = readRgba(canvas);
  const gray = new Uint8Array(width * height);
  for (let i = 0, p = 0; i < gray.length; i++, p += 4) {
    gray[i] = Math.round(0.299 * data[p] + 0.587 * data[p + 1] + 0.114 * data[p + 2]);
  }
  return { width, height, data: gray };
}
