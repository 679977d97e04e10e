import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnOcrq } from '../helpers/spawn.js';
import { FIXTURES, makeTempDir } from '../helpers/tmp.js';

describe('output paths are checked before any document (spawned ocrq)', () => {
  it.each([
    [['--out', 'nodir/m.jsonl'], /--out .*nodir[/\\]m\.jsonl: the folder .*nodir does not exist/u, /mkdir -p/u],
    [['--out', 'afile/m.jsonl'], /--out .*afile[/\\]m\.jsonl: .*afile is not a folder/u, /choose another --out/u],
    [['--out', '.'], /--out .* is not a regular file/u, /choose another --out/u],
    [['--out', '/proc/m.jsonl'], /--out \/proc\/m\.jsonl: cannot write in \/proc/u, /writable place/u],
    [['--csv', 'nodir/x.csv'], /--csv .*nodir[/\\]x\.csv: the folder .*nodir does not exist/u, /mkdir -p/u],
    [['--csv', 'afile/x.csv'], /--csv .*afile[/\\]x\.csv: .*afile is not a folder/u, /choose another --csv/u],
    [['--results-dir', 'afile'], /--results-dir .*afile: cannot create the folder \(a file stands where a folder is needed\)/u, /choose another --results-dir/u],
    [['--results-dir', 'afile/sub'], /--results-dir .*sub: cannot create the folder/u, /choose another --results-dir/u],
  ])('%j exits 2 with the path and the fix', async (args, message, fix) => {
    const dir = await makeTempDir();
    await fs.copyFile(path.join(FIXTURES, 'images', 'sign.gif'), path.join(dir, 'a.gif'));
    await fs.writeFile(path.join(dir, 'afile'), '');
    const r = await spawnOcrq(['submit', 'a.gif', ...args], { cwd: dir }).exited;
    expect(r.code, r.stderr).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(message);
    expect(r.stderr).toMatch(fix);
    // Nothing was processed or written: no manifest, no leftover probe file.
    const entries = (await fs.readdir(dir)).sort();
    expect(entries).toEqual(['a.gif', 'afile']);
  });

  it('creates a missing --results-dir and processes as usual', async () => {
    const dir = await makeTempDir();
    await fs.copyFile(path.join(FIXTURES, 'images', 'sign.gif'), path.join(dir, 'a.gif'));
    const r = await spawnOcrq(['submit', 'a.gif', '--results-dir', 'out/results', '--workers', '1', '-q'], { cwd: dir }).exited;
    expect(r.code, r.stderr).toBe(0);
    expect((await fs.readdir(path.join(dir, 'out', 'results'))).some((f) => f.endsWith('.txt'))).toBe(true);
  });
});
