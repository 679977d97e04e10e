/**
 * `ocrq merge`, in process, over manifests written line by line: the join rules (one job per content: completed
 * over skipped over failed over pending, the earliest first; sources united; the others superseded), one line per
 * job id whatever the inputs hold, and the command's checks and outputs. Every merge is checked against the
 * public rule: a plain object merge by job id of the merged lines is what `ocrq export` gives.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { beats, outcomeRank } from '../../src/commands/merge/join.js';
import { run } from '../../src/main.js';
import { ResumeIndex } from '../../src/manifest/resume-index.js';
import { captureIo } from '../helpers/io.js';
import { makeTempDir } from '../helpers/tmp.js';

type Row = Record<string, unknown> & { job_id: string; status: string };

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);
const SHA_C = 'c'.repeat(64);
const local = (sha: string) => `local_${sha.slice(0, 32)}`;
const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();

async function manifest(dir: string, name: string, rows: Row[], tail = ''): Promise<string> {
  await fs.writeFile(path.join(dir, name), rows.map((r) => `${JSON.stringify(r)}\n`).join('') + tail);
  return name;
}

async function lines(file: string): Promise<Row[]> {
  return (await fs.readFile(file, 'utf8'))
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Row);
}

function naiveFold(rows: Row[]): Map<string, Row> {
  const folded = rows.reduce((jobs, row) => jobs.set(row.job_id, Object.assign({}, jobs.get(row.job_id), row)), new Map<string, Row>());
  for (const [jobId, row] of folded) if (row.status === 'superseded') folded.delete(jobId);
  return folded;
}

/** Runs merge in process; checks one line per job id and naive fold = export; returns the visible jobs. */
async function merge(dir: string, args: string[], expectedCode: number) {
  const io = captureIo(dir);
  const code = await run(['merge', ...args], io.deps);
  expect(code, io.stderr()).toBe(expectedCode);
  const out = args[args.indexOf('-o') + 1];
  if (code === 2) return { io, jobs: new Map<string, Row>(), all: [] as Row[] };
  const all = await lines(path.join(dir, out));
  expect(new Set(all.map((r) => r.job_id)).size, 'one line per job id').toBe(all.length);
  const jobs = naiveFold(all);
  const exported = captureIo(dir);
  expect(await run(['export', out], exported.deps)).toBe(0);
  const view = exported
    .stdout()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row);
  expect([...jobs.keys()]).toEqual(view.map((r) => r.job_id));
  for (const row of view) expect(jobs.get(row.job_id)).toEqual(row);
  return { io, jobs, all };
}

const job = (fields: Partial<Row> & { job_id: string; status: string; sha256?: string | null; ts: string }): Row => ({ target: 'local', ...fields });

describe('join rules', () => {
  it('ranks outcomes: completed > skipped > failed > pending; then the earliest; then input and line order', () => {
    expect(['completed', 'skipped', 'failed', 'submitted', 'processing', 'weird'].map(outcomeRank)).toEqual([4, 3, 2, 1, 1, 0]);
    const c = (rank: number, since: number, manifest = 0, slot = 0) => ({ rank, since, manifest, slot });
    expect(beats(c(4, 100), c(2, 1))).toBe(true);
    expect(beats(c(2, 1), c(4, 100))).toBe(false);
    expect(beats(c(4, 1), c(4, 2))).toBe(true);
    expect(beats(c(4, 1, 1), c(4, 1, 0))).toBe(false);
    expect(beats(c(4, 1, 0, 3), c(4, 1, 0, 5))).toBe(true);
    expect(beats(c(4, Infinity), c(4, 5))).toBe(false);
  });

  it('the same local job in two shards: one line, completed over failed whatever the order, sources united', async () => {
    const dir = await makeTempDir();
    const failedLater = job({ job_id: local(SHA_A), status: 'failed', source: 'b/x.pdf', sources: ['b/x.pdf'], sha256: SHA_A, ts: at(9), error: { code: 'OCR_FAILED', message: 'no', category: 'engine' } });
    const s0 = await manifest(dir, 's0.jsonl', [
      job({ job_id: local(SHA_A), status: 'processing', source: 'a/x.pdf', sources: ['a/x.pdf'], sha256: SHA_A, ts: at(1), unfinished_attempts: 1 }),
      job({ job_id: local(SHA_A), status: 'completed', source: 'a/x.pdf', sources: ['a/x.pdf'], sha256: SHA_A, ts: at(2), text: 'hello', pages: 1 }),
    ]);
    const s1 = await manifest(dir, 's1.jsonl', [failedLater]);
    for (const order of [[s0, s1], [s1, s0]]) {
      const { jobs, all } = await merge(dir, [...order, '-o', 'm.jsonl'], 0);
      expect(all).toHaveLength(1);
      const row = jobs.get(local(SHA_A))!;
      expect(row).toMatchObject({ status: 'completed', text: 'hello', source: 'a/x.pdf' });
      expect(row).not.toHaveProperty('error');
      expect(row.sources).toEqual(['a/x.pdf', 'b/x.pdf']);
    }
  });

  it('two providers jobs for one content: the earliest completion wins, the other is superseded by it', async () => {
    const dir = await makeTempDir();
    const remote = (id: string, status: string, second: number, source: string, extra: Partial<Row> = {}) => job({ job_id: id, status, source, sources: [source], sha256: SHA_B, target: 'docextract', ts: at(second), ...extra });
    await manifest(dir, 's0.jsonl', [remote('job_late', 'submitted', 1, 'a/y.pdf'), remote('job_late', 'completed', 30, 'a/y.pdf', { result: { n: 1 } })]);
    await manifest(dir, 's1.jsonl', [remote('job_early', 'submitted', 2, 'b/y.pdf'), remote('job_early', 'completed', 20, 'b/y.pdf', { result: { n: 2 } })]);
    await manifest(dir, 's2.jsonl', [remote('job_failed', 'failed', 5, 'c/y.pdf', { error: { code: 'X', message: 'x', category: 'provider' } })]);
    const { jobs, all, io } = await merge(dir, ['s0.jsonl', 's1.jsonl', 's2.jsonl', '-o', 'm.jsonl', '--json'], 0);
    expect([...jobs.keys()]).toEqual(['job_early']);
    expect(jobs.get('job_early')).toMatchObject({ status: 'completed', source: 'b/y.pdf', result: { n: 2 } });
    expect(jobs.get('job_early')!.sources).toEqual(['b/y.pdf', 'a/y.pdf', 'c/y.pdf']);
    const losers = all.filter((r) => r.status === 'superseded');
    expect(losers.map((r) => [r.job_id, r.superseded_by]).sort()).toEqual([['job_failed', 'job_early'], ['job_late', 'job_early']]);
    for (const r of all) expect(r.sha256).toBe(SHA_B);
    // Resume finds the winner for the content, and the losers are not jobs.
    const index = await ResumeIndex.load(path.join(dir, 'm.jsonl'));
    expect(index.jobForContent('docextract', SHA_B)).toBe('job_early');
    expect([...index.visible()].map(([id]) => id)).toEqual(['job_early']);
    const events = io.stdout().trim().split('\n').map((l) => JSON.parse(l) as Row);
    expect(events.map((e) => e.type)).toEqual(['input', 'input', 'input', 'summary']);
    expect(events.map((e) => e.replaced)).toEqual([1, 0, 1, undefined]);
    expect(events.at(-1)).toMatchObject({ manifests: 3, jobs: 1, completed: 1, shared_contents: 1, superseded: 2, exit_code: 0 });
  });

  it('a content-made intent id in several shards, resolved in one and left open in another, is written once', async () => {
    const dir = await makeTempDir();
    const intent = `intent_${'d'.repeat(32)}`;
    const base = { sha256: SHA_C, target: 'ocrqueen' };
    await manifest(dir, 's0.jsonl', [
      { job_id: intent, status: 'submitted', source: 'a/z.png', sources: ['a/z.png'], ...base, ts: at(1), idempotency_key: 'k' },
      { job_id: 'q1', status: 'submitted', source: 'a/z.png', sources: ['a/z.png'], ...base, ts: at(2), idempotency_key: 'k' },
      { job_id: intent, status: 'superseded', source: 'a/z.png', sources: ['a/z.png'], ...base, ts: at(2), superseded_by: 'q1' },
      { job_id: 'q1', status: 'completed', source: 'a/z.png', sources: ['a/z.png'], ...base, ts: at(3), text: 'zed' },
    ]);
    await manifest(dir, 's1.jsonl', [{ job_id: intent, status: 'submitted', source: 'b/z.png', sources: ['b/z.png'], ...base, ts: at(1), idempotency_key: 'k' }]);
    const { jobs, all } = await merge(dir, ['s1.jsonl', 's0.jsonl', '-o', 'm.jsonl'], 0);
    expect([...jobs.keys()]).toEqual(['q1']);
    expect(jobs.get('q1')!.sources).toEqual(['a/z.png', 'b/z.png']);
    expect(all.filter((r) => r.job_id === intent)).toHaveLength(1);
    expect(all.find((r) => r.job_id === intent)).toMatchObject({ status: 'superseded' });
  });

  it('a webhook row without a hash joins the same job id where another shard knows its content', async () => {
    const dir = await makeTempDir();
    await manifest(dir, 'hooks.jsonl', [{ job_id: 'q7', status: 'completed', target: 'ocrqueen', ts: at(5), text: 'from the webhook', via: 'webhook' }]);
    await manifest(dir, 's0.jsonl', [{ job_id: 'q7', status: 'submitted', source: 'a/w.pdf', sources: ['a/w.pdf'], sha256: SHA_A, target: 'ocrqueen', ts: at(1), type: 'pdf', bytes: 10 }]);
    const { jobs, all } = await merge(dir, ['hooks.jsonl', 's0.jsonl', '-o', 'm.jsonl'], 0);
    expect(all).toHaveLength(1);
    expect(jobs.get('q7')).toMatchObject({ status: 'completed', text: 'from the webhook', sha256: SHA_A, source: 'a/w.pdf', sources: ['a/w.pdf'], type: 'pdf', bytes: 10 });
  });

  it('the same content on two targets stays two jobs; skipped rows without a hash join by job id', async () => {
    const dir = await makeTempDir();
    const skip = { job_id: 'skip_0123456789abcdef0123456789abcdef', status: 'skipped', source: 'big.pdf', sources: ['big.pdf'], sha256: null, target: 'local', ts: at(1), error: { code: 'FILE_TOO_LARGE', message: 'big', category: 'input' } };
    await manifest(dir, 's0.jsonl', [job({ job_id: local(SHA_A), status: 'completed', source: 'a.pdf', sources: ['a.pdf'], sha256: SHA_A, ts: at(1), text: 't' }), skip]);
    await manifest(dir, 's1.jsonl', [{ job_id: 'p1', status: 'completed', source: 'a.pdf', sources: ['a.pdf'], sha256: SHA_A, target: 'qomplement', ts: at(1), result: {} }, skip]);
    const { jobs } = await merge(dir, ['s0.jsonl', 's1.jsonl', '-o', 'm.jsonl'], 0);
    expect([...jobs.keys()].sort()).toEqual(['local_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'p1', skip.job_id]);
  });

  it('an older manifest\'s replaced job (submitted with superseded_by) is written with status superseded', async () => {
    const dir = await makeTempDir();
    await manifest(dir, 's0.jsonl', [
      { job_id: 'old', status: 'submitted', source: 'a.pdf', sources: ['a.pdf'], sha256: SHA_B, target: 'leapocr', ts: at(1), superseded_by: null },
      { job_id: 'old', status: 'submitted', source: 'a.pdf', sources: ['a.pdf'], sha256: SHA_B, target: 'leapocr', ts: at(2), superseded_by: 'new' },
      { job_id: 'new', status: 'completed', source: 'a.pdf', sources: ['a.pdf'], sha256: SHA_B, target: 'leapocr', ts: at(3), text: 'n' },
    ]);
    const { jobs, all } = await merge(dir, ['s0.jsonl', '-o', 'm.jsonl'], 0);
    expect([...jobs.keys()]).toEqual(['new']);
    expect(all.find((r) => r.job_id === 'old')).toMatchObject({ status: 'superseded', superseded_by: 'new' });
  });

  it('long texts are read back from their input when the job is written, also a winner held across inputs', async () => {
    const dir = await makeTempDir();
    const text = 'long page text '.repeat(2000);
    await manifest(dir, 's0.jsonl', [
      job({ job_id: local(SHA_A), status: 'completed', source: 'a/1.pdf', sources: ['a/1.pdf'], sha256: SHA_A, ts: at(1), text, result: { pages: [{ text }] } }),
      job({ job_id: local(SHA_A), status: 'completed', source: 'a/1.pdf', sources: ['a/1.pdf', 'a/2.pdf'], sha256: SHA_A, ts: at(2) }),
    ]);
    await manifest(dir, 's1.jsonl', [job({ job_id: local(SHA_A), status: 'processing', source: 'b/1.pdf', sources: ['b/1.pdf'], sha256: SHA_A, ts: at(0) })]);
    const { jobs } = await merge(dir, ['s0.jsonl', 's1.jsonl', '-o', 'm.jsonl'], 0);
    expect(jobs.get(local(SHA_A))).toMatchObject({ status: 'completed', text, result: { pages: [{ text }] }, sources: ['a/1.pdf', 'a/2.pdf', 'b/1.pdf'] });
  });
});

describe('ocrq merge: the command', () => {
  const shard = (sha: string, status: string, source: string, second = 1): Row => job({ job_id: local(sha), status, source, sources: [source], sha256: sha, ts: at(second), ...(status === 'failed' ? { error: { code: 'PDF_INVALID', message: 'bad', category: 'document' } } : status === 'completed' ? { text: 't' } : {}) });

  it('exit codes of the whole batch: 0, 3, 4, and 7 while jobs are pending', async () => {
    const dir = await makeTempDir();
    await manifest(dir, 'ok.jsonl', [shard(SHA_A, 'completed', 'a')]);
    await manifest(dir, 'bad.jsonl', [shard(SHA_B, 'failed', 'b')]);
    await manifest(dir, 'open.jsonl', [shard(SHA_C, 'processing', 'c')]);
    await merge(dir, ['ok.jsonl', '-o', 'm.jsonl'], 0);
    await merge(dir, ['ok.jsonl', 'bad.jsonl', '-o', 'm.jsonl'], 3);
    await merge(dir, ['bad.jsonl', '-o', 'm.jsonl'], 4);
    const { io } = await merge(dir, ['ok.jsonl', 'bad.jsonl', 'open.jsonl', '-o', 'm.jsonl'], 7);
    expect(io.stderr()).toContain('ocrq: 1 job still pending: run ocrq submit over the same inputs with --out m.jsonl to finish them');
    expect(io.stderr()).toContain('ocrq: exit code 7');
  });

  it('takes a folder of manifests and a quoted glob, in natural order; the same file twice is read once', async () => {
    const dir = await makeTempDir();
    await fs.mkdir(path.join(dir, 'shards'));
    for (const n of [10, 2, 1]) await manifest(dir, `shards/shard-${n}.jsonl`, [shard(SHA_A, 'completed', `in/${n}.pdf`, n)]);
    await fs.writeFile(path.join(dir, 'shards', 'notes.txt'), 'not a manifest\n');
    const viaFolder = await merge(dir, ['shards', '-o', 'm.jsonl', '--json'], 0);
    const inputs = (io: typeof viaFolder.io) => io.stdout().trim().split('\n').map((l) => JSON.parse(l) as Row).filter((e) => e.type === 'input').map((e) => e.manifest);
    expect(inputs(viaFolder.io)).toEqual(['shards/shard-1.jsonl', 'shards/shard-2.jsonl', 'shards/shard-10.jsonl']);
    expect(viaFolder.jobs.get(local(SHA_A))!.sources).toEqual(['in/1.pdf', 'in/2.pdf', 'in/10.pdf']);
    const viaGlob = await merge(dir, ['shards/*.jsonl', 'shards/shard-1.jsonl', '-o', 'g.jsonl', '--json'], 0);
    expect(inputs(viaGlob.io)).toEqual(['shards/shard-1.jsonl', 'shards/shard-2.jsonl', 'shards/shard-10.jsonl']);
    await merge(dir, ['shards/*.json', '-o', 'x.jsonl'], 2);
    await merge(dir, ['missing.jsonl', '-o', 'x.jsonl'], 2);
  });

  it('refuses an output that is one of the inputs, by name or through a link, and leaves it alone', async () => {
    const dir = await makeTempDir();
    await manifest(dir, 's0.jsonl', [shard(SHA_A, 'completed', 'a')]);
    const before = await fs.readFile(path.join(dir, 's0.jsonl'), 'utf8');
    const byName = await merge(dir, ['s0.jsonl', '-o', 's0.jsonl'], 2);
    expect(byName.io.stderr()).toContain('ocrq: error: -o s0.jsonl is one of the manifests being merged (s0.jsonl); refusing to overwrite it');
    await fs.link(path.join(dir, 's0.jsonl'), path.join(dir, 'hard.jsonl'));
    await merge(dir, ['s0.jsonl', '-o', 'hard.jsonl'], 2);
    await fs.mkdir(path.join(dir, 'all'));
    await fs.rename(path.join(dir, 'hard.jsonl'), path.join(dir, 'all', 's.jsonl'));
    await merge(dir, ['all', '-o', 'all/s.jsonl'], 2);
    await merge(dir, ['s0.jsonl', '-o', 'm.jsonl', '--csv', 's0.jsonl'], 2);
    expect(await fs.readFile(path.join(dir, 's0.jsonl'), 'utf8')).toBe(before);
  });

  it('a corrupt line stops the merge with exit 2, naming the manifest and line; nothing is written', async () => {
    const dir = await makeTempDir();
    await manifest(dir, 's0.jsonl', [shard(SHA_A, 'completed', 'a')]);
    await fs.writeFile(path.join(dir, 's1.jsonl'), `${JSON.stringify(shard(SHA_B, 'completed', 'b'))}\n{"job_id": "x", not json\n${JSON.stringify(shard(SHA_C, 'completed', 'c'))}\n`);
    const { io } = await merge(dir, ['s0.jsonl', 's1.jsonl', '-o', 'm.jsonl'], 2);
    expect(io.stderr()).toContain('ocrq: error: s1.jsonl:2: corrupt manifest line (not valid JSON); nothing was merged');
    await expect(fs.access(path.join(dir, 'm.jsonl'))).rejects.toThrow();
  });

  it('a torn last line is reported and ignored; --quiet prints nothing; --csv writes the view', async () => {
    const dir = await makeTempDir();
    await manifest(dir, 's0.jsonl', [shard(SHA_A, 'completed', 'a'), shard(SHA_B, 'failed', 'b')], '{"job_id":"local_cc');
    const { io, jobs } = await merge(dir, ['s0.jsonl', '-o', 'm.jsonl', '--csv', 'm.csv'], 3);
    expect(io.stderr()).toContain('ocrq: warning: manifest s0.jsonl: ignored a torn last line (19 bytes, probably cut short by a killed run)');
    expect(jobs.size).toBe(2);
    const csv = (await fs.readFile(path.join(dir, 'm.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('job_id,status,source,sha256,target,pages,error_code,error_message,sources,text');
    expect(csv.slice(1).map((l) => l.split(',').slice(0, 2).join(','))).toEqual([`${local(SHA_A)},completed`, `${local(SHA_B)},failed`]);
    const json = await merge(dir, ['s0.jsonl', '-o', 'm.jsonl', '--json'], 3);
    expect(json.io.stdout().split('\n')[0]).toContain('"type":"warning"');
    expect(json.io.stdout()).toContain('"torn_bytes":19');
    const quiet = await merge(dir, ['s0.jsonl', '-o', 'm.jsonl', '-q'], 3);
    expect(quiet.io.stderr()).toBe('');
    expect(quiet.io.stdout()).toBe('');
  });

  it('SIGINT or SIGTERM stops the merge: exit 130 or 143, the output left as it was, no temp file or lock behind', async () => {
    const dir = await makeTempDir();
    await manifest(dir, 's0.jsonl', [shard(SHA_A, 'completed', 'a')]);
    await fs.writeFile(path.join(dir, 'm.jsonl'), 'the previous merge\n');
    for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      const io = captureIo(dir);
      io.abort(signal);
      expect(await run(['merge', 's0.jsonl', '-o', 'm.jsonl'], io.deps)).toBe(code);
      expect(io.stderr()).toContain(`ocrq: error: merge interrupted by ${signal}; the output was not written`);
    }
    expect(await fs.readFile(path.join(dir, 'm.jsonl'), 'utf8')).toBe('the previous merge\n');
    expect((await fs.readdir(dir)).sort()).toEqual(['m.jsonl', 's0.jsonl']);
  });

  it('a closed pipe (main.ts aborts with SIGPIPE) stops it the same way: exit 141, and nothing printed', async () => {
    const dir = await makeTempDir();
    await manifest(dir, 's0.jsonl', [shard(SHA_A, 'completed', 'a')]);
    await fs.writeFile(path.join(dir, 'm.jsonl'), 'the previous merge\n');
    const io = captureIo(dir);
    io.abort('SIGPIPE');
    expect(await run(['merge', 's0.jsonl', '-o', 'm.jsonl', '--json'], io.deps)).toBe(141);
    expect(io.stderr()).toBe('');
    expect(io.stdout()).toBe('');
    expect(await fs.readFile(path.join(dir, 'm.jsonl'), 'utf8')).toBe('the previous merge\n');
    expect((await fs.readdir(dir)).sort()).toEqual(['m.jsonl', 's0.jsonl']);
  });

  it('refuses to replace an output another run holds locked', async () => {
    const dir = await makeTempDir();
    await manifest(dir, 's0.jsonl', [shard(SHA_A, 'completed', 'a')]);
    await fs.writeFile(path.join(dir, 'm.jsonl.lock'), `${process.ppid}\n`);
    const { io } = await merge(dir, ['s0.jsonl', '-o', 'm.jsonl'], 2);
    expect(io.stderr()).toContain(`is locked by pid ${process.ppid}`);
  });
});
