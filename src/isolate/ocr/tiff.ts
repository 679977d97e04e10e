/**
 * The header of an uncompressed 8-bit grayscale TIFF carrying its resolution: a rendered page handed to the system's
 * tesseract with the dpi it was rendered at, since one long-lived tesseract process reads pages of any dpi (native.ts).
 * The pixels follow the header as they are, so a page is written without copying or compressing it.
 */

const TAGS = 12;
const IFD_OFFSET = 8;
const IFD_BYTES = 2 + TAGS * 12 + 4;
const RATIONALS_OFFSET = IFD_OFFSET + IFD_BYTES;
/** Where the pixels start: after the header, the directory and two resolution rationals. */
export const TIFF_HEADER_BYTES = RATIONALS_OFFSET + 16;

const SHORT = 3;
const LONG = 4;
const RATIONAL = 5;

/** Header and directory of a `width` x `height` grayscale TIFF at `dpi`, to be followed by its pixels, row by row. */
export function grayTiffHeader(width: number, height: number, dpi: number): Buffer {
  const out = Buffer.alloc(TIFF_HEADER_BYTES);
  out.write('II', 0, 'latin1');
  out.writeUInt16LE(42, 2);
  out.writeUInt32LE(IFD_OFFSET, 4);
  out.writeUInt16LE(TAGS, IFD_OFFSET);
  let at = IFD_OFFSET + 2;
  const entry = (tag: number, type: number, value: number): void => {
    out.writeUInt16LE(tag, at);
    out.writeUInt16LE(type, at + 2);
    out.writeUInt32LE(1, at + 4);
    if (type === SHORT) out.writeUInt16LE(value, at + 8);
    else out.writeUInt32LE(value, at + 8);
    at += 12;
  };
  entry(256, LONG, width); // ImageWidth
  entry(257, LONG, height); // ImageLength
  entry(258, SHORT, 8); // BitsPerSample
  entry(259, SHORT, 1); // Compression: none
  entry(262, SHORT, 1); // PhotometricInterpretation: BlackIsZero
  entry(273, LONG, TIFF_HEADER_BYTES); // StripOffsets
  entry(277, SHORT, 1); // SamplesPerPixel
  entry(278, LONG, height); // RowsPerStrip: one strip
  entry(279, LONG, width * height); // StripByteCounts
  entry(282, RATIONAL, RATIONALS_OFFSET); // XResolution
  entry(283, RATIONAL, RATIONALS_OFFSET + 8); // YResolution
  entry(296, SHORT, 2); // ResolutionUnit: inch
  out.writeUInt32LE(0, at); // no further directory
  const resolution = Math.max(1, Math.round(dpi));
  for (const offset of [RATIONALS_OFFSET, RATIONALS_OFFSET + 8]) {
    out.writeUInt32LE(resolution, offset);
    out.writeUInt32LE(1, offset + 4);
  }
  return out;
}
