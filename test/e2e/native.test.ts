import fs from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManifestRow, PageResult } from '../../src/manifest/types.js';
import { changedSettings, settingsOfRow } from '../../src/manifest/settings.js';
import { characterErrorRate } from '../../src/targets/local/cer.js';
import { fakeTesseract, isRunning } from '../helpers/fake-tesseract.js';
import { MAX_CER, textFixtures } from '../helpers/ground-truth.js';
import { fold, readRows } from '../helpers/manifest.js';
import { spawnOcrq } from '../helpers/spawn.js';
import { systemTesseract } from '../helpers/system-tesseract.js';
import { FIXTURES, makeTempDir } from '../helpers/tmp.js';

/**
 * `ocrq submit --engine native|auto` as a user meets it. The runs that OCR with the system's tesseract are skipped,
 * with the reason in their names, where it is not installed; the refusals and the isolation run everywhere, against a
 * stand-in binary (helpers/fake-tesseract).
 */
const tesseract = systemTesseract();
const needsTesseract = tesseract.usable ? '' : ` (skipped: ${tesseract.reason})`;

const bySource = (rows: ManifestRow[]): Map<string, ManifestRow> => {
  const out = new Map<string, ManifestRow>();
  for (const row of fold(rows).values()) for (const source of row.sources ?? [row.source!]) out.set(source, row);
  return out;
};

describe.skipIf(!tesseract.usable)(`--engine native over fixtures/${needsTesseract}`, () => {
  let dir: string;
  let tmp: string;
  const runs: Record<'embedded' | 'native', { code: number | null; stderr: string; rows: Map<string, ManifestRow> }> = {} as never;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ocrq-native-e2e-'));
    tmp = path.join(dir, 'tmp');
    await fs.mkdir(tmp);
    await fs.cp(FIXTURES, path.join(dir, 'fixtures'), { recursive: true });
    for (const [name, extra] of [['embedded', []], ['native', ['--engine', 'native']]] as const) {
      const r = await spawnOcrq(['submit', 'fixtures', '--workers', '2', '-q', '--out', `${name}.jsonl`, ...extra], { cwd: dir, env: { TMPDIR: tmp } }).exited;
      runs[name] = { code: r.code, stderr: r.stderr, rows: bySource(await readRows(path.join(dir, `${name}.jsonl`))) };
    }
  }, 300_000);
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it('ends every document as the embedded engine does, and exits as it does', () => {
    expect(runs.native.code, runs.native.stderr).toBe(runs.embedded.code);
    expect(runs.native.rows.size).toBe(runs.embedded.rows.size);
    for (const [source, row] of runs.embedded.rows) {
      const native = runs.native.rows.get(source);
      expect({ source, status: native?.status, code: native?.error?.code, pages: native?.pages }).toEqual({ source, status: row.status, code: row.error?.code, pages: row.pages });
    }
  });

  it.each(textFixtures())('%s: text within the CER bound, per page, with confidences, from tesseract', (rel, truth) => {
    const row = runs.native.rows.get(`fixtures/${rel}`)!;
    expect(row.result).toMatchObject({ engine: 'tesseract', engine_version: tesseract.version, lang: 'eng', dpi: 300 });
    const pages = (row.result as { pages: PageResult[] }).pages;
    expect(pages.map((p) => p.source)).toEqual(truth.textLayer.map((t) => (t ? 'text-layer' : 'ocr')));
    truth.pages.forEach((expected, i) => {
      expect(characterErrorRate(pages[i].text, expected), `page ${i + 1}: ${JSON.stringify(pages[i].text)}`).toBeLessThan(MAX_CER);
      if (pages[i].source === 'ocr') expect(pages[i].confidence).toBeGreaterThan(50);
      else expect(pages[i].confidence).toBeNull();
    });
  });

  it('records which engine made a result, so that a result of the other engine is told apart', () => {
    const native = runs.native.rows.get('fixtures/images/invoice.png')!;
    const embedded = runs.embedded.rows.get('fixtures/images/invoice.png')!;
    expect(settingsOfRow(native)).toMatchObject({ engine: 'tesseract' });
    expect(changedSettings(settingsOfRow(embedded)!, settingsOfRow(native)!)).toEqual([{ key: 'engine', from: 'tesseract.js', to: 'tesseract' }]);
  });

  it('leaves no page images behind', async () => {
    expect(await fs.readdir(tmp)).toEqual([]);
  });
});

describe('--engine native with the system\'s tesseract', () => {
  it.skipIf(!tesseract.usable)(`fails an undecodable image and reads the next ones${needsTesseract}`, async () => {
    const dir = await makeTempDir();
    const png = await fs.readFile(path.join(FIXTURES, 'images/invoice.png'));
    await fs.mkdir(path.join(dir, 'in'));
    await fs.writeFile(path.join(dir, 'in/a-cut.png'), png.subarray(0, Math.floor(png.length / 3)));
    await fs.copyFile(path.join(FIXTURES, 'images/receipt.jpg'), path.join(dir, 'in/b-receipt.jpg'));
    await fs.copyFile(path.join(FIXTURES, 'images/note.bmp'), path.join(dir, 'in/c-note.bmp'));
    const r = await spawnOcrq(['submit', 'in', '--engine', 'native', '--workers', '1', '-q'], { cwd: dir }).exited;
    expect(r.code, r.stderr).toBe(3);
    const rows = bySource(await readRows(path.join(dir, 'ocrq-manifest.jsonl')));
    expect(rows.get('in/a-cut.png')).toMatchObject({ status: 'failed', error: { code: 'IMAGE_INVALID', message: 'in/a-cut.png: the png image cannot be decoded' } });
    expect(rows.get('in/b-receipt.jpg')).toMatchObject({ status: 'completed', result: { engine: 'tesseract' } });
    expect(String(rows.get('in/c-note.bmp')?.text)).toContain('water the plants');
  }, 120_000);

  it.skipIf(!tesseract.usable)(`--engine auto picks it and says so in one line${needsTesseract}`, async () => {
    const dir = await makeTempDir();
    await fs.copyFile(path.join(FIXTURES, 'images/note.bmp'), path.join(dir, 'note.bmp'));
    const r = await spawnOcrq(['submit', 'note.bmp', '--engine', 'auto'], { cwd: dir }).exited;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.includes('--engine auto'))).toEqual([
      expect.stringContaining(`--engine auto picked the system's tesseract ${tesseract.version} (${tesseract.binary})`),
    ]);
    const [row] = [...fold(await readRows(path.join(dir, 'ocrq-manifest.jsonl'))).values()];
    expect(row.result).toMatchObject({ engine: 'tesseract', engine_version: tesseract.version });
  }, 120_000);

  it.skipIf(!tesseract.usable)(`a language it does not have is exit 2 naming the package, before any work${needsTesseract}`, async () => {
    const dir = await makeTempDir();
    await fs.copyFile(path.join(FIXTURES, 'images/note.bmp'), path.join(dir, 'note.bmp'));
    const r = await spawnOcrq(['submit', 'note.bmp', '--engine', 'native', '--lang', 'eng+xyz'], { cwd: dir }).exited;
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`ocrq: error: language 'xyz' is not installed for tesseract ${tesseract.version}`);
    expect(r.stderr).toContain('apt-get install tesseract-ocr-xyz');
    await expect(fs.access(path.join(dir, 'ocrq-manifest.jsonl'))).rejects.toThrow();
  });
});

describe('--engine native without a usable tesseract', () => {
  async function corpus(): Promise<string> {
    const dir = await makeTempDir();
    await fs.copyFile(path.join(FIXTURES, 'images/note.bmp'), path.join(dir, 'note.bmp'));
    return dir;
  }

  it('a missing binary is exit 2 before any work, with the install hints', async () => {
    const dir = await corpus();
    for (const env of [{ OCRQ_TESSERACT: '/nonexistent' }, { PATH: path.join(dir, 'no-such-folder') }]) {
      const r = await spawnOcrq(['submit', 'note.bmp', '--engine', 'native'], { cwd: dir, env }).exited;
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/ocrq: error: (OCRQ_TESSERACT=\/nonexistent: no such executable|tesseract was not found on PATH), so --engine native cannot run/);
      expect(r.stderr).toContain('apt-get install tesseract-ocr');
      expect(r.stderr).toContain('brew install tesseract');
      expect(r.stderr).toContain('Dockerfile');
      await expect(fs.access(path.join(dir, 'ocrq-manifest.jsonl'))).rejects.toThrow();
    }
  });

  it('a binary older than 4.1 and a missing language are exit 2 before any work', async () => {
    const dir = await corpus();
    const old = await fakeTesseract(await makeTempDir(), { version: '4.0.0' });
    const fake = await fakeTesseract(await makeTempDir(), { langs: ['eng'] });
    const cases: Array<[string[], string, RegExp]> = [
      [[], old.binary, /is Tesseract 4\.0\.0; --engine native needs 4\.1 or later/],
      [['--lang', 'eng+deu'], fake.binary, /language 'deu' is not installed for tesseract 5\.3\.0[\s\S]*apt-get install tesseract-ocr-deu/],
    ];
    for (const [args, binary, message] of cases) {
      const r = await spawnOcrq(['submit', 'note.bmp', '--engine', 'native', ...args], { cwd: dir, env: { OCRQ_TESSERACT: binary } }).exited;
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      await expect(fs.access(path.join(dir, 'ocrq-manifest.jsonl'))).rejects.toThrow();
    }
    expect(await fake.pids()).toEqual([]);
  });

  it('--engine auto falls back to the embedded engine and says why in one line', async () => {
    const dir = await corpus();
    const old = await fakeTesseract(await makeTempDir(), { version: '4.0.0' });
    const r = await spawnOcrq(['submit', 'note.bmp', '--engine', 'auto'], { cwd: dir, env: { OCRQ_TESSERACT: old.binary } }).exited;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.includes('--engine auto'))).toEqual([
      expect.stringContaining(`--engine auto picked the embedded engine (tesseract.js): ${old.binary} is Tesseract 4.0.0`),
    ]);
    const [row] = [...fold(await readRows(path.join(dir, 'ocrq-manifest.jsonl'))).values()];
    expect(row.result).toMatchObject({ engine: 'tesseract.js' });
    expect(row.result).not.toHaveProperty('engine_version');
  }, 120_000);

  it('--engine auto with --rotate picks the system\'s tesseract too: orientation is detected in the worker before it reads', async () => {
    const dir = await corpus();
    const fake = await fakeTesseract(await makeTempDir());
    const r = await spawnOcrq(['submit', 'note.bmp', '--engine', 'auto', '--rotate', '--workers', '1'], { cwd: dir, env: { OCRQ_TESSERACT: fake.binary } }).exited;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("--engine auto picked the system's tesseract 5.3.0");
    const [row] = [...fold(await readRows(path.join(dir, 'ocrq-manifest.jsonl'))).values()];
    expect(row.result).toMatchObject({ engine: 'tesseract', pages: [{ rotation: 0, text: 'fake' }] });
  }, 120_000);

  it('a run killed with SIGKILL takes its workers\' tesseract processes with it', async () => {
    const dir = await corpus();
    const fake = await fakeTesseract(await makeTempDir(), { mode: 'hang' });
    const run = spawnOcrq(['submit', 'note.bmp', '--engine', 'native', '--workers', '2', '-q'], { cwd: dir, env: { OCRQ_TESSERACT: fake.binary } });
    await expect.poll(async () => (await fake.pids()).length, { timeout: 30_000 }).toBe(2);
    const pids = await fake.pids();
    expect(await Promise.all(pids.map(isRunning))).toEqual([true, true]);
    run.child.kill('SIGKILL');
    await run.exited;
    // Each worker's watchdog notices that the run is gone within half a second and ends its process group.
    await expect.poll(async () => (await Promise.all(pids.map(isRunning))).some(Boolean), { timeout: 10_000 }).toBe(false);
  }, 60_000);
});
