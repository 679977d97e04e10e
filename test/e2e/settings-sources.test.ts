/**
 * Settings from the command line, OCRQ_<FLAG> variables and the config file, through the spawned CLI: one
 * precedence for every setting (flag > variable > config file > default), and bad values refused with exit 2.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeTesseract } from '../helpers/fake-tesseract.js';
import { fold, readRows, rowFor } from '../helpers/manifest.js';
import { spawnOcrq } from '../helpers/spawn.js';
import { FIXTURES, makeTempDir } from '../helpers/tmp.js';

async function setUp() {
  const dir = await makeTempDir();
  const configDir = path.join(dir, 'config');
  await fs.mkdir(configDir);
  await fs.copyFile(path.join(FIXTURES, 'images/invoice.png'), path.join(dir, 'invoice.png'));
  const tesseract = await fakeTesseract(dir);
  // OCRQ_ENGINE picks the (fake) system tesseract: the engine too comes from the environment.
  const env = { OCRQ_CONFIG_DIR: configDir, OCRQ_TESSERACT: tesseract.binary, OCRQ_ENGINE: 'native', OCRQ_WORKERS: '1' };
  const ocrq = (args: string[], extra: Record<string, string> = {}) => spawnOcrq(args, { cwd: dir, env: { ...env, ...extra } }).exited;
  return { dir, configDir, ocrq };
}

describe('where a setting comes from (spawned ocrq)', () => {
  it('takes the flag over OCRQ_DPI over defaults.dpi over the default, as the manifest records', async () => {
    const { dir, ocrq } = await setUp();
    const manifest = path.join(dir, 'ocrq-manifest.jsonl');
    const dpiAfter = async (args: string[], env: Record<string, string> = {}) => {
      const r = await ocrq(['submit', 'invoice.png', '--force', '-q', ...args], env);
      expect(r.code, r.stderr).toBe(0);
      const row = rowFor(fold(await readRows(manifest)), 'invoice.png');
      expect(row?.settings).toMatchObject({ engine: 'tesseract' });
      return (row?.settings as Record<string, string>).dpi;
    };
    expect(await dpiAfter([])).toBe('300');
    const set = await ocrq(['config', 'set', 'defaults.dpi', '200']);
    expect(set.code, set.stderr).toBe(0);
    expect(await dpiAfter([])).toBe('200');
    expect(await dpiAfter([], { OCRQ_DPI: '150' })).toBe('150');
    expect(await dpiAfter(['--dpi', '120'], { OCRQ_DPI: '150' })).toBe('120');
  }, 120_000);

  it('reads a repeatable setting from one variable, separated like PATH', async () => {
    const { dir, ocrq } = await setUp();
    await fs.mkdir(path.join(dir, 'in'));
    for (const name of ['a.png', 'b.jpg', 'c.bmp']) await fs.writeFile(path.join(dir, 'in', name), 'x');
    const r = await ocrq(['submit', 'in', '--dry-run', '--json'], { OCRQ_INCLUDE: ['*.png', '*.jpg'].join(path.delimiter) });
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { files: number };
    expect(summary.files).toBe(2);
  });

  it('refuses a bad value in a variable with exit 2, naming the variable and the fix, before reading anything', async () => {
    const { ocrq } = await setUp();
    for (const [name, value] of [
      ['OCRQ_DPI', 'sharp'],
      ['OCRQ_MAX_FILE_SIZE', 'huge'],
      ['OCRQ_CALLBACK_GRACE', 'later'],
      ['OCRQ_ENGINE', 'cloud'],
      ['OCRQ_FORCE_OCR', 'maybe'],
    ]) {
      const r = await ocrq(['submit', 'invoice.png', '--dry-run'], { [name]: value });
      expect(r.code, `${name}=${value}: ${r.stderr}`).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines[0]).toMatch(new RegExp(`^ocrq: error: invalid value in ${name}: `));
      expect(lines[1]).toMatch(new RegExp(`^ocrq: fix: .*unset ${name}`));
    }
  });

  it('refuses a bad value in the config file with exit 2, naming the key', async () => {
    const { configDir, ocrq } = await setUp();
    await fs.writeFile(path.join(configDir, 'config.json'), JSON.stringify({ defaults: { dpi: 'sharp' } }));
    const r = await ocrq(['submit', 'invoice.png', '--dry-run'], { OCRQ_ENGINE: '' });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^ocrq: error: invalid value in defaults\.dpi: /m);
    expect(r.stderr).toMatch(/^ocrq: fix: .*ocrq config unset defaults\.dpi/m);
    // The flag wins, so the bad stored value is never read.
    expect((await ocrq(['submit', 'invoice.png', '--dry-run', '--dpi', '200'], { OCRQ_ENGINE: '' })).code).toBe(0);
  });

  it('lets a flag given for --engine win over a provider from the environment or the config file', async () => {
    const { ocrq } = await setUp();
    const r = await ocrq(['submit', 'invoice.png', '--dry-run', '--json', '--engine', 'local'], { OCRQ_PROVIDER: 'ocrqueen', OCRQ_ENGINE: '' });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.split('\n')[0])).toMatchObject({ type: 'start', target: expect.stringMatching(/local/) });
  });

  it('ocrq config validates the new defaults.* keys with the flag parsers', async () => {
    const { ocrq } = await setUp();
    const bad = await ocrq(['config', 'set', 'defaults.max_file_size', 'huge']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/defaults\.max_file_size.*expected a size/);
    expect((await ocrq(['config', 'set', 'defaults.max_file_size', '10MiB'])).code).toBe(0);
    const got = await ocrq(['config', 'get', 'defaults.max_file_size']);
    expect(got.stdout.trim()).toBe('10MiB');
  });
});
