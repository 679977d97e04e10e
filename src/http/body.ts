/**
 * Request bodies built as streams of the document's own bytes, so a 50 MB upload is not copied into a second buffer
 * (multipart framing, or base64 inside JSON, is produced chunk by chunk). Each body is a factory: a retry calls it
 * again and sends identical bytes. A small body is also assembled once in memory (`bytes`) and sent in one write,
 * which costs far less per request than a stream.
 */
import { randomUUID } from 'node:crypto';

export interface RequestBody {
  contentType: string;
  length: number;
  /** The whole body, when it is held in memory; sent as is on every attempt. */
  bytes?: Uint8Array;
  /** Called once per attempt. */
  stream(): AsyncIterable<Uint8Array>;
}

/** Bodies up to this size are assembled in memory; larger ones are only streamed. */
export const IN_MEMORY_BODY_BYTES = 1024 * 1024;

export type FormPart = { name: string; value: string } | { name: string; filename: string; contentType: string; data: Uint8Array };

/** Base64 is produced in slices of this many input bytes (a multiple of 3, so slices concatenate cleanly). */
const BASE64_SLICE = 3 * 256 * 1024;

export function multipartBody(parts: FormPart[]): RequestBody {
  // randomUUID draws from a cached entropy pool: cheaper per request than randomBytes.
  const boundary = `----ocrq${randomUUID()}`;
  const chunks: Array<Buffer | Uint8Array> = [];
  for (const part of parts) {
    if ('data' in part) {
      chunks.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${quote(part.name)}"; filename="${quote(part.filename)}"\r\n` +
            `Content-Type: ${part.contentType}\r\n\r\n`,
        ),
        part.data,
        Buffer.from('\r\n'),
      );
    } else {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${quote(part.name)}"\r\n\r\n${part.value}\r\n`));
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return chunkedBody(`multipart/form-data; boundary=${boundary}`, chunks);
}

/** A body made of `chunks`, assembled into one buffer when small. */
function chunkedBody(contentType: string, chunks: Array<Buffer | Uint8Array>): RequestBody {
  const length = chunks.reduce((n, c) => n + c.byteLength, 0);
  if (length <= IN_MEMORY_BODY_BYTES) return bytesBody(Buffer.concat(chunks, length), contentType);
  return {
    contentType,
    length,
    async *stream() {
      yield* chunks;
    },
  };
}

/** Form-data names and file names are quoted strings: escape what would end them or break the header line. */
function quote(text: string): string {
  return text.replace(/["\\\r\n]/g, (c) => encodeURIComponent(c));
}

/**
 * A JSON object with one field holding `data` as base64, streamed: `{...fields, "<field>": "<base64>"}`.
 * Field names and values other than the document are serialised normally.
 */
export function jsonBase64Body(fields: Record<string, unknown>, field: string, data: Uint8Array): RequestBody {
  const head = JSON.stringify(fields);
  const open = Buffer.from(`${head.slice(0, -1)}${head.length > 2 ? ',' : ''}${JSON.stringify(field)}:"`);
  const close = Buffer.from('"}');
  const b64Length = Math.ceil(data.byteLength / 3) * 4;
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (open.length + b64Length + close.length <= IN_MEMORY_BODY_BYTES) return chunkedBody('application/json', [open, Buffer.from(buf.toString('base64')), close]);
  return {
    contentType: 'application/json',
    length: open.length + b64Length + close.length,
    async *stream() {
      yield open;
      for (let i = 0; i < buf.length; i += BASE64_SLICE) yield Buffer.from(buf.subarray(i, i + BASE64_SLICE).toString('base64'));
      yield close;
    },
  };
}

export function jsonBody(value: unknown): RequestBody {
  return bytesBody(Buffer.from(JSON.stringify(value)), 'application/json');
}

/** The document's own bytes, whatever their size: holding them is no copy. */
export function rawBody(data: Uint8Array, contentType = 'application/octet-stream'): RequestBody {
  return bytesBody(data, contentType);
}

function bytesBody(bytes: Uint8Array, contentType: string): RequestBody {
  return {
    contentType,
    length: bytes.byteLength,
    bytes,
    async *stream() {
      yield bytes;
    },
  };
}
