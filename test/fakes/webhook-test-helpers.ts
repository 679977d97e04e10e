import { createHmac } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { onTestFinished } from 'vitest';
import type { ProviderOptionsMap } from './index.js';
import { form, useFake } from './test-helpers.js';
import type { ProviderName } from './types.js';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  at: number;
}

/** A webhook receiver on 127.0.0.1:0: records each POST and answers `answer(n)` (n counts from 1). */
export async function useReceiver(answer: (n: number, req: Received) => number | undefined = () => 200) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks), at: performance.now() };
      received.push(r);
      res.writeHead(answer(received.length, r) ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/in`, received };
}

/** The test's own HMAC, independent of the fakes' signing module. */
export function hmac(secret: string, data: Buffer | string): string {
  return createHmac('sha256', secret).update(data).digest('hex');
}

export function json(r: { body: Buffer }): Record<string, unknown> {
  return JSON.parse(r.body.toString('utf8')) as Record<string, unknown>;
}

type Fake<N extends ProviderName> = Awaited<ReturnType<typeof useFake<N>>>;
type Submit<N extends ProviderName> = (fake: Fake<N>, data: Buffer, hookUrl?: string) => Promise<string>;

async function ok(res: Response): Promise<Record<string, unknown>> {
  if (res.status >= 300) throw new Error(`submit answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

/** One real submit per provider; `hookUrl` goes into the request where the contract has a per-request callback. */
export const SUBMIT: { [N in ProviderName]: Submit<N> } = {
  async ocrqueen(fake, data, hookUrl) {
    const fields = { file: { data, type: 'application/pdf', name: 'a.pdf' }, ...(hookUrl && { options: JSON.stringify({ callback_url: hookUrl }) }) };
    const res = await fetch(`${fake.url}/v1/extract`, { method: 'POST', headers: { Authorization: `Bearer ${fake.apiKey}` }, body: form(fields) });
    return (await ok(res)).job_id as string;
  },
  async leapocr(fake, data) {
    const url = `https://files.example/${data.length}.pdf`;
    fake.setOptions({ remoteFiles: new Map([...(fake.options().remoteFiles ?? []), [url, data]]) });
    const res = await fetch(`${fake.url}/ocr/uploads/url`, {
      method: 'POST',
      headers: { 'X-API-KEY': fake.apiKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({ url, file_name: 'a.pdf', format: 'markdown', model: 'standard-v2' }),
    });
    return (await ok(res)).job_id as string;
  },
  async docextract(fake, data) {
    const res = await fetch(`${fake.url}/documents`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${fake.apiKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ extractor_id: 'ext_invoice', document: data.toString('base64'), mime_type: 'application/pdf', metadata: { batch: 'b1' } }),
    });
    return (await ok(res)).id as string;
  },
  async qomplement(fake, data, hookUrl) {
    const fields = { file: { data, type: 'application/pdf', name: 'a.pdf' }, ...(hookUrl && { webhook_url: hookUrl }) };
    const res = await fetch(`${fake.url}/extract`, { method: 'POST', headers: { Authorization: `Bearer ${fake.apiKey}` }, body: form(fields) });
    return (await ok(res)).id as string;
  },
  async 'process-job'(fake, data) {
    const res = await fetch(`${fake.url}/process-job`, {
      method: 'POST',
      headers: { 'x-auth': fake.apiKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({ template_id: 'tpl-1', actual_image: data.toString('base64'), static_values: { batch: 'b1' } }),
    });
    return (await ok(res)).job_id as string;
  },
};

/**
 * A fake whose jobs finish on their own, delivering to `hookUrl` (through the request where the provider
 * has a per-request callback, else as the dashboard URL); submits `data` and waits until its webhooks settle.
 */
export async function deliverJob<N extends ProviderName>(
  name: N,
  hookUrl: string,
  data: Buffer,
  options: ProviderOptionsMap[N] = {} as ProviderOptionsMap[N],
) {
  const perRequest = name === 'ocrqueen' || name === 'qomplement';
  const webhooks = { ...(!perRequest && { url: hookUrl }), ...options.webhooks };
  const fake = await useFake(name, { progress: { ms: 0 }, ...options, webhooks });
  const jobId = await SUBMIT[name](fake, data, perRequest ? hookUrl : undefined);
  await fake.webhooksIdle();
  return { fake, jobId };
}
