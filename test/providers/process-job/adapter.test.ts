/**
 * process-job (DocuProx) against its fake (real HTTP on 127.0.0.1): the template id, the three upload forms,
 * upper-case status words with spaces, results fetched with POST /job-results, failures, and what a resend means
 * for an API without idempotency.
 */
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { sha256Hex } from '../../../src/documents/hash.js';
import { run } from '../../../src/main.js';
import { startFakeProvider, type FakeRequest, type ProcessJobOptions } from '../../fakes/index.js';
import { parseBoundary, parseMultipart, textField } from '../../fakes/multipart.js';
import { captureIo } from '../../helpers/io.js';
import { fold, readRows, rowFor } from '../../helpers/manifest.js';
import { makeTempDir } from '../../helpers/tmp.js';
import { copyFixtures } from '../../helpers/remote.js';

const TEMPLATE = '9a1c2e3f-4b5d-4c6e-8f70-1a2b3c4d5e6f';
const SCANNED = ['scan page one', 'scan page two', 'scan page three'];

async function setup(files: Record<string, string>, options: ProcessJobOptions = {}) {
  const dir = await makeTempDir();
  const data = Object.fromEntries(await copyFixtures(dir, Object.keys(files)));
  const texts = new Map<string, { pages: string[] }>();
  for (const [rel, text] of Object.entries(files)) texts.set(sha256Hex(data[path.basename(rel)]), { pages: text === 'scan' ? SCANNED : [text] });
  const fake = await startFakeProvider('process-job', { texts, templates: [TEMPLATE], ...options });
  onTestFinished(() => fake.close());
  const args = ['submit', 'docs', '--provider', 'process-job', '--api-key', fake.apiKey, '--base-url', fake.url, '--out', 'm.jsonl', '--poll-interval', '20ms'];
  const runOcrq = async (...extra: string[]) => {
    const io = captureIo(dir);
    const code = await run([...args, ...extra], io.deps);
    return { code, stderr: io.stderr(), rows: code === 2 ? new Map() : fold(await readRows(path.join(dir, 'm.jsonl'))) };
  };
  return { fake, data, runOcrq };
}

const lines = (fake: { requests: Array<{ method: string; path: string; query: string; status: number }> }) =>
  fake.requests.map((r) => `${r.method} ${r.path}${r.query} ${r.status}`);
const isStatusRead = (req: FakeRequest) => req.method === 'GET' && req.path.startsWith('/v1/job-status');

describe('process-job (DocuProx)', () => {
  it('multipart submit with template_id and static_values; NEW → PROCESSING IMAGE → SUCCESS; results from /job-results', async () => {
    const { fake, data, runOcrq } = await setup({ 'pdfs/scanned.pdf': 'scan' }, { progress: { polls: 2 } });
    const { code, rows, stderr } = await runOcrq('--option', `template_id=${TEMPLATE}`, '--option', 'static_values={"batch":"B-7"}');
    expect(code, stderr).toBe(0);
    const row = rowFor(rows, 'docs/scanned.pdf')!;
    const id = row.job_id;
    expect(lines(fake)).toEqual([
      'POST /v1/process-job 202',
      ...Array(3).fill(`GET /v1/job-status?job_id=${id} 200`),
      'POST /v1/job-results 200',
    ]);
    const submit = fake.requests[0];
    expect(submit.headers['x-auth']).toBe(fake.apiKey);
    expect(submit.headers.authorization).toBeUndefined();
    expect(submit.idempotencyKey).toMatch(/^ocrq-/);
    const parts = parseMultipart(submit.body, parseBoundary(String(submit.headers['content-type']))!)!;
    expect(textField(parts, 'template_id')).toBe(TEMPLATE);
    expect(JSON.parse(textField(parts, 'static_values')!)).toEqual({ batch: 'B-7' });
    const image = parts.find((p) => p.name === 'actual_image')!;
    expect(image).toMatchObject({ filename: 'scanned.pdf', contentType: 'application/pdf' });
    expect(image.data.equals(data['scanned.pdf'])).toBe(true);
    expect(JSON.parse(fake.requests.at(-1)!.body.toString())).toEqual({ job_id: id, result_format: 'json' });

    expect(fake.jobs.get(id)!.status).toBe('SUCCESS');
    // The template's field map, verbatim; no text, and the page count is ocrq's own.
    expect(row).toMatchObject({ status: 'completed', target: 'process-job', pages: 3, result: { text: SCANNED.join('\n\n') } });
    expect(row.text).toBeUndefined();
  });

  it('without template_id the run is a usage error (exit 2) and nothing is sent', async () => {
    const { fake, runOcrq } = await setup({ 'images/invoice.png': 'INVOICE' });
    const { code, stderr } = await runOcrq();
    expect(code).toBe(2);
    expect(stderr).toMatch(/process-job needs --option template_id=/);
    expect(fake.requests).toEqual([]);
  });

  it('upload=json sends the document as base64 in actual_image; result_format=csv asks for CSV', async () => {
    const { fake, data, runOcrq } = await setup({ 'images/invoice.png': 'INVOICE 9' }, { progress: { polls: 0 } });
    const { code, rows } = await runOcrq('--option', `template_id=${TEMPLATE}`, '--option', 'upload=json', '--option', 'result_format=csv', '--option', 'static_values={"k":"v"}');
    expect(code).toBe(0);
    const submit = fake.requests[0];
    expect(submit.headers['content-type']).toBe('application/json');
    expect(JSON.parse(submit.body.toString())).toEqual({ template_id: TEMPLATE, static_values: { k: 'v' }, actual_image: data['invoice.png'].toString('base64') });
    expect(JSON.parse(fake.requests.at(-1)!.body.toString())).toMatchObject({ result_format: 'csv' });
    expect(rowFor(rows, 'docs/invoice.png')).toMatchObject({ status: 'completed', result: 'text\r\n"INVOICE 9"\r\n' });
  });

  it('upload=binary PUTs the raw bytes with t_id; status_endpoint=path polls /job-status/{id}', async () => {
    const { fake, data, runOcrq } = await setup({ 'images/receipt.jpg': 'RECEIPT' }, { progress: { polls: 1 } });
    const { code, rows } = await runOcrq('--option', `template_id=${TEMPLATE}`, '--option', 'upload=binary', '--option', 'status_endpoint=path', '--option', 'static_values={"who":"Zoë"}');
    expect(code).toBe(0);
    const id = rowFor(rows, 'docs/receipt.jpg')!.job_id;
    expect(lines(fake)).toEqual([`PUT /v1/process-job?t_id=${TEMPLATE} 202`, `GET /v1/job-status/${id} 200`, `GET /v1/job-status/${id} 200`, 'POST /v1/job-results 200']);
    const submit = fake.requests[0];
    expect(submit.headers['content-type']).toBe('application/octet-stream');
    expect(submit.body.equals(data['receipt.jpg'])).toBe(true);
    expect(JSON.parse(String(submit.headers.static_values))).toEqual({ who: 'Zoë' });
    expect(fake.jobs.get(id)!.params).toMatchObject({ static_values: { who: 'Zoë' } });
  });

  it('a failure status is PROCESS_JOB_FAILED with the status word; a code in the results refusal is kept', async () => {
    const { fake, data, runOcrq } = await setup({ 'images/invoice.png': 'x', 'images/receipt.jpg': 'y' });
    fake.setOptions({
      failures: new Map([
        [sha256Hex(data['invoice.png']), { code: 'PROCESS IMAGE FAILED', message: 'could not read the image' }],
        [sha256Hex(data['receipt.jpg']), { code: 'TEMPLATE_MISMATCH', message: 'no anchor found' }],
      ]),
    });
    const { code, rows } = await runOcrq('--option', `template_id=${TEMPLATE}`);
    expect(code).toBe(4);
    const invoice = rowFor(rows, 'docs/invoice.png')!;
    expect(fake.jobs.get(invoice.job_id)!.status).toBe('PROCESS IMAGE FAILED');
    expect(invoice).toMatchObject({ status: 'failed', error: { code: 'PROCESS_JOB_FAILED', category: 'provider' } });
    expect(invoice.error!.message).toMatch(/status PROCESS IMAGE FAILED \(PROCESS IMAGE FAILED: could not read the image\)/);
    const receipt = rowFor(rows, 'docs/receipt.jpg')!;
    expect(fake.jobs.get(receipt.job_id)!.status).toBe('FAILED');
    expect(receipt).toMatchObject({ status: 'failed', error: { code: 'TEMPLATE_MISMATCH' } });
    expect(receipt.error!.message).toMatch(/status FAILED \(no anchor found\)/);
  });

  it('PROCESS IMAGE SUCCESS tries /job-results early: a 400 there means not ready, and polling goes on', async () => {
    const { fake, runOcrq } = await setup({ 'images/invoice.png': 'INVOICE' }, { progress: { polls: 1 } });
    fake.setOptions({ inject: [{ match: isStatusRead, times: 1, fault: { status: 200, body: { job_id: 'x', status: 'PROCESS IMAGE SUCCESS' } } }] });
    const { code, rows } = await runOcrq('--option', `template_id=${TEMPLATE}`);
    expect(code).toBe(0);
    const id = rowFor(rows, 'docs/invoice.png')!.job_id;
    expect(lines(fake)).toEqual([
      'POST /v1/process-job 202',
      `GET /v1/job-status?job_id=${id} 200`,
      'POST /v1/job-results 400',
      `GET /v1/job-status?job_id=${id} 200`,
      'POST /v1/job-results 200',
    ]);
    expect(rowFor(rows, 'docs/invoice.png')).toMatchObject({ status: 'completed', result: { text: 'INVOICE' } });
  });

  it('status words are compared case-insensitively, and the success words are an option', async () => {
    const { fake, runOcrq } = await setup({ 'images/invoice.png': 'INVOICE' }, { progress: { polls: 0 } });
    fake.setOptions({ inject: [{ match: isStatusRead, times: 1, fault: { status: 200, body: { status: 'completed' } } }] });
    const first = await runOcrq('--option', `template_id=${TEMPLATE}`);
    expect(first.code).toBe(0);
    expect(lines(fake).slice(1).map((l) => l.split(' ')[0])).toEqual(['GET', 'POST']);

    const other = await setup({ 'images/receipt.jpg': 'RECEIPT' }, { progress: { polls: 0 } });
    other.fake.setOptions({ inject: [{ match: isStatusRead, times: 1, fault: { status: 200, body: { status: 'Done' } } }] });
    const custom = await other.runOcrq('--option', `template_id=${TEMPLATE}`, '--option', 'success_statuses=DONE,SUCCESS');
    expect(custom.code).toBe(0);
    expect(lines(other.fake)).toHaveLength(3);
    expect(rowFor(custom.rows, 'docs/receipt.jpg')).toMatchObject({ status: 'completed', result: { text: 'RECEIPT' } });
  });

  it('no idempotency: a submit whose answer is lost is not resent; --retry-failed SUBMIT_UNCONFIRMED resends it', async () => {
    const { fake, data, runOcrq } = await setup({ 'images/invoice.png': 'INVOICE' }, { progress: { polls: 0 } });
    fake.setOptions({ inject: [{ match: (r) => r.method === 'POST' && r.path === '/v1/process-job', times: 1, fault: 'reset-after-handling' }] });
    const first = await runOcrq('--option', `template_id=${TEMPLATE}`);
    expect(first.code).toBe(4);
    expect(fake.requests.filter((r) => r.path === '/v1/process-job')).toHaveLength(1);
    expect(rowFor(first.rows, 'docs/invoice.png')).toMatchObject({ status: 'failed', error: { code: 'SUBMIT_UNCONFIRMED' } });
    expect(first.stderr).toMatch(/may have created a job ocrq cannot see.*--retry-failed SUBMIT_UNCONFIRMED/);
    const again = await runOcrq('--option', `template_id=${TEMPLATE}`, '--retry-failed', 'SUBMIT_UNCONFIRMED');
    expect(again.code).toBe(0);
    expect(fake.submissionsByContent.get(sha256Hex(data['invoice.png']))).toBe(2);
    const row = rowFor(again.rows, 'docs/invoice.png')!;
    expect([...fake.jobs.keys()].indexOf(row.job_id)).toBe(1);
    expect(row.status).toBe('completed');
  });

  it('--no-wait records the job; a later run polls it and fetches its result without submitting again', async () => {
    const { fake, runOcrq } = await setup({ 'images/invoice.png': 'INVOICE' }, { progress: { polls: 1 } });
    const first = await runOcrq('--option', `template_id=${TEMPLATE}`, '--no-wait');
    expect(first.code).toBe(0);
    expect(rowFor(first.rows, 'docs/invoice.png')).toMatchObject({ status: 'submitted', provider_status: 'NEW' });
    const again = await runOcrq('--option', `template_id=${TEMPLATE}`);
    expect(again.code).toBe(0);
    expect(fake.requests.filter((r) => r.path === '/v1/process-job').length).toBe(1);
    expect(rowFor(again.rows, 'docs/invoice.png')).toMatchObject({ status: 'completed', result: { text: 'INVOICE' } });
  });

  it.each([
    ['static_values=[1]', /static_values must be a JSON object of strings/],
    ['upload=ftp', /upload must be one of multipart, json, binary/],
    ['status_endpoint=header', /status_endpoint must be one of query, path/],
    ['success_statuses=,', /success_statuses needs at least one status/],
  ])('a malformed option (%s) is a usage error before anything is sent', async (option, message) => {
    const { fake, runOcrq } = await setup({ 'images/invoice.png': 'INVOICE' });
    const { code, stderr } = await runOcrq('--option', `template_id=${TEMPLATE}`, '--option', option);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(fake.requests).toEqual([]);
  });
});
