import { createHash } from 'node:crypto';

/** Minimal PDF writer for tests: text pages (Helvetica), full-page JPEG pages, optional RC4 user password. */
export interface PdfPageSpec {
  /** Lines drawn with a standard font: a real text layer. */
  lines?: string[];
  /** A JPEG drawn over the whole page: a scanned page. */
  jpeg?: { data: Buffer; width: number; height: number };
  /** Where the JPEG is drawn instead, in points: [x, y, width, height] from the bottom left. */
  place?: [number, number, number, number];
  /** Page size in points; default US Letter. */
  size?: [number, number];
  /** The page's /Rotate. */
  rotate?: number;
  /** Entries added to the JPEG's image dictionary, as PDF source (`/Decode [1 0 1 0 1 0]`, say). */
  imageEntries?: string;
  /** A soft mask over the JPEG: 8-bit grey, all opaque, at the JPEG's size. */
  softMask?: boolean;
  /** The JPEG's colour space; default DeviceRGB. */
  colorSpace?: string;
}

const PASSWORD_PAD = Buffer.from(
  '28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a',
  'hex',
);

function rc4(key: Buffer, data: Buffer): Buffer {
  const s = Array.from({ length: 256 }, (_, i) => i);
  let j = 0;
  for (let i = 0; i < 256; i++) {
    j = (j + s[i] + key[i % key.length]) & 255;
    [s[i], s[j]] = [s[j], s[i]];
  }
  const out = Buffer.alloc(data.length);
  let i = 0;
  j = 0;
  for (let k = 0; k < data.length; k++) {
    i = (i + 1) & 255;
    j = (j + s[i]) & 255;
    [s[i], s[j]] = [s[j], s[i]];
    out[k] = data[k] ^ s[(s[i] + s[j]) & 255];
  }
  return out;
}

const md5 = (...parts: Buffer[]): Buffer => createHash('md5').update(Buffer.concat(parts)).digest();
const pad = (password: string): Buffer =>
  Buffer.concat([Buffer.from(password, 'latin1'), PASSWORD_PAD]).subarray(0, 32);

interface Encryption {
  fileKey: Buffer;
  dict: string;
  id: Buffer;
}

/** Standard security handler, revision 2 (40-bit RC4): old, but every reader must still support it. */
function makeEncryption(userPassword: string): Encryption {
  const id = createHash('md5').update('ocrq-test').digest();
  const permissions = Buffer.alloc(4);
  permissions.writeInt32LE(-4);
  const owner = rc4(md5(pad('owner-secret')).subarray(0, 5), pad(userPassword));
  const fileKey = md5(pad(userPassword), owner, permissions, id).subarray(0, 5);
  const user = rc4(fileKey, PASSWORD_PAD);
  const dict = `<< /Filter /Standard /V 1 /R 2 /O <${owner.toString('hex')}> /U <${user.toString('hex')}> /P -4 >>`;
  return { fileKey, dict, id };
}

function objectKey(fileKey: Buffer, num: number): Buffer {
  const suffix = Buffer.from([num & 255, (num >> 8) & 255, (num >> 16) & 255, 0, 0]);
  return md5(fileKey, suffix).subarray(0, fileKey.length + 5);
}

const escapeText = (s: string): string => s.replace(/[\\()]/g, (c) => `\\${c}`);

export function buildPdf(pages: PdfPageSpec[], options: { userPassword?: string } = {}): Buffer {
  const enc = options.userPassword === undefined ? null : makeEncryption(options.userPassword);
  const objects: Buffer[] = [];
  const add = (body: Buffer | string): number => {
    objects.push(Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1'));
    return objects.length;
  };
  const stream = (dict: string, data: Buffer): number => {
    const num = objects.length + 1;
    const payload = enc ? rc4(objectKey(enc.fileKey, num), data) : data;
    return add(
      Buffer.concat([
        Buffer.from(`<< ${dict} /Length ${payload.length} >>\nstream\n`, 'latin1'),
        payload,
        Buffer.from('\nendstream', 'latin1'),
      ]),
    );
  };

  const catalog = add('<< /Type /Catalog /Pages 2 0 R >>');
  add(''); // pages tree, filled in below once the kids are known
  const font = add('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  const kids: number[] = [];
  for (const page of pages) {
    const [w, h] = page.size ?? [612, 792];
    const resources: string[] = [`/Font << /F1 ${font} 0 R >>`];
    let content = '';
    if (page.jpeg) {
      const { width: jw, height: jh } = page.jpeg;
      const mask = page.softMask
        ? stream(`/Type /XObject /Subtype /Image /Width ${jw} /Height ${jh} /ColorSpace /DeviceGray /BitsPerComponent 8`, Buffer.alloc(jw * jh, 255))
        : null;
      const img = stream(
        `/Type /XObject /Subtype /Image /Width ${jw} /Height ${jh} ` +
          `/ColorSpace /${page.colorSpace ?? 'DeviceRGB'} /BitsPerComponent 8 /Filter /DCTDecode` +
          (mask ? ` /SMask ${mask} 0 R` : '') +
          (page.imageEntries ? ` ${page.imageEntries}` : ''),
        page.jpeg.data,
      );
      resources.push(`/XObject << /Im1 ${img} 0 R >>`);
      const [x, y, iw, ih] = page.place ?? [0, 0, w, h];
      content += `q ${iw} 0 0 ${ih} ${x} ${y} cm /Im1 Do Q\n`;
    }
    if (page.lines?.length) {
      content += 'BT /F1 14 Tf 72 ' + (h - 72) + ' Td 20 TL\n';
      for (const line of page.lines) content += `(${escapeText(line)}) Tj T*\n`;
      content += 'ET\n';
    }
    const contents = stream('', Buffer.from(content, 'latin1'));
    kids.push(
      add(
        `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${w} ${h}]${page.rotate ? ` /Rotate ${page.rotate}` : ''} /Resources << ${resources.join(' ')} >> ` +
          `/Contents ${contents} 0 R >>`,
      ),
    );
  }
  objects[1] = Buffer.from(
    `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${kids.length} >>`,
    'latin1',
  );
  const encryptRef = enc ? add(enc.dict) : null;

  const chunks: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let offset = chunks[0].length;
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(offset);
    const chunk = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`, 'latin1'), body, Buffer.from('\nendobj\n', 'latin1')]);
    chunks.push(chunk);
    offset += chunk.length;
  });
  let xref = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) xref += `${String(o).padStart(10, '0')} 00000 n \n`;
  const idHex = enc ? enc.id.toString('hex') : createHash('md5').update(String(pages.length)).digest('hex');
  xref +=
    `trailer\n<< /Size ${objects.length + 1} /Root ${catalog} 0 R /ID [<${idHex}> <${idHex}>]` +
    (encryptRef ? ` /Encrypt ${encryptRef} 0 R` : '') +
    ` >>\nstartxref\n${offset}\n%%EOF\n`;
  chunks.push(Buffer.from(xref, 'latin1'));
  return Buffer.concat(chunks);
}
