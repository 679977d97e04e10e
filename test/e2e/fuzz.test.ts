import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkRun, listingOrder, outcomeKey, unfinished, type RunCheck } from '../../scripts/lib/fuzz-check.mjs';
import { DEFAULT_SEED_FILES, EXTENSIONS, MAX_MUTANT_BYTES, mutate, sniffKind, type Mutant, type SeedDocument } from '../../scripts/lib/mutate.mjs';
import { spawnOcrq } from '../helpers/spawn.js';
import { FIXTURES, REPO_ROOT, makeTempDir } from '../helpers/tmp.js';

/** Fixed, so every run of the suite sees the same mutants; `npm run fuzz` explores other seeds. */
const SEED = 20251205;
const COUNT = 150;
/**
 * PDFs reach most of the code that can hang or crash and cost little at 100 dpi (text layers are read, pages
 * are small); images are OCRed whole, so they are fewer.
 */
const WEIGHTS: Record<string, number> = {
  'pdfs/born-digital.pdf': 4,
  'pdfs/mixed.pdf': 2,
  'pdfs/scanned.pdf': 1,
  'pdfs/protected.pdf': 1,
  'pdfs/corrupt.pdf': 0.5,
  png: 0.7, jpeg: 0.7, gif: 0.7, webp: 0.7, tiff: 0.7, bmp: 0.7,
};
const TEST_TIMEOUT_MS = 90_000;

/**
 * Mutants that broke a run in `npm run fuzz -- --seed 1` (default seed weights), made again from their index.
 * `sha256` guards against the mutator drifting: a different digest means the index no longer names that mutant.
 */
const KNOWN_OFFENDERS = [
  { index: 1104, sha256: 'a60b54b96d28d626', broke: 'exit 1: stack overflow in the PDF parser (dictionaries nested 10,000 deep)' },
  { index: 1421, sha256: '75332ecf9cd9c1f4', broke: 'exit 1: unhandled rejection "Page was destroyed" (page tree that contains itself)' },
  { index: 2568, sha256: 'ec3d4e74199d19d5', broke: 'exit 1: unhandled rejection XRefEntryException (broken xref offsets)' },
  { index: 2132, sha256: '71ce94a2d13d8b77', broke: 'hang: page content that inflates to 1 MiB of "q " never finishes' },
];

async function loadSeeds(): Promise<SeedDocument[]> {
  return Promise.all(DEFAULT_SEED_FILES.map(async (name) => ({ name, data: await fs.readFile(path.join(FIXTURES, name)) })));
}

const digest = (data: Buffer) => crypto.createHash('sha256').update(data).digest('hex');

type Indexed = Mutant & { index: number; seedNumber: number };

/** A tight page budget: a mutant that spins stops in seconds, not the default two minutes. */
const BUDGETS = ['--max-page-seconds', '10'];

/**
 * Runs the mutants through one spawned `ocrq submit --json --workers 2 --dpi 100`, killing it after `killAfterMs`
 * (a hang), and checks the run. On any broken rule the suspects (in flight when it broke, or with a wrong row)
 * are saved to fuzz-findings/ and the test fails with them named.
 */
async function fuzzRun(mutants: Indexed[], killAfterMs: number): Promise<RunCheck> {
  const dir = await makeTempDir('ocrq-fuzz-test-');
  await fs.mkdir(path.join(dir, 'in'));
  const bySource = new Map<string, Indexed>();
  for (const m of mutants) {
    const name = `m${m.seedNumber}-${String(m.index).padStart(4, '0')}.${EXTENSIONS[sniffKind(m.data)] ?? 'bin'}`;
    await fs.writeFile(path.join(dir, 'in', name), m.data);
    bySource.set(`in/${name}`, m);
  }
  const sources = [...bySource.keys()];
  const args = ['submit', 'in', '--out', 'm.jsonl', '--json', '--workers', '2', '--dpi', '100', ...BUDGETS];
  const spawned = spawnOcrq(args, { cwd: dir, env: { CI: '1' } });
  let timedOut: string | null = null;
  const timer = setTimeout(() => {
    timedOut = `no exit after ${killAfterMs / 1000} s`;
    spawned.child.kill('SIGKILL');
  }, killAfterMs);
  const r = await spawned.exited.finally(() => clearTimeout(timer));
  const manifest = await fs.readFile(path.join(dir, 'm.jsonl'), 'utf8').catch(() => '');
  const check = checkRun({ code: r.code, signal: timedOut ? null : r.signal, timedOut, stdout: r.stdout, manifest }, sources);

  const problems = [
    ...check.runViolations.map((v) => `${v.rule}: ${v.detail}`),
    ...check.violations.map((v) => `${v.source}: ${v.rule}: ${v.detail}`),
  ];
  if (problems.length) {
    // The run holds at most 2 × workers + 1 documents and takes them in listing order.
    let inFlight = check.runViolations.length ? unfinished(check, listingOrder(path.join(dir, 'in'), 'in')).slice(0, 5) : [];
    // A run that broke with every row written (at exit): a small set is all suspect.
    if (check.runViolations.length && !inFlight.length && sources.length <= 5) inFlight = sources;
    const suspects = [...new Set([...inFlight, ...check.violations.map((v) => v.source!)])];
    const findings = path.join(REPO_ROOT, 'fuzz-findings');
    await fs.mkdir(findings, { recursive: true });
    const saved: string[] = [];
    for (const source of suspects) {
      const m = bySource.get(source)!;
      const file = path.join(findings, `test-${m.seedNumber}-${m.index}.${source.split('.').pop()}`);
      await fs.writeFile(file, m.data);
      const meta = { seed: m.seedNumber, index: m.index, mutant_seed: m.mutantSeed, seed_document: m.seed, mutations: m.ops, sha256: digest(m.data), why: problems.slice(0, 5) };
      await fs.writeFile(`${file}.json`, JSON.stringify(meta, null, 2) + '\n');
      saved.push(`${path.relative(REPO_ROOT, file)} (${m.seed}: ${m.ops.join('; ')})`);
    }
    const outcomes = new Map<string, number>();
    for (const row of check.rows.values()) outcomes.set(outcomeKey(row), (outcomes.get(outcomeKey(row)) ?? 0) + 1);
    expect.fail(
      `a fuzzed run broke the rules: ${problems.slice(0, 10).join('; ')}\n` +
        `outcomes: ${[...outcomes].map(([k, n]) => `${k} ${n}`).join(', ')}\n` +
        `suspects saved (replay with npm run fuzz -- --replay FILE):\n  ${saved.join('\n  ') || '(none)'}\n` +
        `stderr (end):\n${r.stderr.split('\n').slice(-15).join('\n')}`,
    );
  }
  return check;
}

describe('fuzz (spawned ocrq, mutated documents)', () => {
  it('a mutant is the same bytes for the same seed and index, and never over the size cap', async () => {
    const seeds = await loadSeeds();
    const hash = (m: Mutant) => digest(m.data);
    const first = Array.from({ length: 100 }, (_, i) => mutate(seeds, SEED, i, { weights: WEIGHTS }));
    const again = Array.from({ length: 100 }, (_, i) => mutate(seeds, SEED, i, { weights: WEIGHTS }));
    expect(again.map(hash)).toEqual(first.map(hash));
    for (const m of first) expect(m.data.length).toBeLessThanOrEqual(MAX_MUTANT_BYTES);
    // Different indexes give different documents (a few may coincide; most must not).
    expect(new Set(first.map(hash)).size).toBeGreaterThan(90);
    // The known offenders are still the documents that were found.
    for (const k of KNOWN_OFFENDERS) expect(digest(mutate(seeds, 1, k.index).data).slice(0, 16), `seed 1 index ${k.index}`).toBe(k.sha256);
  });

  it(
    `${COUNT} mutants of the fixtures in one run: exit 0/3/4, NDJSON, one final row with a code per input`,
    async () => {
      const seeds = await loadSeeds();
      const mutants = Array.from({ length: COUNT }, (_, i) => ({ ...mutate(seeds, SEED, i, { weights: WEIGHTS }), index: i, seedNumber: SEED }));
      const check = await fuzzRun(mutants, TEST_TIMEOUT_MS - 10_000);
      // Both outcomes are reached: the mutants are neither all harmless nor all rejected at the door.
      const statuses = new Set([...check.rows.values()].map((row) => row?.status));
      expect(statuses).toContain('completed');
      expect(statuses).toContain('failed');
    },
    TEST_TIMEOUT_MS,
  );

  // These broke the run while pdf.js worked on the run's own thread (stack overflows, unhandled rejections, a page
  // that never finished); in document workers under budgets each ends as a row with its code.
  it.each(KNOWN_OFFENDERS)(
    'known offender, seed 1 index $index, ends as a row ($broke)',
    async ({ index }) => {
      const seeds = await loadSeeds();
      await fuzzRun([{ ...mutate(seeds, 1, index), index, seedNumber: 1 }], 40_000);
    },
    45_000,
  );
});
