/**
 * qomplement against its fake (real HTTP on 127.0.0.1): a small file is answered inline (200, never polled), a
 * long one or one with a webhook_url becomes a job that is polled; fields, XL markdown, options and failures.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { sha256Hex } from '../../../src/documents/hash.js';
import { run } from '../../../src/main.js';
import { RateLimiter } from '../../../src/http/pacing/limiter.js';
import { DEFAULT_RETRY_POLICY } from '../../../src/http/pacing/retry.js';
import { ProviderHttp } from '../../../src/http/client.js';
import { qomplement } from '../../../src/providers/qomplement/adapter.js';
import { createRemoteTarget } from '../../../src/targets/http/remote.js';
import type { ManifestRow } from '../../../src/manifest/types.js';
import { ManifestWriter } from '../../../src/manifest/writer.js';
import { startFakeProvider, type QomplementOptions } from '../../fakes/index.js';
import { parseBoundary, parseMultipart, textField } from '../../fakes/multipart.js';
import { captureIo } from '../../helpers/io.js';
import { fold, readRows, rowFor } from '../../helpers/manifest.js';
import { FIXTURES, makeTempDir } from '../../helpers/tmp.js';
import { copyFixtures } from '../../helpers/remote.js';

const SCANNED = ['page one of the scan', 'page two of the scan', 'page three of the scan'];

async function setup(files: Record<string, string>, options: QomplementOptions = {}) {
  const dir = await makeTempDir();
  const copied = await copyFixtures(dir, Object.keys(files));
  const texts = new Map<string, { pages: string[] }>();
  const shas: Record<string, string> = {};
  for (const [rel, pages] of Object.entries(files)) {
    const name = path.basename(rel);
    shas[name] = sha256Hex(copied.get(name)!);
    texts.set(shas[name], { pages: pages === 'scan' ? SCANNED : [pages] });
  }
  const fake = await startFakeProvider('qomplement', { texts, ...options });
  onTestFinished(() => fake.close());
  const args = ['submit', 'docs', '--provider', 'qomplement', '--api-key', fake.apiKey, '--base-url', fake.url, '--out', 'm.jsonl', '--poll-interval', '20ms'];
  const runOcrq = async (...extra: string[]) => {
    const io = captureIo(dir);
    const code = await run([...args, ...extra], io.deps);
    return { code, stderr: io.stderr(), rows: code === 2 ? new Map() : fold(await readRows(path.join(dir, 'm.jsonl'))) };
  };
  return { dir, fake, shas, runOcrq };
}

function formOf(body: Buffer, contentType: unknown) {
  const parts = parseMultipart(body, parseBoundary(String(contentType))!);
  expect(parts).not.toBeNull();
  return parts!;
}

describe('qomplement', () => {
  it('a small file is answered inline with 200: recorded completed from the submit answer, never polled', async () => {
    const { fake, runOcrq, shas } = await setup({ 'images/invoice.png': 'INVOICE 42' });
    const { code, rows, stderr } = await runOcrq();
    expect(code, stderr).toBe(0);
    expect(fake.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual(['POST /v1/extract 200']);
    const [req] = fake.requests;
    expect(req.headers.authorization).toBe(`Bearer ${fake.apiKey}`);
    expect(req.idempotencyKey).toMatch(/^ocrq-/);
    const parts = formOf(req.body, req.headers['content-type']);
    const file = parts.find((p) => p.name === 'file')!;
    expect(file).toMatchObject({ filename: 'invoice.png', contentType: 'image/png' });
    expect(sha256Hex(file.data)).toBe(shas['invoice.png']);
    expect(textField(parts, 'output_format')).toBe('json');
    expect(textField(parts, 'webhook_url')).toBeUndefined();

    const row = rowFor(rows, 'docs/invoice.png')!;
    const job = fake.jobs.get(row.job_id)!;
    expect(job.inline).toBe(true);
    expect(row).toMatchObject({ status: 'completed', target: 'qomplement', pages: 1, result: { fields: { text: 'INVOICE 42' }, pages_processed: 1 } });
    // The default model returns fields only: no text is made up from them.
    expect(row.text).toBeUndefined();
  });

  it('the XL model\'s markdown is the text; options go out as form fields', async () => {
    const { fake, runOcrq } = await setup({ 'pdfs/scanned.pdf': 'scan' });
    const schema = '[{"name":"text","type":"string"},{"name":"total","type":"number"}]';
    const { code, rows, stderr } = await runOcrq('--option', 'model=qomplement-OCR-XL-v1', '--option', `schema=${schema}`, '--option', 'detail=true', '--option', 'chunk_size=40', '--option', 'chunk_overlap=5');
    expect(code, stderr).toBe(0);
    const parts = formOf(fake.requests[0].body, fake.requests[0].headers['content-type']);
    expect(Object.fromEntries(['model', 'schema', 'output_format', 'detail', 'chunk_size', 'chunk_overlap'].map((n) => [n, textField(parts, n)]))).toEqual({
      model: 'qomplement-OCR-XL-v1',
      schema,
      output_format: 'json',
      detail: 'true',
      chunk_size: '40',
      chunk_overlap: '5',
    });
    const row = rowFor(rows, 'docs/scanned.pdf')!;
    expect(row.text).toBe(SCANNED.join('\n\n'));
    expect(row.pages).toBe(3);
    expect(row.result).toMatchObject({ model: 'qomplement-OCR-XL-v1', fields: { text: SCANNED.join('\n\n') }, entities: [] });
    expect((row.result as { chunks: string[] }).chunks.length).toBeGreaterThan(1);
  });

  it('a file over the inline page limit gets 202 and is polled through pending and processing to completed', async () => {
    const { fake, runOcrq } = await setup({ 'pdfs/scanned.pdf': 'scan' }, { syncMaxPages: 2, progress: { polls: 2 } });
    const { code, rows, stderr } = await runOcrq();
    expect(code, stderr).toBe(0);
    const row = rowFor(rows, 'docs/scanned.pdf')!;
    expect(fake.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'POST /v1/extract 202',
      ...Array(3).fill(`GET /v1/jobs/${row.job_id} 200`),
    ]);
    expect(fake.jobs.get(row.job_id)).toMatchObject({ inline: false, status: 'completed' });
    expect(row).toMatchObject({ status: 'completed', pages: 3, result: { fields: { text: SCANNED.join('\n\n') } } });
  });

  it('file_field=files names the part as the OpenAPI does', async () => {
    const { fake, runOcrq } = await setup({ 'images/receipt.jpg': 'RECEIPT' });
    const { code, rows } = await runOcrq('--option', 'file_field=files');
    expect(code).toBe(0);
    const parts = formOf(fake.requests[0].body, fake.requests[0].headers['content-type']);
    expect(parts.map((p) => p.name)).toEqual(['files', 'output_format']);
    expect(parts[0]).toMatchObject({ filename: 'receipt.jpg', contentType: 'image/jpeg' });
    expect(rowFor(rows, 'docs/receipt.jpg')).toMatchObject({ status: 'completed', result: { fields: { text: 'RECEIPT' } } });
  });

  it.each([
    ['schema=not json', /schema is not valid JSON/],
    ['schema=[{"name":"x","type":"money"}]', /schema must be a JSON array/],
    ['output_format=yaml', /output_format must be one of json, csv, xml/],
    ['chunk_size=ten', /chunk_size must be a whole number/],
  ])('a malformed option (%s) is a usage error before anything is sent', async (option, message) => {
    const { fake, runOcrq } = await setup({ 'images/invoice.png': 'INVOICE' });
    const { code, stderr } = await runOcrq('--option', option);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(fake.requests).toEqual([]);
  });

  it('PNG, JPEG, PDF, TIFF and BMP are sent; WebP and GIF fail as unsupported without a request', async () => {
    const { fake, runOcrq } = await setup({ 'images/letter.tiff': 'LETTER', 'images/note.bmp': 'NOTE', 'images/memo.webp': 'MEMO', 'images/sign.gif': 'SIGN' });
    const { code, rows } = await runOcrq();
    expect(code).toBe(3);
    expect(rowFor(rows, 'docs/letter.tiff')).toMatchObject({ status: 'completed', result: { fields: { text: 'LETTER' } } });
    expect(rowFor(rows, 'docs/note.bmp')).toMatchObject({ status: 'completed', result: { fields: { text: 'NOTE' } } });
    for (const name of ['memo.webp', 'sign.gif']) expect(rowFor(rows, `docs/${name}`)).toMatchObject({ status: 'failed', error: { code: 'UNSUPPORTED_BY_PROVIDER' } });
    expect(fake.requests.length).toBe(2);
  });
});

describe('qomplement with a callback URL', () => {
  async function directTarget(callbackUrl: string, fakeOptions: QomplementOptions) {
    const fake = await startFakeProvider('qomplement', fakeOptions);
    onTestFinished(() => fake.close());
    const http = new ProviderHttp({
      provider: 'qomplement',
      baseUrl: fake.url,
      auth: qomplement.authHeader(fake.apiKey),
      keySource: '--api-key',
      idempotent: qomplement.idempotent,
      limiter: new RateLimiter({ rps: 100, burst: 5, concurrency: 4 }),
      retry: { ...DEFAULT_RETRY_POLICY },
      parseError: qomplement.parseError,
    });
    const target = createRemoteTarget({ adapter: qomplement, http, options: { output_format: 'json', file_field: 'file' }, noWait: false, callbackUrl: () => callbackUrl, pollInitialMs: 10, pollMaxMs: 20 });
    onTestFinished(() => target.close());
    const data = await fs.readFile(path.join(FIXTURES, 'images/invoice.png'));
    const recorded: ManifestRow[] = [];
    const doc = { sha256: sha256Hex(data), type: 'png' as const, data, source: 'docs/invoice.png' };
    const writer = new ManifestWriter({ append: async (row) => void recorded.push(row) });
    const journal = writer.openDocument({ sha256: doc.sha256, type: doc.type, bytes: data.length, target: 'qomplement' }, [doc.source], Date.now);
    const process = () => target.process(doc, { signal: new AbortController().signal, journal });
    return { fake, doc, recorded, process };
  }

  it('a small file with webhook_url gets 202 with the callback on the job; the job is still polled to its result', async () => {
    const hook = 'https://hooks.example.test/ocrq/7d3f0c2a9b';
    const { fake, doc, recorded, process } = await directTarget(hook, {});
    const texts = new Map([[doc.sha256, 'INVOICE 42']]);
    fake.setOptions({ texts });
    const outcome = await process();
    expect(outcome).toMatchObject({ ok: true, pages: 1, text: undefined, result: { fields: { text: 'INVOICE 42' } } });
    const submit = fake.requests[0];
    expect(`${submit.method} ${submit.path} ${submit.status}`).toBe('POST /v1/extract 202');
    expect(textField(formOf(submit.body, submit.headers['content-type']), 'webhook_url')).toBe(hook);
    const job = fake.jobs.get(outcome.jobId)!;
    expect(job).toMatchObject({ callbackUrl: hook, inline: false });
    expect(fake.requests.slice(1).every((r) => r.method === 'GET' && r.path === `/v1/jobs/${job.id}`)).toBe(true);
    // The provider's job id is journaled as soon as the 202 arrives, with the provider's status word.
    expect(recorded.find((r) => r.job_id === job.id)).toMatchObject({ status: 'submitted', provider_status: 'pending' });
  });

  it('a job that fails keeps qomplement\'s own error code', async () => {
    const { fake, doc, process } = await directTarget('https://hooks.example.test/x', {});
    fake.setOptions({ failures: new Map([[doc.sha256, { code: 'processing_error', message: 'OCR failed on page 1' }]]) });
    const outcome = await process();
    expect(outcome).toMatchObject({ ok: false, error: { code: 'processing_error', category: 'provider' } });
    expect((outcome as { error: { message: string } }).error.message).toContain('OCR failed on page 1');
  });
});
