/**
 * Request bodies on the wire (real HTTP on 127.0.0.1): a small body is sent from memory, a large one is streamed;
 * either way a retried request sends the same bytes, and the provider reads the document back intact.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { RateLimiter } from '../../src/http/pacing/limiter.js';
import { DEFAULT_RETRY_POLICY } from '../../src/http/pacing/retry.js';
import { IN_MEMORY_BODY_BYTES, jsonBase64Body, multipartBody, type RequestBody } from '../../src/http/body.js';
import { ProviderHttp } from '../../src/http/client.js';
import { parseErrorBody } from '../../src/providers/common/adapter.js';
import { parseBoundary, parseMultipart } from '../fakes/multipart.js';

interface Received {
  contentType: string;
  contentLength: string | undefined;
  body: Buffer;
}

/** Answers the first request 503, every later one 202, and records every body. */
async function flakyServer() {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ contentType: req.headers['content-type'] ?? '', contentLength: req.headers['content-length'], body: Buffer.concat(chunks) });
      res.writeHead(received.length === 1 ? 503 : 202, { 'content-type': 'application/json', 'retry-after': '0' });
      res.end(JSON.stringify({ job_id: `job_${received.length}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const http = new ProviderHttp({
    provider: 'ocrqueen',
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    auth: { header: 'Authorization', value: 'Bearer pk_test_body' },
    keySource: '--api-key',
    idempotent: true,
    limiter: new RateLimiter({ rps: 1000, burst: 5, concurrency: 2 }),
    retry: { ...DEFAULT_RETRY_POLICY, baseMs: 1, capMs: 5 },
    parseError: (_status, body) => parseErrorBody(body),
  });
  onTestFinished(() => http.close());
  const send = (body: RequestBody) => http.send({ method: 'POST', path: '/v1/extract', body, purpose: 'submit' }, new AbortController().signal);
  return { received, send };
}

/** Bytes that are not all alike, so a chunk sent twice or out of order shows. */
function documentOf(size: number): Buffer {
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = (i * 131 + (i >> 8)) & 0xff;
  return data;
}

describe('request bodies', () => {
  it.each([
    { label: 'small (sent from memory)', size: 45_000, inMemory: true },
    { label: 'large (streamed)', size: IN_MEMORY_BODY_BYTES + 10_000, inMemory: false },
  ])('a $label multipart upload arrives intact, and the retry after a 503 sends the same bytes', async ({ size, inMemory }) => {
    const { received, send } = await flakyServer();
    const data = documentOf(size);
    const body = multipartBody([
      { name: 'file', filename: 'scan "1".png', contentType: 'image/png', data },
      { name: 'options', value: '{"bypass_cache":true}' },
    ]);
    expect(body.bytes !== undefined).toBe(inMemory);
    const res = await send(body);
    expect(res.status).toBe(202);
    expect(received).toHaveLength(2);
    const [first, retry] = received;
    expect(retry.body.equals(first.body)).toBe(true);
    expect(retry.contentLength).toBe(String(body.length));
    expect(retry.body.length).toBe(body.length);
    const parts = parseMultipart(retry.body, parseBoundary(retry.contentType)!);
    expect(parts?.map((p) => [p.name, p.filename, p.contentType])).toEqual([
      ['file', 'scan %221%22.png', 'image/png'],
      ['options', undefined, undefined],
    ]);
    expect(parts![0].data.equals(data)).toBe(true);
    expect(parts![1].data.toString()).toBe('{"bypass_cache":true}');
  });

  it.each([
    { label: 'small', size: 3_000, inMemory: true },
    { label: 'large', size: IN_MEMORY_BODY_BYTES, inMemory: false },
  ])('a $label base64 JSON body is the same JSON whether sent from memory or streamed', async ({ size, inMemory }) => {
    const { received, send } = await flakyServer();
    const data = documentOf(size);
    const body = jsonBase64Body({ template: 'tpl-1' }, 'document', data);
    expect(body.bytes !== undefined).toBe(inMemory);
    await send(body);
    expect(received[1].body.equals(received[0].body)).toBe(true);
    const json = JSON.parse(received[1].body.toString('utf8'));
    expect(json.template).toBe('tpl-1');
    expect(Buffer.from(json.document, 'base64').equals(data)).toBe(true);
  });

  it('every multipart body gets its own boundary', () => {
    const parts = [{ name: 'file', filename: 'a.png', contentType: 'image/png', data: Buffer.from('x') }];
    const types = new Set(Array.from({ length: 50 }, () => multipartBody(parts).contentType));
    expect(types.size).toBe(50);
  });
});
