/**
 * A scanned page's own JPEG bytes, for an engine that decodes JPEG itself natively (the system's tesseract): no
 * JavaScript decode of the scan, no grayscale copy, no uncompressed copy written for the engine. pdf.js has no API
 * for an image's stored bytes, but it hands a JPEG it would rather not decode itself to the WebCodecs `ImageDecoder`
 * when the document says one exists. In a document worker,
 * `installJpegCapture` puts an `ImageDecoder` in place that, only while `captureJpegs` runs, sends those bytes back in
 * place of a bitmap (a MessagePort carrying them, as a bitmap must be transferable and closable); at any other time
 * it fails, and pdf.js decodes the image as before. pdf.js only takes that road for an 8-bit RGB JPEG drawn at its
 * own size, without a mask, a decode array, CMYK or a colour transform turned off.
 *
 * The bytes are untrusted: `jpegForEngine` reads the frame header and accepts only a baseline or progressive 8-bit
 * frame of the size the PDF declares, with colours the engine reads as pdf.js does, and writes the resolution into
 * its JFIF header; anything else goes back to the pixel path.
 */
import { MessageChannel, MessagePort, receiveMessageOnPort } from 'node:worker_threads';

let installed = false;
let capturing = 0;
let captured = 0;

/** What pdf.js asks of an ImageDecoder, and no more. */
class CapturingImageDecoder {
  static isTypeSupported(type: string): Promise<boolean> {
    return Promise.resolve(type === 'image/jpeg');
  }

  constructor(private readonly init: { data: Uint8Array; type: string }) {}

  decode(): Promise<{ image: MessagePort }> {
    if (capturing === 0 || this.init.type !== 'image/jpeg') return Promise.reject(new Error('decoded by pdf.js'));
    const { port1, port2 } = new MessageChannel();
    // A copy: the bytes pdf.js hands over may be a view of the whole document.
    port1.postMessage(Uint8Array.from(this.init.data));
    port1.close();
    captured++;
    return Promise.resolve({ image: port2 });
  }

  close(): void {}
}

/**
 * Puts the capturing ImageDecoder in place, for the PDFs this process opens from now on; it must run before pdf.js
 * is loaded, which reads whether one exists as it loads. For processes that own their globals (the document workers).
 */
export function installJpegCapture(): void {
  if (installed || 'ImageDecoder' in globalThis) return;
  installed = true;
  (globalThis as Record<string, unknown>).ImageDecoder = CapturingImageDecoder;
}

/** Whether pdf.js may be told that images can be decoded elsewhere (installJpegCapture ran). */
export const jpegCaptureInstalled = (): boolean => installed;

/** Runs `fn` with JPEGs captured; returns its value and how many JPEGs were captured meanwhile. */
export async function captureJpegs<T>(fn: () => Promise<T>): Promise<{ value: T; captures: number }> {
  const before = captured;
  capturing++;
  try {
    const value = await fn();
    return { value, captures: captured - before };
  } finally {
    capturing--;
  }
}

/** The JPEG bytes a decoded image carries in place of its bitmap when it was captured; null for any other image. */
export function capturedJpeg(image: unknown): Uint8Array | null {
  const bitmap = (image as { bitmap?: unknown } | null)?.bitmap;
  if (!(bitmap instanceof MessagePort)) return null;
  const message = receiveMessageOnPort(bitmap)?.message as unknown;
  return message instanceof Uint8Array ? message : null;
}

/** What the frame header of a JPEG says, and the markers that decide how its colours are read. */
export interface JpegFrame {
  width: number;
  height: number;
  /** Component ids, in order. */
  components: number[];
  progressive: boolean;
  /** Offset of the JFIF APP0 segment's marker, or null. */
  jfifAt: number | null;
  adobe: boolean;
}

const u16 = (bytes: Uint8Array, at: number): number => (bytes[at] << 8) | bytes[at + 1];
const startsWithText = (bytes: Uint8Array, at: number, text: string): boolean =>
  at + text.length <= bytes.length && [...text].every((c, i) => bytes[at + i] === c.charCodeAt(0));

/** The JPEG's frame header and colour markers; null when the markers up to it are not well formed. */
export function readJpegFrame(bytes: Uint8Array): JpegFrame | null {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  let jfifAt: number | null = null;
  let adobe = false;
  for (let at = 2; at + 4 <= bytes.length; ) {
    if (bytes[at] !== 0xff) return null;
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    // Before the frame header only segments with a length may come.
    if (marker === 0x00 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd9)) return null;
    const length = u16(bytes, at + 2);
    const body = at + 4;
    if (length < 2 || at + 2 + length > bytes.length) return null;
    if (marker === 0xe0 && length >= 16 && startsWithText(bytes, body, 'JFIF\0')) jfifAt ??= at;
    if (marker === 0xee && startsWithText(bytes, body, 'Adobe')) adobe = true;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      // Baseline, extended and progressive Huffman frames only; lossless, hierarchical and arithmetic-coded ones
      // take the pixel path.
      if (marker > 0xc2 || length < 8) return null;
      const count = bytes[body + 5];
      if (bytes[body] !== 8 || length !== 8 + 3 * count) return null;
      const components = Array.from({ length: count }, (_, i) => bytes[body + 6 + 3 * i]);
      return { width: u16(bytes, body + 3), height: u16(bytes, body + 1), components, progressive: marker === 0xc2, jfifAt, adobe };
    }
    at += 2 + length;
  }
  return null;
}

/** Component ids 'R', 'G', 'B'. */
const RGB_IDS = '82,71,66';

/** JFIF APP0 with `dpi` as its density, no thumbnail. */
function jfifSegment(dpi: number): Buffer {
  const segment = Buffer.from([0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x01, 0, 0, 0, 0, 0x00, 0x00]);
  segment.writeUInt16BE(dpi, 12);
  segment.writeUInt16BE(dpi, 14);
  return segment;
}

/**
 * The captured JPEG of an image the PDF declares as `width` x `height` (8-bit RGB, the only kind pdf.js hands over),
 * ready for an engine that reads it at `dpi`: the JFIF density set to `dpi` (a JFIF header added when there is
 * none). Null when it is not one the engine reads as pdf.js would: another size than declared, not three components,
 * an Adobe colour marker, or the component ids R, G, B, which pdf.js reads as RGB and the engine, with a JFIF header,
 * as YCbCr (any other ids both read as YCbCr).
 */
export function jpegForEngine(bytes: Uint8Array, width: number, height: number, dpi: number): Buffer | null {
  const frame = readJpegFrame(bytes);
  if (!frame || frame.width !== width || frame.height !== height || frame.components.length !== 3 || frame.adobe) return null;
  if (frame.components.join() === RGB_IDS || !Number.isInteger(dpi) || dpi < 1 || dpi > 0xffff) return null;
  if (frame.jfifAt === null) {
    return Buffer.concat([bytes.subarray(0, 2), jfifSegment(dpi), bytes.subarray(2)]);
  }
  const out = Buffer.from(bytes);
  const units = frame.jfifAt + 4 + 7;
  out[units] = 1; // dots per inch
  out.writeUInt16BE(dpi, units + 1);
  out.writeUInt16BE(dpi, units + 3);
  return out;
}
