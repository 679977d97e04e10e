// A file that sniffs as PDF (starts with %PDF-1.4) but whose structure is cut off and followed by noise:
// no xref, no trailer, an unterminated object. pdf.js rejects it with InvalidPDFException.

/** Deterministic noise (xorshift32) so the fixture is byte-identical on every run. */
export function noise(length, seed) {
  const out = Buffer.alloc(length);
  let x = seed >>> 0;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

export function buildCorruptPdf() {
  const truncated =
    '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n' +
    '2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Cou';
  return Buffer.concat([Buffer.from(truncated, 'latin1'), noise(1024, 0x0c0ffee)]);
}
