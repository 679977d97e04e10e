/**
 * `ocrq submit --shard K/N` (README "Running on many machines"), in process: the shard comes from the flag,
 * OCRQ_SHARD or defaults.shard; the start and summary events and the human summary name it; a dry run reports the
 * shard's inputs, bytes and pages, which add up over the shards to the whole batch's; and against a provider the run
 * says in one line on stderr which part of the provider budget it uses.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../../src/main.js';
import { buildZip } from '../../scripts/lib/zip-writer.mjs';
import { captureIo } from '../helpers/io.js';
import { FIXTURES, makeTempDir } from '../helpers/tmp.js';

type Event = Record<string, unknown> & { type: string };

const events = (stdout: string): Event[] =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Event);

/** A small batch: two PDFs, two images, a ZIP of two documents, a text file, and a copy of one PDF. */
async function batch(): Promise<string> {
  const dir = await makeTempDir();
  const copy = async (from: string, to: string) => {
    await fs.mkdir(path.dirname(path.join(dir, to)), { recursive: true });
    await fs.copyFile(path.join(FIXTURES, from), path.join(dir, to));
  };
  await copy('pdfs/born-digital.pdf', 'in/a/born-digital.pdf');
  await copy('pdfs/mixed.pdf', 'in/a/b/mixed.pdf');
  await copy('images/invoice.png', 'in/invoice.png');
  await copy('images/receipt.jpg', 'in/b/receipt.jpg');
  await copy('misc/notes.txt', 'in/notes.txt');
  await copy('pdfs/born-digital.pdf', 'in/c/again.pdf');
  const png = await fs.readFile(path.join(FIXTURES, 'images/sign.gif'));
  await fs.writeFile(path.join(dir, 'in/batch.zip'), buildZip([{ name: 'x/sign.gif', data: png }, { name: 'letter.pdf', data: await fs.readFile(path.join(FIXTURES, 'pdfs/owner-only.pdf')) }]));
  await fs.mkdir(path.join(dir, 'config'));
  return dir;
}

const INPUTS = ['in/a/born-digital.pdf', 'in/a/b/mixed.pdf', 'in/invoice.png', 'in/b/receipt.jpg', 'in/notes.txt', 'in/c/again.pdf', 'in/batch.zip!/x/sign.gif', 'in/batch.zip!/letter.pdf'];

async function submit(dir: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const io = captureIo(dir, { env: { ...process.env, CI: '1', OCRQ_CONFIG_DIR: path.join(dir, 'config'), ...env } });
  const code = await run(['submit', ...args], io.deps);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

describe('ocrq submit --shard', () => {
  it('--dry-run: each shard reports its inputs, bytes and pages; together they are the whole batch', async () => {
    const dir = await batch();
    const whole = await submit(dir, ['in', '--dry-run', '--json', '--workers', '1']);
    expect(whole.code, whole.stderr).toBe(0);
    const wholeEvents = events(whole.stdout);
    const wholeSummary = wholeEvents.at(-1)!;
    expect(wholeEvents[0]).not.toHaveProperty('shard');
    expect(wholeSummary).not.toHaveProperty('shard');
    expect(wholeSummary).toMatchObject({ type: 'summary', files: 8, duplicates: 1 });
    expect(wholeSummary.bytes).toBeGreaterThan(0);
    const sources = (evs: Event[]) => evs.filter((e) => e.type === 'document').map((e) => e.source as string);

    const count = 3;
    const totals = { files: 0, bytes: 0, pages: 0 };
    const all: string[] = [];
    for (let index = 0; index < count; index++) {
      const shard = await submit(dir, ['in', '--dry-run', '--json', '--workers', '1', '--shard', `${index}/${count}`]);
      expect(shard.code, shard.stderr).toBe(0);
      const evs = events(shard.stdout);
      expect(evs[0]).toMatchObject({ type: 'start', shard: `${index}/${count}`, dry_run: true });
      const summary = evs.at(-1)!;
      expect(summary).toMatchObject({ type: 'summary', shard: `${index}/${count}`, dry_run: true });
      totals.files += summary.files as number;
      totals.bytes += summary.bytes as number;
      totals.pages += summary.pages as number;
      all.push(...sources(evs));
    }
    // Every input once; the whole run's copy of born-digital.pdf is a duplicate (no event of its own) unless the copies
    // fall in two shards.
    expect(new Set(all).size).toBe(all.length);
    expect(all).toEqual(expect.arrayContaining(sources(wholeEvents)));
    expect(INPUTS).toEqual(expect.arrayContaining(all));
    expect(totals.files).toBe(wholeSummary.files);
    expect(totals.bytes).toBe(wholeSummary.bytes);
    // A content met in two shards is counted by both (each would process it); here only the copy of one PDF.
    expect(totals.pages).toBeGreaterThanOrEqual(wholeSummary.pages as number);
    expect(totals.pages).toBeLessThanOrEqual((wholeSummary.pages as number) + 2);

    // The human summary names the shard and what the dry run read.
    const human = await submit(dir, ['in', '--dry-run', '--workers', '1', '--shard', '1/3']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stderr).toMatch(/^ocrq: shard 1\/3: \d+ documents? from \d+ inputs?: /m);
    expect(human.stderr).toMatch(/^ocrq: \d+ pages? in .*, [\d.]+ (B|KiB|MiB) read; manifest ocrq-manifest\.jsonl$/m);
  }, 120_000);

  it('takes the shard from --shard, else OCRQ_SHARD, else defaults.shard', async () => {
    const dir = await batch();
    await fs.writeFile(path.join(dir, 'config/config.json'), JSON.stringify({ defaults: { shard: '2/5' } }));
    const shardOf = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
      const r = await submit(dir, ['in/notes.txt', '--dry-run', '--json', ...args], env);
      expect(r.code, r.stderr).toBe(0);
      return events(r.stdout)[0].shard;
    };
    expect(await shardOf([])).toBe('2/5');
    expect(await shardOf([], { OCRQ_SHARD: '1/4' })).toBe('1/4');
    expect(await shardOf(['--shard', '0/3'], { OCRQ_SHARD: '1/4' })).toBe('0/3');

    const bad = await submit(dir, ['in', '--dry-run'], { OCRQ_SHARD: '4/4' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('ocrq: error: invalid value in OCRQ_SHARD: --shard 4/4: K must be below N');
  });

  it('against a provider, says which part of the budget it uses: 1/N of the totals, or the figures per shard', async () => {
    const dir = await batch();
    const provider = ['in/notes.txt', '--dry-run', '--provider', 'ocrqueen', '--workers', '1'];
    const total = await submit(dir, [...provider, '--shard', '2/4', '--rps', '5', '--burst', '1', '--concurrency', '8']);
    expect(total.code, total.stderr).toBe(0);
    expect(total.stderr.split('\n')[0]).toBe('ocrq: shard 2/4: using 1/4 of the provider budget: --rps 1.25, --burst 1, --concurrency 2');

    const three = await submit(dir, [...provider, '--shard', '0/3', '--json'], { OCRQ_RPS: '10', OCRQ_BURST: '4' });
    expect(three.stderr.split('\n')[0]).toBe('ocrq: shard 0/3: using 1/3 of the provider budget: --rps 3.333, --burst 2, --concurrency 6');

    const own = await submit(dir, [...provider, '--shard', '2/4', '--rps', '5', '--shard-budget', 'per-shard']);
    expect(own.stderr.split('\n')[0]).toBe('ocrq: shard 2/4: --rps 5, --burst 1, --concurrency 16 for this shard alone (--shard-budget per-shard)');
    const ownFromEnv = await submit(dir, [...provider, '--shard', '2/4'], { OCRQ_SHARD_BUDGET: 'per-shard' });
    expect(ownFromEnv.stderr.split('\n')[0]).toContain('for this shard alone');

    const quiet = await submit(dir, [...provider, '--shard', '2/4', '--quiet']);
    expect(quiet.stderr).toBe('');
    const unsharded = await submit(dir, provider);
    expect(unsharded.stderr).not.toContain('budget');
    const local = await submit(dir, ['in/notes.txt', '--dry-run', '--workers', '1', '--shard', '2/4']);
    expect(local.stderr).not.toContain('budget');
  }, 120_000);
});
