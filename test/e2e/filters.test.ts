import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildZip } from '../../scripts/lib/zip-writer.mjs';
import { spawnOcrq } from '../helpers/spawn.js';
import { makeTempDir, writeTree } from '../helpers/tmp.js';

/**
 * What a user meets with --include and --exclude over files and ZIP archives, and what a run that finds nothing says
 * (README "Filters"). Every input holds distinct text, so each one the walk keeps shows up as its own `skipped`
 * (UNSUPPORTED_TYPE) event: the events name exactly what was selected, and no OCR runs.
 */
async function corpus(): Promise<string> {
  const dir = await makeTempDir();
  await writeTree(dir, {
    'in/scan1.pdf': 'scan 1',
    'in/notes.txt': 'notes',
    'in/invoices/z.pdf': 'invoice z',
    'in/batch.zip': buildZip([
      { name: 'invoices/' },
      { name: 'invoices/i1.pdf', data: 'invoice 1' },
      { name: 'invoices/i2.png', data: 'invoice 2' },
      { name: 'tmp/t.pdf', data: 'temporary' },
    ]),
    'in/old.zip': buildZip([{ name: 'x.pdf', data: 'old x' }]),
  });
  return dir;
}

async function selected(dir: string, args: string[]): Promise<{ sources: string[]; warnings: string[]; code: number | null }> {
  const r = await spawnOcrq(['submit', ...args, '--dry-run', '--json'], { cwd: dir }).exited;
  const events = r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; source?: string; message?: string });
  return {
    sources: events.filter((e) => e.type === 'document').map((e) => e.source!).sort(),
    warnings: events.filter((e) => e.type === 'warning').map((e) => e.message!),
    code: r.code,
  };
}

describe('--include and --exclude over files and ZIP archives (spawned ocrq)', () => {
  it('--include selects entries inside archives by their path there, as it selects files', async () => {
    const dir = await corpus();
    const r = await selected(dir, ['in', '--include', '*.pdf']);
    expect(r.sources).toEqual(['in/batch.zip!/invoices/i1.pdf', 'in/batch.zip!/tmp/t.pdf', 'in/invoices/z.pdf', 'in/old.zip!/x.pdf', 'in/scan1.pdf']);
    expect(r.warnings).toEqual([]);
    // A pattern with a slash matches the path below the argument, or the path inside the archive.
    const slash = await selected(dir, ['in', '--include', 'invoices/*.pdf']);
    expect(slash.sources).toEqual(['in/batch.zip!/invoices/i1.pdf', 'in/invoices/z.pdf']);
  });

  it('--include naming an archive takes it whole', async () => {
    const dir = await corpus();
    const r = await selected(dir, ['in', '--include', 'batch.zip']);
    expect(r.sources).toEqual(['in/batch.zip!/invoices/i1.pdf', 'in/batch.zip!/invoices/i2.png', 'in/batch.zip!/tmp/t.pdf']);
  });

  it('--exclude leaves out a whole archive by its name, from a folder, a glob or the command line', async () => {
    const dir = await corpus();
    const inFolder = await selected(dir, ['in', '--exclude', 'old.zip']);
    expect(inFolder.sources).toEqual(['in/batch.zip!/invoices/i1.pdf', 'in/batch.zip!/invoices/i2.png', 'in/batch.zip!/tmp/t.pdf', 'in/invoices/z.pdf', 'in/notes.txt', 'in/scan1.pdf']);
    const glob = await selected(dir, ['in/*.zip', '--exclude', 'old.zip']);
    expect(glob.sources).toEqual(['in/batch.zip!/invoices/i1.pdf', 'in/batch.zip!/invoices/i2.png', 'in/batch.zip!/tmp/t.pdf']);
    const named = await selected(dir, ['in/old.zip', 'in/scan1.pdf', '--exclude', 'old.zip']);
    expect(named.sources).toEqual(['in/scan1.pdf']);
  });

  it('--exclude prunes folders inside archives as it prunes folders on disk, and entries by name', async () => {
    const dir = await corpus();
    const r = await selected(dir, ['in', '--exclude', 'tmp', '--exclude', '*.png', '--exclude', 'invoices/z.pdf']);
    expect(r.sources).toEqual(['in/batch.zip!/invoices/i1.pdf', 'in/notes.txt', 'in/old.zip!/x.pdf', 'in/scan1.pdf']);
  });
});

describe('a run that finds nothing says so (spawned ocrq)', () => {
  it.each<[string[], string]>([
    [['scans/*.pdf'], "ocrq: warning: 'scans/*.pdf' matched nothing\n"],
    [['empty'], 'ocrq: warning: empty/ holds no files\n'],
    [['empty/'], 'ocrq: warning: empty/ holds no files\n'],
    [['folders-only.zip'], 'ocrq: warning: archive folders-only.zip holds no files\n'],
    [['in', '--include', '*.tif'], "ocrq: warning: --include '*.tif' matched none of the 7 files found\n"],
    [['in', '--exclude', '*.pdf', '--exclude', '*.txt', '--exclude', '*.zip'], "ocrq: warning: --exclude '*.pdf' --exclude '*.txt' --exclude '*.zip' excluded everything found: 5 files\n"],
    [['in', '--exclude', 'invoices', '--exclude', '*.zip', '--include', '*.tif'], "ocrq: warning: --include '*.tif' and --exclude 'invoices' --exclude '*.zip' left nothing of what was found: 4 files, 1 folder\n"],
  ])('submit %j warns, names what held nothing, and exits 0', async (args, warning) => {
    const dir = await corpus();
    await fs.mkdir(path.join(dir, 'empty/sub'), { recursive: true });
    await fs.writeFile(path.join(dir, 'folders-only.zip'), buildZip([{ name: 'a/' }, { name: 'a/b/' }]));
    const r = await spawnOcrq(['submit', ...args, '--out', 'm.jsonl'], { cwd: dir }).exited;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.startsWith(warning), r.stderr).toBe(true);
    expect(r.stderr).toMatch(/^ocrq: 0 documents from 0 inputs: /mu);
  });

  it('says so for standard input that names no path, and in --json as a warning event', async () => {
    const dir = await makeTempDir();
    const child = spawnOcrq(['submit', '-', '--dry-run', '--json'], { cwd: dir });
    const r = await child.exited;
    expect(r.code).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; message?: string });
    expect(events.filter((e) => e.type === 'warning')).toEqual([{ type: 'warning', message: 'standard input (-) named no paths' }]);
  });

  it('stays quiet when something was found, even if one argument held nothing', async () => {
    const dir = await corpus();
    await fs.mkdir(path.join(dir, 'empty'));
    const r = await selected(dir, ['in', 'empty', '--include', '*.pdf']);
    expect(r.warnings).toEqual(['empty/ holds no files']);
    expect(r.sources).toHaveLength(5);
  });
});
