/**
 * Reading responses (real HTTP on 127.0.0.1): a body sent in many chunks is read whole; one larger than
 * MAX_RESPONSE_BYTES fails that request with RESPONSE_TOO_LARGE instead of being buffered. Requests started together
 * before the key is known send one request between them.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { RateLimiter } from '../../src/http/pacing/limiter.js';
import { DEFAULT_RETRY_POLICY } from '../../src/http/pacing/retry.js';
import { parseErrorBody } from '../../src/providers/common/adapter.js';
import { MAX_RESPONSE_BYTES, ProviderHttp, ProviderRequestError } from '../../src/http/client.js';

/** A server whose every answer is written by `answer`, chunked (no Content-Length). */
async function serve(answer: (res: ServerResponse) => void) {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const http = new ProviderHttp({
    provider: 'ocrqueen',
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    auth: { header: 'Authorization', value: 'Bearer pk_test_client' },
    keySource: '--api-key',
    idempotent: true,
    limiter: new RateLimiter({ rps: 100, burst: 5, concurrency: 2 }),
    retry: { ...DEFAULT_RETRY_POLICY, retries: 0 },
    parseError: (_status, body) => parseErrorBody(body),
  });
  onTestFinished(() => http.close());
  return () => http.send({ method: 'GET', path: '/v1/jobs/job_1', purpose: 'poll' }, new AbortController().signal);
}

describe('responses', () => {
  it('a body sent in many chunks is read whole', async () => {
    const text = JSON.stringify({ status: 'completed', markdown: 'x'.repeat(200_000) });
    const poll = await serve((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < text.length; i += 7_000) res.write(text.slice(i, i + 7_000));
      res.end();
    });
    const response = await poll();
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.json()).toEqual(JSON.parse(text));
  });

  it('a body larger than MAX_RESPONSE_BYTES fails the request with RESPONSE_TOO_LARGE', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    let written = 0;
    const poll = await serve((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const more = (): void => {
        while (written <= MAX_RESPONSE_BYTES + chunk.length) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end();
      };
      more();
    });
    const error = await poll().then(
      () => null,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(ProviderRequestError);
    expect(error).toMatchObject({ status: 200, code: 'RESPONSE_TOO_LARGE' });
  });
});

describe('an API key not yet known to be accepted', () => {
  it('requests started in one turn send one request between them, and a 401 stops them all', async () => {
    let received = 0;
    const poll = await serve((res) => {
      received += 1;
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"error":{"code":"unauthorized","message":"bad key"}}');
    });
    const results = await Promise.allSettled([poll(), poll(), poll(), poll()]);
    expect(results.map((r) => r.status)).toEqual(Array(4).fill('rejected'));
    expect(received).toBe(1);
  });
});
