/** Reading a delivery request and answering it: head checks, a capped body, JSON answers, closing safely. */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** How long a connection refused mid-body is kept half-closed, discarding input, so the sender reads the answer. */
export const LINGER_MS = 2_000;

const JSON_TYPES = /^(application\/([\w.+-]+\+)?json|text\/plain)$/;

/** Checks made on the head alone, before a byte of the body is read. */
export function checkHead(req: IncomingMessage, maxBodyBytes: number): { status: number; reason: string } | null {
  const encoding = req.headers['content-encoding']?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') return { status: 415, reason: `Content-Encoding ${encoding.slice(0, 40)} not accepted` };
  const type = req.headers['content-type']?.split(';')[0].trim().toLowerCase();
  if (type && !JSON_TYPES.test(type)) return { status: 415, reason: `Content-Type ${type.slice(0, 60)} not accepted` };
  const length = req.headers['content-length'];
  if (length !== undefined && Number(length) > maxBodyBytes) return { status: 413, reason: `Content-Length ${length} over ${maxBodyBytes} bytes` };
  return null;
}

export function bodyPending(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/** Body bytes held in memory by all requests being handled, and how many they may hold together. */
export interface BodyPool {
  held: number;
  max: number;
}

/**
 * The body, or why there is none; stops buffering at `max`, or when all requests together would hold more than the
 * pool allows. `held.bytes` is what this request took from the pool; the caller gives it back when done.
 */
export function readBody(req: IncomingMessage, max: number, pool: BodyPool, held: { bytes: number }): Promise<Buffer | 'too-large' | 'busy' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (value: Buffer | 'too-large' | 'busy' | 'aborted'): void => {
      req.off('data', onData).off('end', onEnd).off('close', onClose);
      resolve(value);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > max) return finish('too-large');
      if (pool.held + chunk.length > pool.max) return finish('busy');
      pool.held += chunk.length;
      held.bytes += chunk.length;
      chunks.push(chunk);
    };
    const onEnd = (): void => finish(Buffer.concat(chunks, size));
    const onClose = (): void => finish(req.complete ? Buffer.concat(chunks, size) : 'aborted');
    req.on('data', onData).on('end', onEnd).on('close', onClose);
  });
}

/** JSON.parse over the body as UTF-8, without a leading byte order mark; undefined when it is not JSON. */
export function parseJson(body: Buffer): unknown {
  const text = body.toString('utf8');
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as unknown;
  } catch {
    return undefined;
  }
}

export function publicReason(status: number): string {
  switch (status) {
    case 401:
      return 'signature missing or invalid';
    case 405:
      return 'only POST is accepted';
    case 413:
      return 'body too large';
    case 415:
      return 'send the body uncompressed as Content-Type: application/json';
    case 503:
      return 'busy; retry later';
    default:
      return 'not a recognised delivery';
  }
}

/** `close`: the rest of the request is not read, so the connection cannot carry another one. */
export function reply(res: ServerResponse, status: number, body: Record<string, unknown>, close = false): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  // One writeHead rather than a setHeader per header (merged after any set before, such as Allow or Retry-After).
  const headers: OutgoingHttpHeaders = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' };
  if (close) {
    headers.Connection = 'close';
    if (res.socket) lingerOnClose(res.req, res.socket);
  }
  res.writeHead(status, headers);
  res.end(text);
}

/**
 * Closing a socket that still has unread request bytes sends a reset, which can wipe the answer out of the
 * sender's buffers before it reads it (a 413 it never sees). So once the answer is sent, the connection is
 * half-closed and whatever still arrives is discarded, for LINGER_MS at most, and only then closed.
 */
function lingerOnClose(req: IncomingMessage, socket: Socket): void {
  // node ends a `Connection: close` answer by calling destroySoon(); this replaces it for this socket only.
  socket.destroySoon = () => {
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  };
  req.resume();
}
