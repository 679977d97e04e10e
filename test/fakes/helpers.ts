import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { FakeRequest, FakeResponse } from './types.js';

export function json(status: number, body: unknown, headers?: Record<string, string>): FakeResponse {
  return headers ? { status, body, headers } : { status, body };
}

export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** The request body as a JSON value; undefined when it is not JSON (or not declared as JSON). */
export function readJson(req: FakeRequest): unknown {
  const type = header(req.headers, 'content-type') ?? '';
  if (!/^application\/(?:[\w.+-]*\+)?json\b/i.test(type)) return undefined;
  try {
    return JSON.parse(req.body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export type BearerResult = { kind: 'missing' } | { kind: 'malformed' } | { kind: 'token'; token: string };

export function bearerToken(headers: IncomingHttpHeaders): BearerResult {
  const value = header(headers, 'authorization');
  if (value === undefined || value.trim() === '') return { kind: 'missing' };
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(value);
  return m ? { kind: 'token', token: m[1] } : { kind: 'malformed' };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict standard base64 (line breaks tolerated); null when the text is not base64. */
export function decodeBase64(text: string): Buffer | null {
  const compact = text.replace(/[\r\n]/g, '');
  return BASE64.test(compact) ? Buffer.from(compact, 'base64') : null;
}

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

export function iso(date: Date | undefined): string | null {
  return date ? date.toISOString() : null;
}

/** A request id in the style many APIs put on error responses. */
export function requestId(): string {
  return `req_${randomHex(8)}`;
}
