// Hand-written encoders for the uncompressed raster formats canvas cannot produce.

const DPI = 300;

/**
 * Baseline TIFF: little-endian, one strip, 8-bit grayscale (BlackIsZero), no compression.
 * `image` is { width, height, data } with one byte per pixel.
 */
export function encodeTiffGray({ width, height, data }) {
  const entries = [
    [256, 3, width], // ImageWidth
    [257, 3, height], // ImageLength
    [258, 3, 8], // BitsPerSample
    [259, 3, 1], // Compression: none
    [262, 3, 1], // PhotometricInterpretation: BlackIsZero
    [273, 4, 0], // StripOffsets (patched below)
    [277, 3, 1], // SamplesPerPixel
    [278, 3, height], // RowsPerStrip
    [279, 4, data.length], // StripByteCounts
    [282, 5, 0], // XResolution (offset patched below)
    [283, 5, 0], // YResolution
    [296, 3, 2], // ResolutionUnit: inch
  ];
  const headerSize = 8;
  const ifdSize = 2 + entries.length * 12 + 4;
  const rationalOffset = headerSize + ifdSize;
  const pixelOffset = rationalOffset + 16;
  const out = Buffer.alloc(pixelOffset + data.length);
  out.write('II', 0, 'latin1');
  out.writeUInt16LE(42, 2);
  out.writeUInt32LE(headerSize, 4);
  out.writeUInt16LE(entries.length, headerSize);
  entries.forEach(([tag, type, value], i) => {
    const at = headerSize + 2 + i * 12;
    if (tag === 273) value = pixelOffset;
    if (tag === 282) value = rationalOffset;
    if (tag === 283) value = rationalOffset + 8;
    out.writeUInt16LE(tag, at);
    out.writeUInt16LE(type, at + 2);
    out.writeUInt32LE(1, at + 4);
    if (type === 3) out.writeUInt16LE(value, at + 8);
    else out.writeUInt32LE(value, at + 8);
  });
  out.writeUInt32LE(0, headerSize + ifdSize - 4); // no next IFD
  for (const at of [rationalOffset, rationalOffset + 8]) {
    out.writeUInt32LE(DPI, at);
    out.writeUInt32LE(1, at + 4);
  }
  Buffer.from(data.buffer, data.byteOffset, data.length).copy(out, pixelOffset);
  return out;
}

/**
 * 24-bit Windows BMP (BITMAPINFOHEADER, BI_RGB): rows bottom-up, BGR, each row padded to 4 bytes.
 * `image` is { width, height, data } with RGBA pixels.
 */
export function encodeBmp24({ width, height, data }) {
  const rowSize = Math.ceil((width * 3) / 4) * 4;
  const pixelOffset = 14 + 40;
  const out = Buffer.alloc(pixelOffset + rowSize * height);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(pixelOffset, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22);
  out.writeUInt16LE(1, 26); // planes
  out.writeUInt16LE(24, 28); // bits per pixel
  out.writeUInt32LE(0, 30); // BI_RGB
  out.writeUInt32LE(rowSize * height, 34);
  const pixelsPerMetre = Math.round(DPI / 0.0254);
  out.writeInt32LE(pixelsPerMetre, 38);
  out.writeInt32LE(pixelsPerMetre, 42);
  for (let y = 0; y < height; y++) {
    const row = pixelOffset + (height - 1 - y) * rowSize;
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 4;
      out[row + x * 3] = data[p + 2];
      out[row + x * 3 + 1] = data[p + 1];
      out[row + x * 3 + 2] = data[p];
    }
  }
  return out;
}
