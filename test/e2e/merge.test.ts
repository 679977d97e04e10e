/**
 * `ocrq merge` as a user meets it: shard manifests written by real `ocrq submit` processes (the embedded engine on
 * fixtures, a provider's fake over HTTP) over overlapping parts of one batch, merged by the built CLI. The merged
 * manifest must fold naively to its export, be resumed by `submit --out` without processing anything again (pending
 * jobs are polled, never submitted twice), and merge must stop on a corrupt line (exit 2, path:line), ignore a torn
 * last line with a warning, and exit 7 while jobs are pending.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startFakeProvider } from '../fakes/index.js';
import { makeRemoteCorpus } from '../helpers/remote.js';
import { spawnOcrq } from '../helpers/spawn.js';
import { FIXTURES, makeTempDir } from '../helpers/tmp.js';

type Row = Record<string, unknown> & { job_id: string; status: string };

const parseLines = (text: string): Row[] =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Row);

const lastLine = (stdout: string): Row => parseLines(stdout).at(-1)!;

function naiveFold(rows: Row[]): Map<string, Row> {
  const folded = rows.reduce((jobs, row) => jobs.set(row.job_id, Object.assign({}, jobs.get(row.job_id), row)), new Map<string, Row>());
  for (const [jobId, row] of folded) if (row.status === 'superseded') folded.delete(jobId);
  return folded;
}

async function ocrq(dir: string, args: string[]) {
  return spawnOcrq(args, { cwd: dir }).exited;
}

/** A plain object merge by job id of the file's lines equals `ocrq export --format jsonl`; returns the jobs. */
async function expectNaiveFoldIsExport(dir: string, file: string): Promise<Map<string, Row>> {
  const naive = naiveFold(parseLines(await fs.readFile(path.join(dir, file), 'utf8')));
  const exported = await ocrq(dir, ['export', file, '--format', 'jsonl']);
  expect(exported.code, exported.stderr).toBe(0);
  const view = parseLines(exported.stdout);
  expect([...naive.keys()]).toEqual(view.map((r) => r.job_id));
  for (const row of view) expect(naive.get(row.job_id), row.job_id).toEqual(row);
  return naive;
}

async function copy(from: string, to: string): Promise<void> {
  await fs.mkdir(path.dirname(to), { recursive: true });
  await fs.copyFile(from, to);
}

describe('ocrq merge (spawned)', () => {
  it('local runs over overlapping parts: merged, folds to its export, resumes with nothing to do; corrupt and torn lines', async () => {
    const dir = await makeTempDir();
    const fixture = (rel: string) => path.join(FIXTURES, rel);
    // Shard 0 and shard 1 overlap in content: the born-digital PDF (completed in both) and the protected one (failed in both).
    await copy(fixture('pdfs/born-digital.pdf'), path.join(dir, 'in/a/born-digital.pdf'));
    await copy(fixture('pdfs/filled-form.pdf'), path.join(dir, 'in/a/form.pdf'));
    await copy(fixture('pdfs/protected.pdf'), path.join(dir, 'in/a/protected.pdf'));
    await copy(fixture('misc/notes.txt'), path.join(dir, 'in/a/notes.txt'));
    await copy(fixture('pdfs/born-digital.pdf'), path.join(dir, 'in/b/copy of born-digital.pdf'));
    await copy(fixture('pdfs/owner-only.pdf'), path.join(dir, 'in/b/owner-only.pdf'));
    await copy(fixture('pdfs/protected.pdf'), path.join(dir, 'in/b/protected-again.pdf'));
    await fs.mkdir(path.join(dir, 'shards'));
    const shard0 = await ocrq(dir, ['submit', 'in/a', '--out', 'shards/shard-0.jsonl', '--workers', '1', '--json']);
    const shard1 = await ocrq(dir, ['submit', 'in/b', '--out', 'shards/shard-1.jsonl', '--workers', '1', '--json']);
    expect(shard0.code, shard0.stderr).toBe(3);
    expect(shard1.code, shard1.stderr).toBe(3);

    const merged = await ocrq(dir, ['merge', 'shards', '-o', 'merged.jsonl', '--json']);
    expect(merged.code, merged.stderr).toBe(3);
    const events = parseLines(merged.stdout);
    expect(events.map((e) => [e.type, e.manifest ?? null])).toEqual([
      ['input', 'shards/shard-0.jsonl'],
      ['input', 'shards/shard-1.jsonl'],
      ['summary', null],
    ]);
    expect(events[1]).toMatchObject({ jobs: 3, completed: 2, failed: 1, replaced: 2 });
    expect(events[2]).toMatchObject({ manifests: 2, jobs: 5, completed: 3, failed: 1, skipped: 1, pending: 0, shared_contents: 2, exit_code: 3 });

    // (a) the merged file folds naively to its export, and the shared contents list the sources of both shards.
    const jobs = await expectNaiveFoldIsExport(dir, 'merged.jsonl');
    const bornDigital = [...jobs.values()].find((r) => r.source === 'in/a/born-digital.pdf')!;
    expect(bornDigital).toMatchObject({ status: 'completed', sources: ['in/a/born-digital.pdf', 'in/b/copy of born-digital.pdf'] });
    expect([...jobs.values()].find((r) => r.status === 'failed')!.sources).toEqual(['in/a/protected.pdf', 'in/b/protected-again.pdf']);

    // (b) a submit over the same inputs against the merged manifest processes nothing and writes nothing.
    const before = await fs.readFile(path.join(dir, 'merged.jsonl'), 'utf8');
    const resumed = await ocrq(dir, ['submit', 'in/a', 'in/b', '--out', 'merged.jsonl', '--workers', '1', '--json']);
    expect(resumed.code, resumed.stderr).toBe(3);
    expect(lastLine(resumed.stdout)).toMatchObject({ processed: 0, already_done: 4, completed: 3, failed: 1, skipped: 1 });
    expect(await fs.readFile(path.join(dir, 'merged.jsonl'), 'utf8')).toBe(before);
    const status = await ocrq(dir, ['status', 'merged.jsonl', '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ jobs: 5, by_status: { completed: 3, failed: 1, skipped: 1, submitted: 0, processing: 0 } });

    // (c) a corrupt line: exit 2 naming the manifest and the line, and no output.
    const shard1Lines = (await fs.readFile(path.join(dir, 'shards/shard-1.jsonl'), 'utf8')).split('\n');
    await fs.mkdir(path.join(dir, 'bad'));
    await fs.writeFile(path.join(dir, 'bad/shard-1.jsonl'), [shard1Lines[0], '{"job_id":"local_x","status":', ...shard1Lines.slice(1)].join('\n'));
    const corrupt = await ocrq(dir, ['merge', 'shards/shard-0.jsonl', 'bad/shard-1.jsonl', '-o', 'bad-merge.jsonl']);
    expect(corrupt.code).toBe(2);
    expect(corrupt.stderr).toContain('ocrq: error: bad/shard-1.jsonl:2: corrupt manifest line (not valid JSON); nothing was merged');
    await expect(fs.access(path.join(dir, 'bad-merge.jsonl'))).rejects.toThrow();

    // (d) a torn last line (a shard killed mid-write): reported, ignored, the same merge.
    await fs.mkdir(path.join(dir, 'torn'));
    await fs.writeFile(path.join(dir, 'torn/shard-1.jsonl'), `${shard1Lines.join('\n')}{"job_id":"local_0123`);
    const torn = await ocrq(dir, ['merge', 'shards/shard-0.jsonl', 'torn/shard-1.jsonl', '-o', 'torn-merge.jsonl']);
    expect(torn.code, torn.stderr).toBe(3);
    expect(torn.stderr).toContain('ocrq: warning: manifest torn/shard-1.jsonl: ignored a torn last line (21 bytes, probably cut short by a killed run)');
    expect(await fs.readFile(path.join(dir, 'torn-merge.jsonl'), 'utf8')).toBe(before);
  }, 120_000);

  it('a provider without idempotency: one job per content, the other shard\'s superseded; pending jobs exit 7 and are polled by the resume, never resubmitted', async () => {
    const dir = await makeTempDir();
    const files = ['images/invoice.png', 'images/receipt.jpg', 'pdfs/born-digital.pdf', 'pdfs/scanned.pdf', 'pdfs/protected.pdf'];
    const corpus = await makeRemoteCorpus(dir, files);
    const fake = await startFakeProvider('docextract', { texts: corpus.texts, failures: corpus.failures, firstPollSeconds: 0 } as never);
    onTestFinished(() => fake.close());
    // Shard 0: invoice, receipt, born-digital; shard 1: born-digital again (another path), scanned, protected.
    for (const name of ['invoice.png', 'receipt.jpg', 'born-digital.pdf']) await copy(path.join(dir, 'docs', name), path.join(dir, 'in/0', name));
    for (const name of ['scanned.pdf', 'protected.pdf']) await copy(path.join(dir, 'docs', name), path.join(dir, 'in/1', name));
    await copy(path.join(dir, 'docs/born-digital.pdf'), path.join(dir, 'in/1/born-digital-copy.pdf'));
    const provider = ['--provider', 'docextract', '--api-key', fake.apiKey, '--base-url', fake.url, '--option', 'extractor_id=ext_invoices', '--rps', '200', '--poll-interval', '50ms', '--json'];

    const shard0 = await ocrq(dir, ['submit', 'in/0', '--out', 's0.jsonl', ...provider]);
    expect(shard0.code, shard0.stderr).toBe(0);
    // Shard 1 submits and stops without waiting: its jobs stay submitted.
    const shard1 = await ocrq(dir, ['submit', 'in/1', '--out', 's1.jsonl', '--no-wait', ...provider]);
    expect(shard1.code, shard1.stderr).toBe(0);
    expect([...fake.submissionsByContent.values()].sort()).toEqual([1, 1, 1, 1, 2]);

    // (e) jobs still pending: exit 7.
    const merged = await ocrq(dir, ['merge', 's0.jsonl', 's1.jsonl', '-o', 'm.jsonl']);
    expect(merged.code, merged.stderr).toBe(7);
    expect(merged.stderr).toContain('ocrq: 2 jobs still pending');
    const jobs = await expectNaiveFoldIsExport(dir, 'm.jsonl');
    expect(jobs.size).toBe(5);
    const bornDigital = [...jobs.values()].find((r) => r.source === 'in/0/born-digital.pdf')!;
    expect(bornDigital).toMatchObject({ status: 'completed', sources: ['in/0/born-digital.pdf', 'in/1/born-digital-copy.pdf'] });
    const lines = parseLines(await fs.readFile(path.join(dir, 'm.jsonl'), 'utf8'));
    const loser = lines.find((r) => r.status === 'superseded' && r.superseded_by === bornDigital.job_id && !String(r.job_id).startsWith('intent_'));
    expect(loser, 'shard 1\'s job for the shared content').toMatchObject({ source: 'in/1/born-digital-copy.pdf', sha256: bornDigital.sha256 });

    // The merged manifest resumes: pending jobs are polled, the completed ones kept, nothing is submitted again.
    const resumed = await ocrq(dir, ['submit', 'in/0', 'in/1', '--out', 'm.jsonl', ...provider]);
    expect(resumed.code, resumed.stderr).toBe(3);
    expect(lastLine(resumed.stdout)).toMatchObject({ completed: 4, failed: 1, pending: 0, already_done: 3 });
    expect([...fake.submissionsByContent.values()].sort()).toEqual([1, 1, 1, 1, 2]);
    const after = await expectNaiveFoldIsExport(dir, 'm.jsonl');
    expect([...after.values()].map((r) => r.status).sort()).toEqual(['completed', 'completed', 'completed', 'completed', 'failed']);
  }, 60_000);
});
