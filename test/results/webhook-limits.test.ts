import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../src/results/webhook-server.js';
import { ocrqueenCompleted, ocrqueenHeaders, post, rawExchange, startHarness } from './webhook-helpers.js';

const head = (lines: string[]) => `${lines.join('\r\n')}\r\n\r\n`;

describe('webhook receiver: hostile requests (real sockets)', () => {
  it('answers 413 to a Content-Length over 10 MiB before reading the body, and closes the connection', async () => {
    const h = await startHarness();
    const { text } = await rawExchange(h.url, (s) => s.write(head(['POST / HTTP/1.1', 'Host: x', 'Content-Type: application/json', `Content-Length: ${MAX_BODY_BYTES + 1}`])));
    // The server answered and closed without waiting for a single body byte.
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(await h.rows()).toEqual([]);
  });

  it('answers 413 to Expect: 100-continue with an oversized Content-Length, never inviting the body', async () => {
    const h = await startHarness();
    const { text } = await rawExchange(h.url, (s) =>
      s.write(head(['POST / HTTP/1.1', 'Host: x', 'Expect: 100-continue', `Content-Length: ${MAX_BODY_BYTES + 1}`])),
    );
    expect(text).not.toContain('100 Continue');
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
  });

  it('answers 413 to a chunked body once it grows past the cap, closes the connection and stores nothing', async () => {
    const h = await startHarness();
    let sent = 0;
    const { text } = await rawExchange(h.url, (s) => {
      s.write(head(['POST / HTTP/1.1', 'Host: x', 'Content-Type: application/json', 'Transfer-Encoding: chunked']));
      const chunk = Buffer.alloc(256 * 1024, 0x20);
      const pump = () => {
        while (sent < 3 * MAX_BODY_BYTES && !s.destroyed) {
          sent += chunk.length;
          s.write(`${chunk.length.toString(16)}\r\n`);
          s.write(chunk);
          if (!s.write('\r\n')) return void s.once('drain', pump);
        }
      };
      s.on('error', () => {});
      pump();
    });
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    // Reading stopped near the cap: the sender was cut off long before it sent everything.
    expect(sent).toBeLessThan(3 * MAX_BODY_BYTES);
    expect(await h.rows()).toEqual([]);
  });

  it('accepts a delivery of exactly 10 MiB', async () => {
    const h = await startHarness();
    const base = ocrqueenCompleted('job_big', '');
    const body = base.replace('"markdown":""', `"markdown":"${'a'.repeat(MAX_BODY_BYTES - base.length)}"`);
    expect(Buffer.byteLength(body)).toBe(MAX_BODY_BYTES);
    const answer = await post(h.url, body, ocrqueenHeaders(body));
    expect(answer.status).toBe(200);
    expect((await h.rows())[0].text).toHaveLength(MAX_BODY_BYTES - base.length);
  });

  it('answers 415 to a compressed body (never inflates it) and to a form content type', async () => {
    const h = await startHarness();
    const body = ocrqueenCompleted('job_z', 't');
    const gzipped = await post(h.url, body, { ...ocrqueenHeaders(body), 'content-encoding': 'gzip' });
    expect(gzipped.status).toBe(415);
    // The answer says what to send instead.
    expect(JSON.parse(gzipped.body)).toEqual({ error: 'send the body uncompressed as Content-Type: application/json' });
    const form = await post(h.url, body, { ...ocrqueenHeaders(body), 'content-type': 'multipart/form-data; boundary=x' });
    expect(form.status).toBe(415);
    expect(JSON.parse(form.body).error).toContain('application/json');
    expect((await post(h.url, body, { ...ocrqueenHeaders(body), 'content-encoding': 'identity' })).status).toBe(200);
  });

  it('answers 405 to GET and other methods, with Allow: POST', async () => {
    const h = await startHarness();
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const answer = await post(h.url + '/hook', method === 'GET' ? '' : '{}', {}, method);
      expect(answer.status, method).toBe(405);
      expect(answer.headers.allow).toBe('POST');
    }
  });

  it('answers 431 to request headers over 16 KiB and keeps serving', async () => {
    const h = await startHarness();
    const body = ocrqueenCompleted('job_h', 't');
    const { text } = await rawExchange(h.url, (s) => s.write(head(['POST / HTTP/1.1', 'Host: x', `X-Big: ${'a'.repeat(20_000)}`, 'Content-Length: 2', '']) + '{}'));
    expect(text).toMatch(/^HTTP\/1\.1 431 /);
    expect((await post(h.url, body, ocrqueenHeaders(body))).status).toBe(200);
  });

  it('answers 408 to a body that stops coming (Content-Length 1000, 10 bytes sent) and stores nothing', async () => {
    const h = await startHarness({ limits: { headersTimeoutMs: 300, requestTimeoutMs: 600 } });
    const { text, closedAfterMs } = await rawExchange(h.url, (s) => s.write(head(['POST / HTTP/1.1', 'Host: x', 'Content-Length: 1000']) + '{"job_id":'));
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(closedAfterMs).toBeLessThan(3000);
    expect(await h.rows()).toEqual([]);
  });

  it('cuts off slowloris clients dribbling their headers, while a real delivery still succeeds', async () => {
    const headersTimeoutMs = 500;
    const h = await startHarness({ limits: { headersTimeoutMs, requestTimeoutMs: 2000 } });
    const request = head(['POST / HTTP/1.1', 'Host: x', 'Content-Type: application/json', 'Content-Length: 2', 'X-Padding: ' + 'p'.repeat(200)]);
    const slow = Array.from({ length: 30 }, () =>
      rawExchange(h.url, (s) => {
        let i = 0;
        const timer = setInterval(() => {
          if (s.destroyed || i >= request.length) return clearInterval(timer);
          s.write(request[i++]);
        }, 25);
        s.on('close', () => clearInterval(timer));
      }),
    );
    const body = ocrqueenCompleted('job_s', 'real');
    const real = await post(h.url, body, ocrqueenHeaders(body));
    expect(real.status).toBe(200);
    const results = await Promise.all(slow);
    for (const r of results) {
      // Cut off near the limit (node checks on an interval of a quarter of it), long before the head was complete.
      expect(r.closedAfterMs).toBeLessThan(headersTimeoutMs * 3);
      expect(r.text === '' || /^HTTP\/1\.1 408 /.test(r.text)).toBe(true);
    }
    expect((await h.rows()).map((r) => r.job_id)).toEqual(['job_s']);
  });

  it('answers 503 with Retry-After when bodies in memory together would exceed the pool, then serves again', async () => {
    const h = await startHarness({ limits: { maxBufferedBytes: 4096 } });
    // One sender holds 3000 bytes of an unfinished body...
    let hold!: (s: import('node:net').Socket) => void;
    const holding = new Promise<import('node:net').Socket>((r) => (hold = r));
    const slow = rawExchange(h.url, (s) => {
      s.write(head(['POST / HTTP/1.1', 'Host: x', 'Content-Length: 5000']) + ' '.repeat(3000));
      hold(s);
    });
    const socket = await holding;
    await new Promise((r) => setTimeout(r, 100));
    // ...so a second body of 2000 bytes does not fit.
    const body = ocrqueenCompleted('job_pool', 'p'.repeat(1500));
    const busy = await post(h.url, body, ocrqueenHeaders(body));
    expect(busy.status).toBe(503);
    expect(busy.headers['retry-after']).toBe('5');
    socket.destroy();
    await slow;
    await new Promise((r) => setTimeout(r, 50));
    expect((await post(h.url, body, ocrqueenHeaders(body))).status).toBe(200);
  });

  it('answers 401, never 500, when the verifier itself throws on a hostile header', async () => {
    const h = await startHarness({
      verify: () => {
        throw new RangeError('Input buffers must have the same byte length');
      },
    });
    const body = ocrqueenCompleted('job_v', 't');
    const answer = await post(h.url, body, ocrqueenHeaders(body));
    expect(answer.status).toBe(401);
    expect(answer.body).not.toContain('RangeError');
    expect(await h.rows()).toEqual([]);
  });
});
