import { describe, expect, it } from 'vitest';
import { installJpegCapture, jpegForEngine, readJpegFrame } from '../../src/documents/scan-jpeg.js';
import { drawText } from '../targets/local/make-image.js';
import { buildPdf } from '../targets/local/make-pdf.js';

// Before pdf.js loads, as in a document worker: it reads whether an ImageDecoder exists as it loads.
installJpegCapture();
const { PdfDocument } = await import('../../src/documents/pdf.js');

/** 600 x 300 px: a 300 dpi scan of a 2 x 1 in page. */
const drawn = drawText(['Scanned words 42'], 600, 150);
const jpegBytes = drawn.encode('jpeg');
const jpeg = { data: jpegBytes, width: drawn.width, height: drawn.height };

/** Offset of the first segment with `marker` before the frame header, or -1. */
function segmentAt(bytes: Uint8Array, marker: number): number {
  for (let at = 2; at + 4 <= bytes.length; at += 2 + ((bytes[at + 2] << 8) | bytes[at + 3])) {
    if (bytes[at + 1] === marker) return at;
    if (bytes[at + 1] === 0xc0 || bytes[at + 1] === 0xc2) return -1;
  }
  return -1;
}

/** The JPEG without its JFIF APP0 segment. */
function withoutJfif(bytes: Buffer): Buffer {
  const at = segmentAt(bytes, 0xe0);
  return at < 0 ? bytes : Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 2 + bytes.readUInt16BE(at + 2))]);
}

/** The JPEG with a segment inserted right after its SOI. */
const withSegment = (bytes: Buffer, segment: Buffer): Buffer => Buffer.concat([bytes.subarray(0, 2), segment, bytes.subarray(2)]);
const ADOBE = Buffer.from([0xff, 0xee, 0x00, 0x0e, 0x41, 0x64, 0x6f, 0x62, 0x65, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00, 0x01]);

/** The density fields of the JPEG's JFIF header: [units, x, y]. */
function density(bytes: Buffer): [number, number, number] {
  const at = segmentAt(bytes, 0xe0) + 4 + 7;
  return [bytes[at], bytes.readUInt16BE(at + 1), bytes.readUInt16BE(at + 3)];
}

describe('a JPEG for the engine', () => {
  it('reads the frame header: size, component ids, JFIF header', () => {
    expect(readJpegFrame(jpegBytes)).toMatchObject({ width: 600, height: 300, components: [1, 2, 3], adobe: false, jfifAt: 2 });
    expect(readJpegFrame(withoutJfif(jpegBytes))).toMatchObject({ width: 600, height: 300, jfifAt: null });
    expect(readJpegFrame(withSegment(jpegBytes, ADOBE))).toMatchObject({ adobe: true });
  });

  it('sets the JFIF density to the dpi, adding a JFIF header when there is none', () => {
    const ready = jpegForEngine(jpegBytes, 600, 300, 300)!;
    expect(ready.length).toBe(jpegBytes.length);
    expect(density(ready)).toEqual([1, 300, 300]);
    const added = jpegForEngine(withoutJfif(jpegBytes), 600, 300, 250)!;
    expect(readJpegFrame(added)).toMatchObject({ width: 600, height: 300, jfifAt: 2 });
    expect(density(added)).toEqual([1, 250, 250]);
  });

  it('refuses what the engine would not read as pdf.js does, or as the PDF declares it', () => {
    expect(jpegForEngine(jpegBytes, 601, 300, 300)).toBeNull();
    expect(jpegForEngine(jpegBytes, 600, 300, 0)).toBeNull();
    expect(jpegForEngine(withSegment(jpegBytes, ADOBE), 600, 300, 300)).toBeNull();
    // Component ids R, G, B: RGB to pdf.js, YCbCr to the engine under a JFIF header.
    const rgbIds = Buffer.from(jpegBytes);
    const sof = segmentAt(rgbIds, 0xc0);
    [0x52, 0x47, 0x42].forEach((id, i) => (rgbIds[sof + 4 + 6 + 3 * i] = id));
    expect(readJpegFrame(rgbIds)?.components).toEqual([0x52, 0x47, 0x42]);
    expect(jpegForEngine(rgbIds, 600, 300, 300)).toBeNull();
    // 12-bit samples, an arithmetic-coded frame.
    const twelveBit = Buffer.from(jpegBytes);
    twelveBit[sof + 4] = 12;
    expect(readJpegFrame(twelveBit)).toBeNull();
    const arithmetic = Buffer.from(jpegBytes);
    arithmetic[sof + 1] = 0xc9;
    expect(readJpegFrame(arithmetic)).toBeNull();
  });

  it('refuses malformed markers without reading past the bytes', () => {
    expect(readJpegFrame(Buffer.alloc(0))).toBeNull();
    expect(readJpegFrame(Buffer.from([0xff, 0xd8]))).toBeNull();
    expect(readJpegFrame(jpegBytes.subarray(0, segmentAt(jpegBytes, 0xc0) + 6))).toBeNull();
    expect(readJpegFrame(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0xff, 0xff]))).toBeNull();
    expect(readJpegFrame(Buffer.from([0xff, 0xd8, 0xff, 0xda, 0x00, 0x02, 0xff, 0xd9]))).toBeNull();
    expect(readJpegFrame(Buffer.from([0xff, 0xd8, 0x12, 0x34, 0x00, 0x02]))).toBeNull();
    const lengthTooShort = Buffer.from(jpegBytes);
    lengthTooShort.writeUInt16BE(1, 4);
    expect(readJpegFrame(lengthTooShort)).toBeNull();
  });
});

describe('a scanned page handed over as its own JPEG', () => {
  async function scanOf(page: Parameters<typeof buildPdf>[0][number], dpi = 300) {
    const pdf = await PdfDocument.open(buildPdf([page]), 'scan.pdf');
    try {
      const scan = await pdf.scannedPage(1, dpi, 1e8, { jpeg: true });
      // Whatever was captured, the page still draws on a canvas.
      const rendered = await pdf.renderPageGray(1, 72, 1e8);
      expect(rendered.pixels.some((v) => v < 128)).toBe(true);
      return scan;
    } finally {
      await pdf.close();
    }
  }

  it('comes as the stored bytes, with the dpi in their JFIF header, for one JPEG covering the page', async () => {
    const scan = await scanOf({ jpeg, size: [144, 72] });
    expect(scan && 'jpeg' in scan).toBe(true);
    const bytes = (scan as { jpeg: Buffer }).jpeg;
    expect(bytes.length).toBe(jpegBytes.length);
    expect(density(bytes)).toEqual([1, 300, 300]);
    expect(bytes.subarray(segmentAt(bytes, 0xdb)).equals(jpegBytes.subarray(segmentAt(jpegBytes, 0xdb)))).toBe(true);
    // Without `jpeg`, the same page comes as pixels.
    const pdf = await PdfDocument.open(buildPdf([{ jpeg, size: [144, 72] }]), 'scan.pdf');
    try {
      expect(await pdf.scannedPage(1, 300, 1e8)).toMatchObject({ gray: { width: 600, height: 300 } });
    } finally {
      await pdf.close();
    }
  });

  it('comes as pixels, or not at all, for what the engine must not read from the bytes', async () => {
    // A soft mask or a decode array changes the pixels: pdf.js decodes them itself.
    expect(await scanOf({ jpeg, size: [144, 72], softMask: true })).toMatchObject({ gray: { width: 600, height: 300 } });
    const inverted = await scanOf({ jpeg, size: [144, 72], imageEntries: '/Decode [1 0 1 0 1 0]' });
    expect(inverted).toMatchObject({ gray: { width: 600, height: 300 } });
    // A turned page, an image not covering the page, another dpi: drawn on a canvas.
    expect(await scanOf({ jpeg, size: [144, 72], rotate: 90 })).toBeNull();
    expect(await scanOf({ jpeg, size: [288, 144], place: [0, 0, 144, 72] })).toBeNull();
    expect(await scanOf({ jpeg, size: [144, 72] }, 200)).toBeNull();
    // Bytes captured but refused (an Adobe colour marker): the page is drawn from a fresh decode.
    expect(await scanOf({ jpeg: { ...jpeg, data: withSegment(jpegBytes, ADOBE) }, size: [144, 72] })).toBeNull();
    // A JPEG whose frame is not the size the PDF declares.
    expect(await scanOf({ jpeg: { ...jpeg, width: 300, height: 150 }, size: [72, 36] })).toBeNull();
  });
});
