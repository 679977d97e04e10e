import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fold, readRows } from '../helpers/manifest.js';
import { spawnOcrq } from '../helpers/spawn.js';
import { FIXTURES, makeTempDir } from '../helpers/tmp.js';

/** N distinct documents: fixture images with different trailing bytes (ignored by decoders, not by SHA-256). */
async function makeCorpus(dir: string, n: number): Promise<void> {
  const png = await fs.readFile(path.join(FIXTURES, 'images/invoice.png'));
  const jpg = await fs.readFile(path.join(FIXTURES, 'images/receipt.jpg'));
  await fs.mkdir(path.join(dir, 'docs/sub'), { recursive: true });
  for (let i = 0; i < n; i++) {
    const [base, ext] = i % 2 ? [jpg, 'jpg'] : [png, 'png'];
    await fs.writeFile(path.join(dir, i % 3 ? 'docs' : 'docs/sub', `doc-${i}.${ext}`), Buffer.concat([base, Buffer.from(`\n#${i}`)]));
  }
}

const completedLinesPerJob = (rows: Awaited<ReturnType<typeof readRows>>) => {
  const counts = new Map<string, number>();
  for (const r of rows) if (r.status === 'completed' && r.text !== undefined) counts.set(r.job_id, (counts.get(r.job_id) ?? 0) + 1);
  return counts;
};

describe('crash safety (spawned ocrq)', () => {
  it('SIGKILL mid-run, then a re-run: every document completed exactly once, none processed twice', async () => {
    const dir = await makeTempDir();
    const n = 14;
    await makeCorpus(dir, n);
    const args = ['submit', 'docs', '--out', 'm.jsonl', '--workers', '2', '--json'];
    const first = spawnOcrq(args, { cwd: dir });
    let processed = 0;
    first.onLine((line) => {
      const e = JSON.parse(line);
      if (e.type === 'document' && e.outcome === 'processed' && ++processed === 4) first.child.kill('SIGKILL');
    });
    const r1 = await first.exited;
    expect(r1.signal).toBe('SIGKILL');
    const afterKill = await readRows(path.join(dir, 'm.jsonl'));
    const doneBefore = completedLinesPerJob(afterKill).size;
    expect(doneBefore).toBeGreaterThanOrEqual(4);
    expect(doneBefore).toBeLessThan(n);

    // The killed run left its lock behind; the next run takes it over with a warning.
    const second = spawnOcrq(args, { cwd: dir });
    const r2 = await second.exited;
    expect(r2.code, r2.stderr).toBe(0);
    const events = r2.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.find((e) => e.type === 'warning' && /stale lock/i.test(e.message))).toBeDefined();
    const summary = events.at(-1);
    expect(summary).toMatchObject({ type: 'summary', completed: n, failed: 0, processed: n - doneBefore, already_done: doneBefore });

    const rows = await readRows(path.join(dir, 'm.jsonl'));
    const folded = fold(rows);
    expect([...folded.values()].filter((r) => r.status === 'completed')).toHaveLength(n);
    for (const [, count] of completedLinesPerJob(rows)) expect(count).toBe(1);
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s stops new work, flushes the manifest, exits %i, and the next run resumes', async (signal, exitCode) => {
    const dir = await makeTempDir();
    const n = 10;
    await makeCorpus(dir, n);
    const args = ['submit', 'docs', '--out', 'm.jsonl', '--workers', '1', '--json'];
    const first = spawnOcrq(args, { cwd: dir });
    let sent = false;
    first.onLine((line) => {
      const e = JSON.parse(line);
      if (!sent && e.type === 'document' && e.outcome === 'processed') {
        sent = true;
        first.child.kill(signal);
      }
    });
    const r1 = await first.exited;
    expect(r1.code, r1.stderr).toBe(exitCode);
    const summary = JSON.parse(r1.stdout.trim().split('\n').at(-1)!);
    expect(summary).toMatchObject({ type: 'summary', interrupted: true, exit_code: exitCode });
    expect(summary.completed).toBeLessThan(n);
    await expect(fs.access(path.join(dir, 'm.jsonl.lock'))).rejects.toThrow();
    const folded = [...fold(await readRows(path.join(dir, 'm.jsonl'))).values()];
    expect(folded.filter((r) => r.status === 'completed')).toHaveLength(summary.completed);
    // Documents cut off by the signal stay `processing` with their attempt taken back: a clean stop is not a crash.
    for (const r of folded.filter((r) => r.status !== 'completed')) expect(r).toMatchObject({ status: 'processing', unfinished_attempts: 0 });

    const r2 = await spawnOcrq(args, { cwd: dir }).exited;
    expect(r2.code, r2.stderr).toBe(0);
    const s2 = JSON.parse(r2.stdout.trim().split('\n').at(-1)!);
    expect(s2).toMatchObject({ completed: n, processed: n - summary.completed });
  });
});
