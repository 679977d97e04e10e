import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnOcrq } from '../helpers/spawn.js';
import { FIXTURES, makeTempDir } from '../helpers/tmp.js';

const MANIFEST = 'ocrq-manifest.jsonl';
const BAD = '{"job_id": "local_x", "status": "compl';

/** A manifest from a real run over two documents, with a corrupt line in the middle and a torn last line. */
async function damagedRun(): Promise<{ dir: string; manifest: string; good: string[] }> {
  const dir = await makeTempDir();
  await fs.mkdir(path.join(dir, 'docs'));
  await fs.copyFile(path.join(FIXTURES, 'images/invoice.png'), path.join(dir, 'docs/invoice.png'));
  await fs.copyFile(path.join(FIXTURES, 'pdfs/born-digital.pdf'), path.join(dir, 'docs/born-digital.pdf'));
  const r = await spawnOcrq(['submit', 'docs', '--workers', '1', '-q'], { cwd: dir }).exited;
  expect(r.code, r.stderr).toBe(0);
  const manifest = path.join(dir, MANIFEST);
  const good = (await fs.readFile(manifest, 'utf8')).split('\n').filter(Boolean);
  expect(good.length).toBeGreaterThanOrEqual(3);
  const damaged = [good[0], BAD, ...good.slice(1)].join('\n') + '\nnot json\n{"job_id":"local_torn","stat';
  await fs.writeFile(manifest, damaged);
  return { dir, manifest, good };
}

describe('repair (spawned ocrq)', () => {
  it('status and export stop on a corrupt line and point to ocrq repair; --repair skips it this once', async () => {
    const { dir } = await damagedRun();
    const stop = await spawnOcrq(['status'], { cwd: dir }).exited;
    expect(stop.code).toBe(2);
    expect(stop.stderr).toContain(`manifest ${path.join(dir, MANIFEST)}: line 2 is corrupt (not valid JSON)`);
    expect(stop.stderr).toContain('ocrq: fix: run ocrq repair');
    const status = await spawnOcrq(['status', '--repair', '--json'], { cwd: dir }).exited;
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).by_status.completed).toBe(2);
    expect(status.stderr).toContain('skipped line 2 (not valid JSON) because of --repair');
    const exported = await spawnOcrq(['export', '--repair'], { cwd: dir }).exited;
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('ocrq repair moves corrupt lines to MANIFEST.corrupt, keeps every row, and later commands need no flag', async () => {
    const { dir, manifest, good } = await damagedRun();
    const r = await spawnOcrq(['repair'], { cwd: dir }).exited;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(`ocrq: ${MANIFEST}: moved 3 corrupt lines (line 2, ${good.length + 2}, ${good.length + 3}) to ${MANIFEST}.corrupt; kept ${good.length} rows\n`);
    expect(await fs.readFile(manifest, 'utf8')).toBe(good.join('\n') + '\n');
    expect(await fs.readFile(manifest + '.corrupt', 'utf8')).toBe(`${BAD}\nnot json\n{"job_id":"local_torn","stat\n`);
    expect(await fs.readdir(dir)).not.toContain(`${MANIFEST}.lock`);

    const status = await spawnOcrq(['status', '--json'], { cwd: dir }).exited;
    expect(status.code, status.stderr).toBe(0);
    expect(status.stderr).toBe('');
    expect(JSON.parse(status.stdout).by_status.completed).toBe(2);

    const before = await fs.stat(manifest);
    const again = await spawnOcrq(['repair', MANIFEST, '--json'], { cwd: dir }).exited;
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ type: 'summary', kept: good.length, moved: 0, side_file: null, exit_code: 0 });
    const after = await fs.stat(manifest);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });

  it('submit --repair moves the lines aside for good, then resumes', async () => {
    const { dir, manifest } = await damagedRun();
    const r = await spawnOcrq(['submit', 'docs', '--repair', '--workers', '1'], { cwd: dir }).exited;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`manifest ${MANIFEST}: moved 3 corrupt lines`);
    expect(r.stderr).toMatch(/processed 0, 2 already done/);
    expect(await fs.readFile(manifest + '.corrupt', 'utf8')).toContain(BAD);
    const plain = await spawnOcrq(['submit', 'docs', '--workers', '1'], { cwd: dir }).exited;
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).not.toContain('corrupt');
  });

  it('refuses a file with no manifest row, and a manifest a run holds, changing nothing', async () => {
    const dir = await makeTempDir();
    const image = path.join(dir, 'not-a-manifest.jsonl');
    await fs.copyFile(path.join(FIXTURES, 'images/invoice.png'), image);
    const r = await spawnOcrq(['repair', 'not-a-manifest.jsonl'], { cwd: dir }).exited;
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ocrq: error: .*not-a-manifest\.jsonl holds no manifest row .*it does not look like an ocrq manifest\n/);
    expect(await fs.readFile(image)).toEqual(await fs.readFile(path.join(FIXTURES, 'images/invoice.png')));
    await expect(fs.access(image + '.corrupt')).rejects.toThrow();

    const { dir: run, manifest } = await damagedRun();
    const content = await fs.readFile(manifest);
    await fs.writeFile(manifest + '.lock', `${process.pid}\n`);
    const locked = await spawnOcrq(['repair'], { cwd: run }).exited;
    expect(locked.code).toBe(2);
    expect(locked.stderr).toContain(`is locked by pid ${process.pid}`);
    expect(await fs.readFile(manifest)).toEqual(content);
  });
});
