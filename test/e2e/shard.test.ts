/**
 * Many machines, as a user runs them (README "Running on many machines"): three `ocrq submit fixtures --shard K/3`
 * processes at once on the embedded engine, one of them killed with SIGKILL in the middle of its work and run again,
 * then `ocrq merge`. The merged manifest's folded view must be the one a single unsharded run gives: the same
 * contents completed, failed (with the same codes) and skipped, with the same sources.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { shardOf } from '../../src/shard/index.js';
import { spawnOcrq } from '../helpers/spawn.js';
import { FIXTURES, makeTempDir } from '../helpers/tmp.js';

type Row = Record<string, unknown> & { job_id: string; status: string };

const parseLines = (text: string): Row[] =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Row);

/**
 * The batch, by path below `fixtures/` (the shard key) → fixture. Shard 2 of 3 (the one killed) holds two images to
 * OCR, so that it is still at work when the first of them completes; copies of one PDF and of one failing PDF fall in
 * two shards, and a copy of an image within shard 2.
 */
const BATCH: Record<string, string> = {
  'pdfs/protected.pdf': 'pdfs/protected.pdf',
  'copies/born-digital.pdf': 'pdfs/born-digital.pdf',
  'pdfs/born-digital.pdf': 'pdfs/born-digital.pdf',
  'pdfs/corrupt.pdf': 'pdfs/corrupt.pdf',
  'images/sign.gif': 'images/sign.gif',
  'copies/protected.pdf': 'pdfs/protected.pdf',
  'images/invoice.png': 'images/invoice.png',
  'images/receipt.jpg': 'images/receipt.jpg',
  'pdfs/owner-only.pdf': 'pdfs/owner-only.pdf',
  'misc/notes.txt': 'misc/notes.txt',
  'hostile/traversal.zip': 'hostile/traversal.zip',
  'copies/receipt.jpg': 'images/receipt.jpg',
};
const KILLED = 2;

/** What the folded view says about each job, sources in sorted order (shards meet a content's copies in any order). */
async function foldedView(dir: string, manifest: string): Promise<Map<string, unknown>> {
  const exported = await spawnOcrq(['export', manifest, '--format', 'jsonl'], { cwd: dir }).exited;
  expect(exported.code, exported.stderr).toBe(0);
  const view = new Map<string, unknown>();
  for (const row of parseLines(exported.stdout)) {
    const error = row.error as { code?: string } | undefined;
    view.set(row.job_id, { status: row.status, code: error?.code ?? null, sha256: row.sha256 ?? null, pages: row.pages ?? null, sources: [...(row.sources as string[])].sort() });
  }
  return view;
}

describe('submit --shard K/3 on three processes at once, one killed and run again, then merge', () => {
  it('the merged manifest folds to what one unsharded run gives', async () => {
    const dir = await makeTempDir();
    for (const [rel, fixture] of Object.entries(BATCH)) {
      await fs.mkdir(path.dirname(path.join(dir, 'fixtures', rel)), { recursive: true });
      await fs.copyFile(path.join(FIXTURES, fixture), path.join(dir, 'fixtures', rel));
    }
    const killedInputs = Object.keys(BATCH).filter((rel) => shardOf(rel, 3) === KILLED);
    expect(killedInputs).toEqual(expect.arrayContaining(['images/invoice.png', 'images/receipt.jpg']));
    const submit = (extra: string[]) => spawnOcrq(['submit', 'fixtures', '--workers', '1', '--json', ...extra], { cwd: dir });

    const whole = await submit(['--out', 'whole.jsonl']).exited;
    expect(whole.code, whole.stderr).toBe(3);

    await fs.mkdir(path.join(dir, 'manifests'));
    const shards = [0, 1, 2].map((k) => submit(['--shard', `${k}/3`, '--out', `manifests/shard-${k}.jsonl`]));
    // Shard 2 dies (SIGKILL: no flush, no clean stop) once the first of its images is OCRed, with the other in progress.
    const victim = shards[KILLED];
    victim.onLine((line) => {
      const event = JSON.parse(line) as { type: string; status?: string; source?: string };
      if (event.type === 'document' && event.status === 'completed' && /\.(png|jpg)$/.test(event.source ?? '')) victim.child.kill('SIGKILL');
    });
    const results = await Promise.all(shards.map((s) => s.exited));
    expect(results[0].code, results[0].stderr).toBe(3); // protected.pdf failed, the copy of born-digital completed
    expect(results[1].code, results[1].stderr).toBe(3); // corrupt.pdf failed
    expect(results[KILLED].signal).toBe('SIGKILL');
    for (const k of [0, 1]) expect(JSON.parse(results[k].stdout.trim().split('\n')[0])).toMatchObject({ type: 'start', shard: `${k}/3` });
    // It was killed with work left: one of its images has no final row yet.
    const partial = parseLines(await fs.readFile(path.join(dir, `manifests/shard-${KILLED}.jsonl`), 'utf8').catch(() => ''));
    const finished = new Set(partial.filter((r) => r.status === 'completed').map((r) => r.source));
    expect(finished.has('fixtures/images/invoice.png') && finished.has('fixtures/images/receipt.jpg')).toBe(false);

    const rerun = await submit(['--shard', `${KILLED}/3`, '--out', `manifests/shard-${KILLED}.jsonl`]).exited;
    expect(rerun.code, rerun.stderr).toBe(0);
    const summary = JSON.parse(rerun.stdout.trim().split('\n').at(-1)!);
    expect(summary).toMatchObject({ shard: `${KILLED}/3`, failed: 0, pending: 0 });
    expect(summary.files).toBeGreaterThan(killedInputs.length); // and the refused entries of traversal.zip

    const merged = await spawnOcrq(['merge', 'manifests', '-o', 'merged.jsonl', '--json'], { cwd: dir }).exited;
    expect(merged.code, merged.stderr).toBe(3);
    expect(JSON.parse(merged.stdout.trim().split('\n').at(-1)!)).toMatchObject({ manifests: 3, pending: 0 });

    const expected = await foldedView(dir, 'whole.jsonl');
    const got = await foldedView(dir, 'merged.jsonl');
    expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [jobId, row] of expected) expect(got.get(jobId), jobId).toEqual(row);
    // The batch has what the comparison is about.
    const statuses = [...expected.values()].map((r) => (r as { status: string; code: string | null }).status + ':' + (r as { code: string | null }).code).sort();
    expect(statuses).toEqual(expect.arrayContaining(['failed:PDF_INVALID', 'failed:PDF_PASSWORD_PROTECTED', 'skipped:UNSUPPORTED_TYPE', 'skipped:ZIP_UNSAFE', 'completed:null']));
  }, 240_000);
});
