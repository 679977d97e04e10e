/**
 * DocExtract through `ocrq submit --provider docextract` against its fake (real HTTP on 127.0.0.1): the base64 JSON
 * body, the required extractor, the configurable (unpublished) submit path and field names, synchronous answers,
 * failures with the provider's code, and what is refused before any request.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { run } from '../../../src/main.js';
import { sha256Hex, startFakeProvider, type DocExtractOptions, type RequestRecord } from '../../fakes/index.js';
import { captureIo } from '../../helpers/io.js';
import { fold, readRows, rowFor } from '../../helpers/manifest.js';
import { FIXTURES, makeTempDir } from '../../helpers/tmp.js';
import { copyFixtures } from '../../helpers/remote.js';

async function setup(files: string[], options: DocExtractOptions = {}) {
  const dir = await makeTempDir();
  const data = await copyFixtures(dir, files);
  const fake = await startFakeProvider('docextract', { progress: { polls: 1 }, ...options });
  onTestFinished(() => fake.close());
  const args = ['submit', 'docs', '--provider', 'docextract', '--api-key', fake.apiKey, '--base-url', fake.url, '--out', 'm.jsonl', '--poll-interval', '20ms'];
  const submit = async (extra: string[]) => {
    const io = captureIo(dir);
    const code = await run([...args, ...extra], io.deps);
    return { code, stderr: io.stderr() };
  };
  const rows = async () => fold(await readRows(path.join(dir, 'm.jsonl')));
  return { fake, data, submit, rows };
}

const submits = (fake: { requests: RequestRecord[] }) => fake.requests.filter((r) => r.method === 'POST');
const jsonOf = (r: RequestRecord) => JSON.parse(r.body.toString('utf8')) as Record<string, unknown>;
const EXTRACTOR = ['--option', 'extractor_id=ext_invoices'];

describe('ocrq submit --provider docextract', () => {
  it('sends each document base64 inside a JSON body with the extractor, and keeps the job object (fields, no text) as the result', async () => {
    const pdf = await fs.readFile(path.join(FIXTURES, 'pdfs/born-digital.pdf'));
    const { fake, data, submit, rows } = await setup(['pdfs/born-digital.pdf', 'images/invoice.png'], {
      submitStatus: 201,
      texts: new Map([[sha256Hex(pdf), { pages: ['page one', 'page two'] }]]),
    });
    const { code, stderr } = await submit([...EXTRACTOR, '--option', 'metadata={"batch":"2024-06"}']);
    expect(code, stderr).toBe(0);

    const posts = submits(fake);
    expect(posts.length).toBe(2);
    for (const post of posts) {
      expect(post.path).toBe('/v1/documents');
      expect(post.headers['content-type']).toBe('application/json');
      expect(Number(post.headers['content-length'])).toBe(post.body.length);
      expect(post.headers.authorization).toBe(`Bearer ${fake.apiKey}`);
      expect(post.idempotencyKey).toMatch(/^ocrq-[0-9a-f]{32}$/);
      const body = jsonOf(post);
      const name = body.filename as string;
      expect(Object.keys(body).sort()).toEqual(['document', 'extractor_id', 'filename', 'metadata', 'mime_type']);
      expect(body).toMatchObject({ extractor_id: 'ext_invoices', metadata: { batch: '2024-06' }, mime_type: name.endsWith('.pdf') ? 'application/pdf' : 'image/png' });
      expect(Buffer.from(body.document as string, 'base64').equals(data.get(name)!)).toBe(true);
    }

    const folded = await rows();
    const row = rowFor(folded, 'docs/born-digital.pdf')!;
    expect(row).toMatchObject({ status: 'completed', pages: 2 });
    expect(row.text).toBeUndefined();
    expect(row.result).toMatchObject({ id: row.job_id, status: 'completed', extractor_id: 'ext_invoices', extracted_data: { text: 'page one\n\npage two' }, metadata: { batch: '2024-06' } });
    expect(fake.jobs.has(row.job_id)).toBe(true);
    expect(rowFor(folded, 'docs/invoice.png')).toMatchObject({ status: 'completed', pages: 1 });
  });

  it('without extractor_id the run is a usage error (exit 2) and nothing is sent', async () => {
    const { fake, submit } = await setup(['images/invoice.png']);
    const { code, stderr } = await submit([]);
    expect(code).toBe(2);
    expect(stderr).toContain('docextract needs --option extractor_id=…');
    expect(fake.requests.length).toBe(0);
  });

  it('a failed job keeps error_details.code, with the suggestion in the message', async () => {
    const png = await fs.readFile(path.join(FIXTURES, 'images/invoice.png'));
    const { fake, submit, rows } = await setup(['images/invoice.png'], {
      failures: new Map([[sha256Hex(png), { code: 'document_unreadable', message: 'The scan is blank' }]]),
    });
    expect((await submit(EXTRACTOR)).code).toBe(4);
    const [row] = [...(await rows()).values()];
    expect(row).toMatchObject({ status: 'failed', error: { code: 'document_unreadable', category: 'provider' } });
    expect(row.error!.message).toContain('docextract: The scan is blank (Check the document and submit it again)');
    expect(fake.jobs.has(row.job_id)).toBe(true);
  });

  it('the submit path and field names follow the options; a refusal keeps the provider code and suggestion', async () => {
    const { fake, data, submit, rows } = await setup(['images/invoice.png']);
    const opts = ['--option', 'submit_path=/jobs', '--option', 'document_field=content', '--option', 'mime_type_field=type', '--option', 'filename_field='];
    expect((await submit([...EXTRACTOR, ...opts])).code).toBe(4);
    const [post] = submits(fake);
    expect(post.path).toBe('/v1/jobs');
    const body = jsonOf(post);
    expect(Object.keys(body).sort()).toEqual(['content', 'extractor_id', 'type']);
    expect(Buffer.from(body.content as string, 'base64').equals(data.get('invoice.png')!)).toBe(true);
    const [row] = [...(await rows()).values()];
    expect(row.error).toMatchObject({ code: 'HTTP_404', category: 'provider' });
    expect(row.error!.message).toContain('not_found');

    // The fake knows only the default names: the document under another name is refused.
    const again = await setup(['images/invoice.png']);
    expect((await again.submit([...EXTRACTOR, '--option', 'document_field=file'])).code).toBe(4);
    const [refused] = [...(await again.rows()).values()];
    expect(refused.error).toMatchObject({ code: 'HTTP_400' });
    expect(refused.error!.message).toContain('document_unreadable document must be non-empty base64 (Base64-encode the file bytes)');
  });

  it('a job already finished in the submit answer (inside a data envelope) is recorded without a poll', async () => {
    const job = { id: 'job_0123456789abcdef01234567', status: 'completed', extracted_data: { total: 42 }, confidence: { total: 0.9 } };
    const { fake, submit, rows } = await setup(['images/invoice.png'], {
      inject: [{ match: (r) => r.method === 'POST', times: 1, fault: { status: 200, body: { data: job } } }],
    });
    const { code, stderr } = await submit(EXTRACTOR);
    expect(code, stderr).toBe(0);
    expect(fake.requests.length).toBe(1);
    const [row] = [...(await rows()).values()];
    expect(row).toMatchObject({ job_id: job.id, status: 'completed', result: job, pages: 1 });
  });

  it('types and sizes DocExtract does not take fail without a request', async () => {
    const { fake, submit, rows } = await setup(['images/memo.webp', 'images/invoice.png', 'pdfs/born-digital.pdf']);
    expect((await submit([...EXTRACTOR, '--option', 'max_file_bytes=2000'])).code).toBe(3);
    const folded = await rows();
    expect(rowFor(folded, 'docs/memo.webp')!.error).toMatchObject({ code: 'UNSUPPORTED_BY_PROVIDER' });
    expect(rowFor(folded, 'docs/invoice.png')!.error).toMatchObject({ code: 'FILE_TOO_LARGE' });
    expect(rowFor(folded, 'docs/invoice.png')!.error!.message).toContain('over max_file_bytes=2000; not sent');
    expect(rowFor(folded, 'docs/born-digital.pdf')!.status).toBe('completed');
    expect(submits(fake).length).toBe(1);
  });

  it('option values that cannot be sent are usage errors (exit 2) before any request', async () => {
    const { fake, submit } = await setup(['images/invoice.png']);
    const cases: Array<[string[], string]> = [
      [['--option', 'metadata=[1,2]'], 'metadata must be a JSON object'],
      [['--option', 'submit_path=https://elsewhere.example/documents'], 'submit_path must be a path under the base URL'],
      [['--option', 'document_field=extractor_id'], 'is used twice'],
      [['--option', 'max_file_bytes=20MB'], 'max_file_bytes must be a whole number'],
    ];
    for (const [extra, message] of cases) {
      const { code, stderr } = await submit([...EXTRACTOR, ...extra]);
      expect(code, extra.join(' ')).toBe(2);
      expect(stderr).toContain(message);
    }
    expect(fake.requests.length).toBe(0);
  });
});
