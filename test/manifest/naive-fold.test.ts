/**
 * The manifest is a public format: a reader who folds the raw JSONL by job_id with a plain object merge (later
 * fields win) and drops the jobs whose folded status is `superseded` must get exactly `ocrq export --format jsonl`.
 * Each test builds a real journal (local engine, every remote provider against its fake, webhooks through
 * `submit --listen` and standalone `listen`, runs stopped and resumed, `--retry-failed`) and checks after every run:
 * - the naive fold equals the export, job by job and field by field (`sources` included: every line that names
 *   sources carries all of them);
 * - no line puts `null` over a value an earlier line of that job gave;
 * - no job has two lines with a terminal outcome in one run, and a completed LeapOCR job's first completed line
 *   carries its text.
 */
import fs from 'node:fs/promises';
import { freePort } from '../helpers/net.js';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { run } from '../../src/main.js';
import { hasAdapter } from '../../src/providers/registry.js';
import { startFakeProvider } from '../fakes/index.js';
import { captureIo, type CapturedIo } from '../helpers/io.js';
import { makeRemoteCorpus } from '../helpers/remote.js';
import { spawnOcrq } from '../helpers/spawn.js';
import { FIXTURES, makeTempDir } from '../helpers/tmp.js';
import { CASES } from '../remote/cases.js';
import { setupMany, summaryOf } from '../remote/remote-setup.js';

type Row = Record<string, unknown> & { job_id: string; status: string };

const SECRET = 'whsec_naive_fold_secret_1234';

async function rawLines(file: string): Promise<Row[]> {
  return (await fs.readFile(file, 'utf8'))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Row);
}

/** What a reader with nothing but a JSON library does: `Object.assign` per job id, then drop superseded jobs. */
function naiveFold(rows: Row[]): Map<string, Row> {
  const folded = rows.reduce((jobs, row) => jobs.set(row.job_id, Object.assign({}, jobs.get(row.job_id), row)), new Map<string, Row>());
  for (const [jobId, row] of folded) if (row.status === 'superseded') folded.delete(jobId);
  return folded;
}

async function exported(dir: string, manifest: string): Promise<Map<string, Row>> {
  const io = captureIo(dir);
  expect(await run(['export', manifest, '--format', 'jsonl'], io.deps), io.stderr()).toBe(0);
  const rows = io
    .stdout()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Row);
  return new Map(rows.map((r) => [r.job_id, r]));
}

/** Lines written since `from` (a count of lines), per job: those with a terminal outcome. */
function outcomeLines(rows: Row[], from: number): Map<string, Row[]> {
  const byJob = new Map<string, Row[]>();
  for (const row of rows.slice(from)) {
    if (row.status !== 'completed' && row.status !== 'failed') continue;
    if (!('text' in row || 'error' in row || 'result' in row) || 'conflict' in row) continue;
    byJob.set(row.job_id, [...(byJob.get(row.job_id) ?? []), row]);
  }
  return byJob;
}

/**
 * The checks every journal must pass; `from` is the number of lines before the run just made (for the
 * one-terminal-line check). Returns the folded jobs.
 */
async function expectNaiveFoldIsExport(dir: string, manifest = 'm.jsonl', from = 0): Promise<Map<string, Row>> {
  const rows = await rawLines(path.join(dir, manifest));
  const naive = naiveFold(rows);
  const view = await exported(dir, manifest);
  expect([...naive.keys()], 'the same jobs, in the same order').toEqual([...view.keys()]);
  for (const [jobId, row] of view) expect(naive.get(jobId), jobId).toEqual(row);

  const seen = new Map<string, Row>();
  for (const [n, row] of rows.entries()) {
    const before = seen.get(row.job_id) ?? ({} as Row);
    for (const [key, value] of Object.entries(row)) {
      if (value === null) expect(before[key] ?? null, `line ${n + 1} (${row.job_id}) writes null over ${key}`).toBeNull();
    }
    seen.set(row.job_id, { ...before, ...row });
  }
  for (const [jobId, lines] of outcomeLines(rows, from)) {
    expect(lines.length, `${jobId}: terminal lines in one run`).toBe(1);
    if (lines[0].target === 'leapocr' && lines[0].status === 'completed') expect(lines[0].text, `${jobId}: LeapOCR text`).toEqual(expect.any(String));
  }
  return naive;
}

async function lineCount(dir: string, manifest = 'm.jsonl'): Promise<number> {
  return (await rawLines(path.join(dir, manifest)).catch(() => [])).length;
}

const statuses = (jobs: Map<string, Row>) => [...jobs.values()].map((r) => r.status).sort();

describe('naive fold of the journal = ocrq export: local engine', () => {
  it('a run with duplicates, refused inputs and a failure; a re-run from another path; --retry-failed', async () => {
    const dir = await makeTempDir();
    await fs.mkdir(path.join(dir, 'docs/more'), { recursive: true });
    const invoice = await fs.readFile(path.join(FIXTURES, 'images/invoice.png'));
    await fs.writeFile(path.join(dir, 'docs/invoice.png'), invoice);
    await fs.writeFile(path.join(dir, 'docs/more/invoice-copy.png'), invoice);
    await fs.copyFile(path.join(FIXTURES, 'pdfs/born-digital.pdf'), path.join(dir, 'docs/born-digital.pdf'));
    await fs.copyFile(path.join(FIXTURES, 'pdfs/protected.pdf'), path.join(dir, 'docs/protected.pdf'));
    await fs.writeFile(path.join(dir, 'docs/notes.txt'), 'not a document\n');
    const submit = async (args: string[], expected: number) => {
      const from = await lineCount(dir);
      const io = captureIo(dir);
      expect(await run(['submit', ...args, '--out', 'm.jsonl', '--workers', '1', '-q'], io.deps), io.stderr()).toBe(expected);
      return expectNaiveFoldIsExport(dir, 'm.jsonl', from);
    };
    const first = await submit(['docs'], 3);
    expect(statuses(first)).toEqual(['completed', 'completed', 'failed', 'skipped']);
    const invoiceRow = [...first.values()].find((r) => r.source === 'docs/invoice.png')!;
    expect(invoiceRow.sources).toEqual(['docs/invoice.png', 'docs/more/invoice-copy.png']);

    // Another path to the same contents: kept, and the new source is added by lines that name every source.
    await fs.mkdir(path.join(dir, 'other'));
    await fs.copyFile(path.join(dir, 'docs/protected.pdf'), path.join(dir, 'other/protected-again.pdf'));
    await fs.copyFile(path.join(dir, 'docs/invoice.png'), path.join(dir, 'other/invoice-again.png'));
    await submit(['other'], 3);
    // The failure is retried from the new path only: its row keeps the first source and gains the new one.
    const retried = await submit(['other', '--retry-failed'], 3);
    const protectedRow = [...retried.values()].find((r) => r.status === 'failed')!;
    expect(protectedRow.source).toBe('docs/protected.pdf');
    expect(protectedRow.sources).toEqual(['docs/protected.pdf', 'other/protected-again.pdf']);
  }, 120_000);
});

describe('naive fold of the journal = ocrq export: a local job done again with another outcome', () => {
  it('completed, then --force that fails, then --retry-failed that completes: no outcome leaks into the next', async () => {
    const dir = await makeTempDir();
    await fs.mkdir(path.join(dir, 'docs'));
    await fs.copyFile(path.join(FIXTURES, 'images/invoice.png'), path.join(dir, 'docs/invoice.png'));
    const submit = async (args: string[], expected: number) => {
      const from = await lineCount(dir);
      const io = captureIo(dir);
      expect(await run(['submit', 'docs', ...args, '--out', 'm.jsonl', '--workers', '1', '-q'], io.deps), io.stderr()).toBe(expected);
      return expectNaiveFoldIsExport(dir, 'm.jsonl', from);
    };
    const first = [...(await submit([], 0)).values()];
    expect(first.map((r) => r.status)).toEqual(['completed']);
    // A page budget no page can meet: the redo fails, and its job carries no text of the earlier outcome.
    const failed = [...(await submit(['--force', '--max-page-seconds', '0.001'], 4)).values()];
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ status: 'failed', error: { code: 'LIMIT_EXCEEDED', reason: 'time' } });
    expect(failed[0]).not.toHaveProperty('text');
    expect(failed[0].job_id).not.toBe(first[0].job_id);
    const completed = [...(await submit(['--retry-failed'], 0)).values()];
    expect(completed).toHaveLength(1);
    expect(completed[0].status).toBe('completed');
    expect(completed[0]).not.toHaveProperty('error');
    expect(String(completed[0].text)).toContain('Harbor Supply');
  }, 120_000);
});

const available = CASES.filter((c) => hasAdapter(c.name));

describe.each(available)('naive fold of the journal = ocrq export: $name', (pc) => {
  async function setup(fakeOptions: Record<string, unknown>) {
    const dir = await makeTempDir();
    const corpus = await makeRemoteCorpus(dir, pc.files);
    // A second path to one content, so that sources accumulate.
    await fs.copyFile(path.join(dir, 'docs/invoice.png'), path.join(dir, 'docs/invoice-copy.png'));
    const fake = await startFakeProvider(pc.name, { texts: corpus.texts, failures: corpus.failures, firstPollSeconds: 0, ...fakeOptions } as never);
    onTestFinished(() => fake.close());
    const args = ['submit', 'docs', '--provider', pc.name, '--api-key', fake.apiKey, '--base-url', fake.url, '--rps', '200', '--poll-interval', '50ms', '--out', 'm.jsonl', '-q', ...pc.options.flatMap((o) => ['--option', o])];
    const submit = async (extra: string[], expected: number[]) => {
      const from = await lineCount(dir);
      const io = captureIo(dir);
      const code = await run([...args, ...extra], io.deps);
      expect(expected, io.stderr()).toContain(code);
      return expectNaiveFoldIsExport(dir, 'm.jsonl', from);
    };
    return { dir, corpus, fake, submit };
  }

  it('--timeout, then a resume, then --retry-failed (the failure is submitted again and the old job superseded)', async () => {
    // syncMaxPages: qomplement would otherwise answer small files at once.
    const { fake, submit } = await setup({ progress: { ms: 600 }, syncMaxPages: 0 });
    const pending = await submit(['--timeout', '150ms'], [7]);
    expect(statuses(pending).every((s) => s === 'submitted' || s === 'failed')).toBe(true);
    expect([...pending.keys()].some((id) => id.startsWith('intent_'))).toBe(false);
    const done = await submit([], [3]);
    expect(statuses(done)).toEqual(['completed', 'completed', 'completed', 'completed', 'failed']);
    const failedBefore = [...done.values()].find((r) => r.status === 'failed')!;
    const retried = await submit(['--retry-failed'], [3]);
    expect(retried.size).toBe(5);
    const failedAfter = [...retried.values()].find((r) => r.status === 'failed')!;
    expect(failedAfter.job_id).not.toBe(failedBefore.job_id);
    expect(retried.has(failedBefore.job_id)).toBe(false);
    expect([...fake.submissionsByContent.values()].sort()).toEqual([1, 1, 1, 1, 2]);
    const invoice = [...retried.values()].find((r) => r.source === 'docs/invoice-copy.png' || r.source === 'docs/invoice.png')!;
    expect(invoice.sources).toEqual(expect.arrayContaining(['docs/invoice.png', 'docs/invoice-copy.png']));
  }, 60_000);

  it('--no-wait, then a run that collects', async () => {
    const { submit } = await setup({ progress: { polls: 1 } });
    await submit(['--no-wait'], [0, 3]);
    const done = await submit([], [3]);
    expect(statuses(done)).toEqual(['completed', 'completed', 'completed', 'completed', 'failed']);
  }, 60_000);

  it('submit --listen: results by webhook (and by polling where a webhook is missing)', async () => {
    const port = await freePort();
    const { submit } = await setup({
      progress: { ms: 150 },
      syncMaxPages: 0,
      webhooks: { url: `http://127.0.0.1:${port}/provider-hooks`, secret: SECRET, scheduleScale: 0.001, duplicate: 1 },
    });
    const done = await submit(['--listen', String(port), '--webhook-secret', SECRET, '--callback-grace', '300ms'], [3]);
    expect(statuses(done)).toEqual(['completed', 'completed', 'completed', 'completed', 'failed']);
  }, 60_000);
});

describe('naive fold of the journal = ocrq export: standalone listen', () => {
  async function startListen(dir: string, provider: string, out: string, port: number): Promise<{ io: CapturedIo; exited: Promise<number> }> {
    const io = captureIo(dir);
    const exited = run(['listen', '--port', String(port), '--provider', provider, '--secret', SECRET, '--out', out, '--json'], io.deps);
    onTestFinished(() => io.abort('SIGINT'));
    for (let i = 0; i < 500 && !io.stdout().includes('"ready"'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(io.stdout()).toContain('"ready"');
    return { io, exited };
  }

  it.each(['ocrqueen', 'leapocr'] as const)('%s: deliveries into their own manifest, and into the run\'s manifest, then a collecting run', async (name) => {
    const pc = CASES.find((c) => c.name === name)!;
    const dir = await makeTempDir();
    const corpus = await makeRemoteCorpus(dir, pc.files);
    const port = await freePort();
    const fake = await startFakeProvider(pc.name, {
      texts: corpus.texts,
      failures: corpus.failures,
      firstPollSeconds: 0,
      progress: { ms: 1500 },
      // Retries a second or more apart: a delivery made before the second listener is up (a slow machine) comes again.
      webhooks: { url: `http://127.0.0.1:${port}/hooks`, secret: SECRET, scheduleScale: 0.2, duplicate: 1 },
    } as never);
    onTestFinished(() => fake.close());
    const args = ['submit', 'docs', '--provider', pc.name, '--api-key', fake.apiKey, '--base-url', fake.url, '--rps', '200', '--poll-interval', '50ms', '-q'];

    // A listener with a manifest of its own: it knows no job, so its lines name no source and no content hash.
    const own = await startListen(dir, name, 'hooks.jsonl', port);
    expect([0, 3]).toContain(await run([...args, '--out', 'm.jsonl', '--no-wait'], captureIo(dir).deps));
    await fake.webhooksIdle();
    own.io.abort('SIGINT');
    expect(await own.exited).toBe(130);
    const hooks = await expectNaiveFoldIsExport(dir, 'hooks.jsonl');
    expect(hooks.size).toBe(pc.files.length);
    for (const row of hooks.values()) expect(row).not.toHaveProperty('sha256');

    // A listener on the run's own manifest once the run has let go of it (the jobs finish later), then a run that
    // collects what the webhooks did not carry (LeapOCR's text).
    expect([0, 3]).toContain(await run([...args, '--out', 'm2.jsonl', '--no-wait'], captureIo(dir).deps));
    const second = await startListen(dir, name, 'm2.jsonl', port);
    await fake.webhooksIdle();
    second.io.abort('SIGINT');
    expect(await second.exited).toBe(130);
    const heard = await expectNaiveFoldIsExport(dir, 'm2.jsonl');
    expect(statuses(heard)).toEqual(name === 'leapocr' ? ['failed', 'processing', 'processing', 'processing', 'processing'] : ['completed', 'completed', 'completed', 'completed', 'failed']);
    const from = await lineCount(dir, 'm2.jsonl');
    expect(await run([...args, '--out', 'm2.jsonl'], captureIo(dir).deps)).toBe(3);
    const collected = await expectNaiveFoldIsExport(dir, 'm2.jsonl', from);
    expect(statuses(collected)).toEqual(['completed', 'completed', 'completed', 'completed', 'failed']);
    for (const row of collected.values()) expect(row.sha256).toEqual(expect.any(String));
  }, 60_000);
});

describe('naive fold of the journal = ocrq export: a run killed mid-submission', () => {
  it('SIGKILL while submitting (intents left without a job id), then a resume', async () => {
    const { dir, fake, args } = await setupMany(16, { latencyMs: 30, progress: { polls: 2 } });
    const first = spawnOcrq([...args, '--rps', '40', '--concurrency', '4'], { cwd: dir });
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (fake.requests.filter((r) => r.path === '/v1/extract').length >= 6) {
          first.child.kill('SIGKILL');
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    await first.exited;
    const from = await lineCount(dir);
    const second = await spawnOcrq([...args, '--rps', '40', '--concurrency', '4'], { cwd: dir }).exited;
    expect(second.code, second.stderr).toBe(0);
    expect(summaryOf(second.stdout)).toMatchObject({ completed: 16 });
    const jobs = await expectNaiveFoldIsExport(dir, 'm.jsonl', from);
    expect(jobs.size).toBe(16);
  }, 60_000);
});
