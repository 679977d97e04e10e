/**
 * LeapOCR through `ocrq submit --provider leapocr` against its fake (real HTTP on 127.0.0.1): the 3-step presigned
 * upload in several parts, the paginated result, partially_done, failures without codes, and the storage PUTs
 * carrying no API key and drawing nothing from the rate budget.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { run } from '../../../src/main.js';
import { sha256Hex, startFakeProvider, type LeapOcrOptions, type RequestRecord } from '../../fakes/index.js';
import { captureIo } from '../../helpers/io.js';
import { fold, readRows } from '../../helpers/manifest.js';
import { FIXTURES, makeTempDir } from '../../helpers/tmp.js';
import { copyFixtures } from '../../helpers/remote.js';

const STORAGE = '/storage/leapocr-uploads/';

async function setup(files: string[], options: LeapOcrOptions = {}) {
  const dir = await makeTempDir();
  const data = await copyFixtures(dir, files);
  const fake = await startFakeProvider('leapocr', { progress: { polls: 1 }, ...options });
  onTestFinished(() => fake.close());
  const args = ['submit', 'docs', '--provider', 'leapocr', '--api-key', fake.apiKey, '--base-url', fake.url, '--out', 'm.jsonl', '--poll-interval', '20ms'];
  const submit = async (extra: string[] = []) => {
    const io = captureIo(dir);
    const code = await run([...args, ...extra], io.deps);
    return { code, stderr: io.stderr() };
  };
  const rows = async () => fold(await readRows(path.join(dir, 'm.jsonl')));
  return { dir, fake, data, submit, rows };
}

const isPut = (r: RequestRecord) => r.method === 'PUT';
const jsonOf = (r: RequestRecord) => JSON.parse(r.body.toString('utf8')) as Record<string, unknown>;
const apiPath = (fake: { url: string }, r: RequestRecord) => r.path.slice(new URL(fake.url).pathname.length);

describe('ocrq submit --provider leapocr', () => {
  it('uploads a file in several presigned parts following the byte ranges, without the API key, then reads every result page', async () => {
    const pages = Array.from({ length: 230 }, (_, i) => `## Page ${i + 1}\n\nline of page ${i + 1}`);
    const scanned = await fs.readFile(path.join(FIXTURES, 'pdfs/scanned.pdf'));
    const partSize = 16_000;
    const { fake, data, submit, rows } = await setup(['pdfs/scanned.pdf'], { partSizeBytes: partSize, texts: new Map([[sha256Hex(scanned), { pages }]]) });
    const { code, stderr } = await submit(['--rps', '200']);
    expect(code, stderr).toBe(0);

    const bytes = data.get('scanned.pdf')!;
    const initiate = fake.requests.find((r) => apiPath(fake, r) === '/ocr/uploads/direct')!;
    expect(jsonOf(initiate)).toEqual({ file_name: 'scanned.pdf', file_size: bytes.length, content_type: 'application/pdf', format: 'markdown', model: 'standard-v2' });

    const puts = fake.requests.filter(isPut);
    expect(puts.length).toBe(Math.ceil(bytes.length / partSize));
    expect(puts.length).toBeGreaterThan(5);
    puts.forEach((put, i) => {
      expect(put.path.startsWith(STORAGE)).toBe(true);
      expect(put.path.endsWith(`/${i + 1}`)).toBe(true);
      expect(put.body.equals(bytes.subarray(i * partSize, (i + 1) * partSize))).toBe(true);
      expect(put.headers['x-api-key']).toBeUndefined();
      expect(put.headers['content-type']).toBe('application/octet-stream');
      expect(put.status).toBe(200);
    });
    for (const r of fake.requests.filter((x) => !isPut(x))) expect(r.headers['x-api-key'], r.path).toBe(fake.apiKey);

    const complete = fake.requests.find((r) => apiPath(fake, r).endsWith('/complete'))!;
    expect(jsonOf(complete)).toEqual({
      parts: puts.map((put, i) => ({ part_number: i + 1, etag: createHash('md5').update(put.body).digest('hex') })),
    });
    // No idempotency in this API, but the key travels on the API requests of the submission.
    expect(initiate.idempotencyKey).toMatch(/^ocrq-[0-9a-f]{32}$/);
    expect(complete.idempotencyKey).toBe(initiate.idempotencyKey);

    const results = fake.requests.filter((r) => apiPath(fake, r).startsWith('/ocr/result/'));
    expect(results.map((r) => new URLSearchParams(r.query).get('page'))).toEqual(['1', '2', '3']);
    const [row] = [...(await rows()).values()];
    expect(row).toMatchObject({ status: 'completed', pages: 230, text: pages.join('\n\n') });
    expect(fake.jobs.has(row.job_id)).toBe(true);
    const result = row.result as { pages: Array<{ page_number: number }>; pagination?: unknown; total_pages: number };
    expect(result.pages.map((p) => p.page_number)).toEqual(pages.map((_, i) => i + 1));
    expect(result.total_pages).toBe(230);
    expect(result.pagination).toBeUndefined();
  });

  it('storage PUTs are not drawn from the rate budget: at --rps 1 the parts go at once while API requests wait their turn', async () => {
    const { fake, submit } = await setup(['pdfs/scanned.pdf'], { partSizeBytes: 16_000, progress: { polls: 0 } });
    const { code, stderr } = await submit(['--rps', '1', '--burst', '1']);
    expect(code, stderr).toBe(0);
    const puts = fake.requests.filter(isPut);
    const api = fake.requests.filter((r) => !isPut(r));
    expect(puts.length).toBe(7);
    const [initiate, complete] = api;
    expect(apiPath(fake, complete).endsWith('/complete')).toBe(true);
    // Seven PUTs drawn from a 1/s budget would put the complete 7 s after the initiate.
    expect(puts[0].at - initiate.at).toBeLessThan(500);
    expect(complete.at - initiate.at).toBeGreaterThanOrEqual(900);
    expect(complete.at - initiate.at).toBeLessThan(2500);
    for (let i = 1; i < api.length; i++) expect(api[i].at - api[i - 1].at).toBeGreaterThanOrEqual(900);
  }, 20_000);

  it('partially_done is terminal: the pages that were done become the text, the count is processed_pages', async () => {
    const { fake, submit, rows } = await setup(['images/invoice.png'], {
      progress: { polls: 0 },
      inject: [
        {
          match: (r) => r.path.includes('/ocr/status/'),
          times: 1,
          fault: { status: 200, body: { id: 'x', status: 'partially_done', total_pages: 3, processed_pages: 2 } },
        },
        {
          match: (r) => r.path.includes('/ocr/result/'),
          times: 1,
          fault: {
            status: 200,
            body: {
              status: 'partially_done',
              total_pages: 3,
              processed_pages: 2,
              pages: [
                { page_number: 1, result: 'first page' },
                { page_number: 3, result: 'third page' },
              ],
              pagination: { page: 1, limit: 100, total: 2, total_pages: 1 },
            },
          },
        },
      ],
    });
    const { code, stderr } = await submit();
    expect(code, stderr).toBe(0);
    const [row] = [...(await rows()).values()];
    expect(row).toMatchObject({ status: 'completed', text: 'first page\n\nthird page', pages: 2, result: { status: 'partially_done' } });
    expect(fake.requests.filter((r) => r.path.includes('/ocr/status/')).length).toBe(1);
  });

  it('a failed job is LEAPOCR_JOB_FAILED with its error_message; no result is asked for', async () => {
    const png = await fs.readFile(path.join(FIXTURES, 'images/invoice.png'));
    const { fake, submit, rows } = await setup(['images/invoice.png'], {
      failures: new Map([[sha256Hex(png), { code: 'NOT_SHOWN', message: 'Document processing failed' }]]),
    });
    const { code } = await submit();
    expect(code).toBe(4);
    const [row] = [...(await rows()).values()];
    expect(row).toMatchObject({ status: 'failed', error: { code: 'LEAPOCR_JOB_FAILED', category: 'provider' } });
    expect(row.error!.message).toContain('leapocr: Document processing failed');
    expect(fake.jobs.has(row.job_id)).toBe(true);
    expect(fake.requests.some((r) => r.path.includes('/ocr/result/'))).toBe(false);
  });

  it('a result still answering 202 after the status says completed is polled again', async () => {
    const { fake, submit, rows } = await setup(['images/invoice.png'], {
      progress: { polls: 0 },
      texts: new Map(),
      inject: [{ match: (r) => r.path.includes('/ocr/result/'), times: 1, fault: { status: 202, body: { status: 'processing', total_pages: 1, processed_pages: 0 } } }],
    });
    const { code, stderr } = await submit();
    expect(code, stderr).toBe(0);
    expect(fake.requests.filter((r) => r.path.includes('/ocr/result/')).length).toBe(2);
    expect(fake.requests.filter((r) => r.path.includes('/ocr/status/')).length).toBe(2);
    const [row] = [...(await rows()).values()];
    expect(row.status).toBe('completed');
    expect(row.text).toMatch(/^text for [0-9a-f]{12}$/);
  });

  it('a refused presigned PUT fails that document only (not an API-key rejection) and nothing is completed', async () => {
    const xml = '<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>';
    const { fake, submit, rows } = await setup(['images/invoice.png', 'images/receipt.jpg'], {
      inject: [{ match: (r) => r.method === 'PUT', times: 1, fault: { status: 403, body: Buffer.from(xml), headers: { 'Content-Type': 'application/xml' } } }],
    });
    const { code, stderr } = await submit();
    expect(code, stderr).toBe(3);
    const folded = [...(await rows()).values()];
    const failed = folded.find((r) => r.status === 'failed')!;
    expect(failed.error).toMatchObject({ code: 'HTTP_403', category: 'provider' });
    expect(failed.error!.message).toContain('AccessDenied Request has expired');
    expect(folded.filter((r) => r.status === 'completed').length).toBe(1);
    expect(fake.requests.filter((r) => r.path.endsWith('/complete')).length).toBe(1);
  });

  it('template_slug replaces the format and model defaults; structured results keep their fields and give no text', async () => {
    const { fake, submit } = await setup(['images/invoice.png'], { texts: new Map() });
    expect((await submit(['--option', 'template_slug=invoices'])).code).toBe(0);
    const first = jsonOf(fake.requests.find((r) => r.path.endsWith('/ocr/uploads/direct'))!);
    expect(first).toMatchObject({ template_slug: 'invoices' });
    expect(first).not.toHaveProperty('format');
    expect(first).not.toHaveProperty('model');

    const schema = { type: 'object', properties: { text: { type: 'string' } } };
    const again = await setup(['images/receipt.jpg'], { texts: new Map() });
    const args = ['--option', 'format=structured', '--option', 'model=pro-v2', '--option', `schema=${JSON.stringify(schema)}`, '--option', 'instructions=read the totals'];
    const { code, stderr } = await again.submit(args);
    expect(code, stderr).toBe(0);
    const body = jsonOf(again.fake.requests.find((r) => r.path.endsWith('/ocr/uploads/direct'))!);
    expect(body).toMatchObject({ format: 'structured', model: 'pro-v2', schema, instructions: 'read the totals' });
    const [row] = [...(await again.rows()).values()];
    expect(row.status).toBe('completed');
    expect(row.text).toBeUndefined();
    expect((row.result as { pages: Array<{ result: unknown }> }).pages[0].result).toEqual({ text: expect.stringMatching(/^text for /) });
  });

  it('an option value that cannot be sent is a usage error (exit 2) before any request', async () => {
    const { fake, submit } = await setup(['images/invoice.png']);
    const bad = await submit(['--option', 'format=structured', '--option', 'schema={not json']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('leapocr option schema must be a JSON object');
    expect((await submit(['--option', `instructions=${'x'.repeat(101)}`])).code).toBe(2);
    expect((await submit(['--option', 'colour=blue'])).code).toBe(2);
    expect(fake.requests.length).toBe(0);
  });

  it('types LeapOCR does not take fail without a request', async () => {
    const { fake, submit, rows } = await setup(['images/note.bmp', 'images/sign.gif']);
    expect((await submit()).code).toBe(4);
    for (const row of (await rows()).values()) expect(row.error!.code).toBe('UNSUPPORTED_BY_PROVIDER');
    expect(fake.requests.length).toBe(0);
  });
});
