/**
 * `--rotate` (OCRQ_ROTATE, defaults.rotate) turns each OCRed page upright before reading it and records the turn;
 * without it (the default) pages are read as they are. Read as one block of text (`--psm block`), a page turned a
 * quarter turn comes out as nonsense; test/targets/local/page-segmentation.test.ts covers layout analysis.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { characterErrorRate } from '../../src/targets/local/cer.js';
import { MAX_CER } from '../helpers/ground-truth.js';
import { spawnOcrq } from '../helpers/spawn.js';
import { makeTempDir, REPO_ROOT } from '../helpers/tmp.js';

type Page = { text: string; rotation?: number };
const SCANS = path.join(REPO_ROOT, 'test', 'scans');
const truth = JSON.parse(await fs.readFile(path.join(SCANS, 'ground-truth.json'), 'utf8')) as Record<string, { text: string }>;

async function pageOf(dir: string): Promise<Page> {
  const rows = (await fs.readFile(path.join(dir, 'm.jsonl'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l));
  return rows.filter((r) => r.status === 'completed').at(-1).result.pages[0] as Page;
}

describe('--rotate', () => {
  it('is off by default; on with --rotate or OCRQ_ROTATE, which --no-rotate overrides', { timeout: 120_000 }, async () => {
    const dir = await makeTempDir();
    await fs.mkdir(path.join(dir, 'in'));
    await fs.copyFile(path.join(SCANS, 'turned-90.png'), path.join(dir, 'in', 'turned-90.png'));
    const text = truth['turned-90.png'].text;
    const submit = async (extra: string[], env: NodeJS.ProcessEnv = {}) => {
      const r = await spawnOcrq(['submit', 'in', '--out', 'm.jsonl', '--workers', '1', '-q', '--force', '--psm', 'block', ...extra], { cwd: dir, env }).exited;
      expect(r.code, r.stderr).toBe(0);
      return pageOf(dir);
    };

    const asIs = await submit([]);
    expect(asIs.rotation).toBeUndefined();
    expect(characterErrorRate(asIs.text, text)).toBeGreaterThan(0.5);

    const turned = await submit(['--rotate']);
    expect(turned.rotation).toBe(270);
    expect(characterErrorRate(turned.text, text), turned.text).toBeLessThan(MAX_CER);

    expect((await submit([], { OCRQ_ROTATE: 'true' })).rotation).toBe(270);
    expect((await submit(['--no-rotate'], { OCRQ_ROTATE: 'true' })).rotation).toBeUndefined();
  });
});
