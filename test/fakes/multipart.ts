/**
 * A small multipart/form-data parser (RFC 7578) for the fakes: the whole body is in memory already.
 * Returns null on anything malformed, so a fake can answer its provider's 400/422.
 */

export interface MultipartPart {
  name: string;
  filename?: string;
  /** The part's Content-Type, absent when the client sent none. */
  contentType?: string;
  headers: Record<string, string>;
  data: Buffer;
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/** The boundary of a multipart/form-data Content-Type, or null when it is not one. */
export function parseBoundary(contentType: string | undefined): string | null {
  if (!contentType || !/^multipart\/form-data\s*;/i.test(contentType)) return null;
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  return boundary && boundary.length <= 70 ? boundary : null;
}

export function parseMultipart(body: Buffer, boundary: string): MultipartPart[] | null {
  const delimiter = Buffer.from(`--${boundary}`);
  const next = Buffer.from(`\r\n--${boundary}`);
  // The first delimiter may follow a preamble, which is ignored.
  let pos = body.subarray(0, delimiter.length).equals(delimiter) ? 0 : body.indexOf(next);
  if (pos < 0) return null;
  if (pos > 0) pos += CRLF.length;
  const parts: MultipartPart[] = [];
  for (;;) {
    pos += delimiter.length;
    if (body.subarray(pos, pos + 2).toString() === '--') return parts;
    // Transport padding (spaces/tabs) may precede the line break.
    while (body[pos] === 0x20 || body[pos] === 0x09) pos++;
    if (!body.subarray(pos, pos + 2).equals(CRLF)) return null;
    pos += 2;
    const headerEnd = body.indexOf(HEADER_END, pos);
    if (headerEnd < 0) return null;
    const headers = parseHeaders(body.subarray(pos, headerEnd).toString('utf8'));
    const dataStart = headerEnd + HEADER_END.length;
    const dataEnd = body.indexOf(next, dataStart);
    if (dataEnd < 0) return null;
    const disposition = parseDisposition(headers['content-disposition']);
    if (!disposition) return null;
    parts.push({
      ...disposition,
      contentType: headers['content-type'],
      headers,
      data: body.subarray(dataStart, dataEnd),
    });
    pos = dataEnd + CRLF.length;
  }
}

function parseHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

function parseDisposition(value: string | undefined): { name: string; filename?: string } | null {
  if (!value || !/^form-data\b/i.test(value)) return null;
  const params = new Map<string, string>();
  const re = /;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (let m = re.exec(value); m; m = re.exec(value)) {
    const raw = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3].trim();
    params.set(m[1].toLowerCase(), raw);
  }
  const name = params.get('name');
  if (name === undefined) return null;
  const extended = params.get('filename*');
  let filename = params.get('filename');
  if (extended) {
    // RFC 5987: charset'lang'percent-encoded
    const m = /^[^']*'[^']*'(.*)$/.exec(extended);
    if (m) {
      try {
        filename = decodeURIComponent(m[1]);
      } catch {
        /* keep the plain filename */
      }
    }
  }
  return filename === undefined ? { name } : { name, filename };
}

/** The UTF-8 text of the first part called `name`. */
export function textField(parts: MultipartPart[], name: string): string | undefined {
  return parts.find((p) => p.name === name)?.data.toString('utf8');
}
