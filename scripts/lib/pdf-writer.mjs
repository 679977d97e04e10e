// Minimal PDF writer: numbered objects, a classic xref table with exact byte offsets and a trailer,
// optionally encrypted with the Standard security handler (see rc4-encrypt.mjs and aes-encrypt.mjs).
//
// Value mapping: JS string -> name, Buffer/Uint8Array -> string, number/boolean/null as is, array -> array,
// plain object -> dictionary, PdfRef -> indirect reference, PdfStream -> stream (top level only).

export class PdfRef {
  constructor(number) {
    this.number = number;
  }
}

export class PdfStream {
  constructor(dictionary, data) {
    this.dictionary = dictionary;
    this.data = Buffer.from(data);
  }
}

/** A PDF text string from Latin-1 text. */
export const pdfString = (text) => Buffer.from(text, 'latin1');

/** Escapes a string for a literal `( )` string inside a content stream. */
export function escapeLiteral(text) {
  return text.replace(/[\\()]/g, (c) => `\\${c}`);
}

function formatNumber(value) {
  if (Number.isInteger(value)) return String(value);
  return value.toFixed(4).replace(/\.?0+$/, '');
}

/** Printable text as a literal `( )` string; anything binary (keys, IDs) as a hex string. */
function formatBytes(bytes) {
  const printable = bytes.every((byte) => byte >= 0x20 && byte < 0x7f);
  if (!printable) return `<${Buffer.from(bytes).toString('hex')}>`;
  return `(${escapeLiteral(Buffer.from(bytes).toString('latin1'))})`;
}

/** `encryptString`, when given, turns a string's bytes into the bytes to store. */
function serialize(value, encryptString) {
  if (value === null) return 'null';
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return `/${value}`;
  if (value instanceof PdfRef) return `${value.number} 0 R`;
  if (value instanceof Uint8Array) return formatBytes(encryptString ? encryptString(value) : value);
  if (Array.isArray(value)) return `[${value.map((v) => serialize(v, encryptString)).join(' ')}]`;
  if (value instanceof PdfStream) throw new Error('streams must be top-level objects');
  const entries = Object.entries(value).map(([key, v]) => `/${key} ${serialize(v, encryptString)}`);
  return `<< ${entries.join(' ')} >>`;
}

export class PdfWriter {
  #objects = [];

  /** Allocates an object number to fill in later with `set`, so objects can refer to each other. */
  reserve() {
    this.#objects.push(undefined);
    return new PdfRef(this.#objects.length);
  }

  set(ref, value) {
    this.#objects[ref.number - 1] = value;
  }

  add(value) {
    const ref = this.reserve();
    this.set(ref, value);
    return ref;
  }

  /**
   * Serialises the file. `fileId` (16 bytes) goes into the trailer /ID; `security` is the result of
   * createStandardSecurity() or createCryptFilterSecurity() and must have been built with the same `fileId`;
   * `version` is the header's PDF version.
   */
  toBuffer({ root, info, fileId, security, version = '1.4' }) {
    const objects = [...this.#objects];
    let encryptRef;
    if (security) {
      objects.push(security.dictionary);
      encryptRef = new PdfRef(objects.length);
    }
    const chunks = [Buffer.from(`%PDF-${version}\n%\xe2\xe3\xcf\xd3\n`, 'latin1')];
    let offset = chunks[0].length;
    const offsets = [];
    objects.forEach((value, index) => {
      const number = index + 1;
      if (value === undefined) throw new Error(`object ${number} was reserved but never set`);
      const encrypt = security && number !== encryptRef.number ? objectEncryption(security, number) : undefined;
      const body = serializeObject(value, encrypt);
      const chunk = Buffer.concat([Buffer.from(`${number} 0 obj\n`, 'latin1'), body, Buffer.from('\nendobj\n')]);
      offsets.push(offset);
      chunks.push(chunk);
      offset += chunk.length;
    });
    const xref = [`xref\n0 ${objects.length + 1}\n`, '0000000000 65535 f \n'];
    for (const at of offsets) xref.push(`${String(at).padStart(10, '0')} 00000 n \n`);
    const trailer = { Size: objects.length + 1, Root: root };
    if (info) trailer.Info = info;
    if (fileId) trailer.ID = [fileId, fileId];
    if (encryptRef) trailer.Encrypt = encryptRef;
    // Trailer strings (the /ID) are never encrypted.
    xref.push(`trailer\n${serialize(trailer)}\nstartxref\n${offset}\n%%EOF\n`);
    chunks.push(Buffer.from(xref.join(''), 'latin1'));
    return Buffer.concat(chunks);
  }
}

/**
 * One object's encryptors: `string(data)` and `stream(data, dictionary)`. A security handler either has one
 * `encrypt` for both (RC4) or separate `encryptString` and `encryptStream` (crypt filters, where each may differ).
 */
function objectEncryption(security, number) {
  if (security.encrypt) {
    const encrypt = (data) => security.encrypt(number, 0, data);
    return { string: encrypt, stream: encrypt };
  }
  return {
    string: (data) => security.encryptString(number, 0, data),
    stream: (data, dictionary) => security.encryptStream(number, 0, data, dictionary),
  };
}

function serializeObject(value, encrypt) {
  if (!(value instanceof PdfStream)) return Buffer.from(serialize(value, encrypt?.string), 'latin1');
  const data = encrypt ? encrypt.stream(value.data, value.dictionary) : value.data;
  const dictionary = serialize({ ...value.dictionary, Length: data.length }, encrypt?.string);
  return Buffer.concat([
    Buffer.from(`${dictionary}\nstream\n`, 'latin1'),
    data,
    Buffer.from('\nendstream', 'latin1'),
  ]);
}
