import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { IsolatedPool, residentBytes, treeResidentBytes, type PoolDocument } from '../../src/isolate/pool.js';
import type { Budgets } from '../../src/isolate/budgets.js';
import { DEFAULT_BUDGETS } from '../../src/isolate/budgets.js';
import { resolveNativeTesseract } from '../../src/isolate/ocr/native-binary.js';
import { CLOSE_GRACE_MS } from '../../src/isolate/ocr/native.js';
import { scratchName } from '../../src/isolate/ocr/scratch.js';
import { fakeTesseract, isRunning, type FakeTesseract } from '../helpers/fake-tesseract.js';
import { makeTempDir, FIXTURES } from '../helpers/tmp.js';

/**
 * The isolation of `--engine native`: each document worker runs its own tesseract, and what the run does to a worker
 * (a budget kill, a crash, the end of the run) it does to that tesseract too. A stand-in binary (helpers/fake-tesseract)
 * plays tesseract, so these run without the real one.
 */
const MiB = 1024 * 1024;

async function startPool(fake: FakeTesseract, budgets: Budgets = DEFAULT_BUDGETS, workers = 1): Promise<IsolatedPool> {
  const native = await resolveNativeTesseract('eng', undefined, { ...process.env, OCRQ_TESSERACT: fake.binary });
  const pool = await IsolatedPool.start({ workers, lang: null, native, budgets });
  onTestFinished(() => pool.close());
  return pool;
}

async function image(): Promise<PoolDocument> {
  return { key: 'invoice', source: 'invoice.png', data: await readFile(path.join(FIXTURES, 'images/invoice.png')) };
}

/** The worker's tesseract: the one child process of the worker. */
async function tesseractOf(fake: FakeTesseract): Promise<number> {
  await expect.poll(async () => (await fake.pids()).length).toBeGreaterThan(0);
  return (await fake.pids()).at(-1)!;
}

const scratchFolders = async (): Promise<string[]> => (await readdir(os.tmpdir())).filter((n) => n.startsWith(scratchName('ocrq-native-')));

describe('native document workers', () => {
  it('answer pages through the worker\'s own long-lived tesseract, with its text and mean word confidence', async () => {
    const fake = await fakeTesseract(await makeTempDir());
    const pool = await startPool(fake);
    const doc = await image();
    const first = await pool.run(doc, { kind: 'image', type: 'png' }, { label: 'one' });
    const second = await pool.run(doc, { kind: 'image', type: 'png' }, { label: 'two' });
    expect(first.value).toEqual({ source: 'ocr', text: 'fake', confidence: 91, image: 'file' });
    expect(second.value).toEqual(first.value);
    // One process served the start-up check and both pages.
    expect(await fake.pids()).toHaveLength(1);
    expect(await scratchFolders()).toHaveLength(1);
    const [tesseract] = await fake.pids();
    await pool.close();
    expect(await scratchFolders()).toEqual([]);
    await expect.poll(() => isRunning(tesseract)).toBe(false);
  });

  it('end the run by ending their tesseract\'s list of images and waiting for it; one that does not end is killed', async () => {
    const answering = await fakeTesseract(await makeTempDir());
    const pool = await startPool(answering);
    await pool.run(await image(), { kind: 'image', type: 'png' }, { label: 'one' });
    const [tesseract] = await answering.pids();
    const [worker] = pool.workerPids;
    await pool.close();
    // It ended because its input did, and its parent, the worker, reaped it before exiting: no zombie left behind.
    expect(await answering.ended()).toEqual([tesseract]);
    expect(await isRunning(tesseract)).toBe(false);
    await expect(fs.access(`/proc/${tesseract}`)).rejects.toThrow();
    expect(await isRunning(worker)).toBe(false);

    const stuck = await fakeTesseract(await makeTempDir(), { mode: 'hang' });
    const other = await startPool(stuck);
    const hung = await tesseractOf(stuck);
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(4 * CLOSE_GRACE_MS);
    await expect.poll(() => isRunning(hung)).toBe(false);
  });

  it('count the tesseract\'s memory as the worker\'s, and a worker over the budget is stopped with it', async () => {
    const fake = await fakeTesseract(await makeTempDir(), { mode: 'memory', megabytes: 400 });
    const pool = await startPool(fake, { pageSeconds: 60, workerMemory: 320 * MiB });
    const [worker] = pool.workerPids;
    const tesseract = await tesseractOf(fake);
    const page = pool.run(await image(), { kind: 'image', type: 'png' }, { label: 'invoice.png' });
    await expect(page).rejects.toMatchObject({ code: 'LIMIT_EXCEEDED', reason: 'memory' });
    expect(pool.stats.killed.memory).toBe(1);
    // The worker alone stayed far below the budget: only its tesseract's memory could have stopped it.
    expect(pool.stats.peakWorkerRss).toBeGreaterThan(320 * MiB);
    await expect.poll(() => isRunning(tesseract)).toBe(false);
    expect(await isRunning(worker)).toBe(false);
  }, 60_000);

  it('sum a worker\'s tree', async () => {
    const fake = await fakeTesseract(await makeTempDir(), { mode: 'memory', megabytes: 200 });
    const pool = await startPool(fake);
    const [worker] = pool.workerPids;
    const tesseract = await tesseractOf(fake);
    void pool.run(await image(), { kind: 'image', type: 'png' }, { label: 'invoice.png' }).catch(() => {});
    await expect.poll(() => residentBytes(tesseract) ?? 0, { timeout: 20_000 }).toBeGreaterThan(200 * MiB);
    const own = residentBytes(worker)!;
    expect(treeResidentBytes(worker)).toBeGreaterThanOrEqual(own + 200 * MiB);
  }, 60_000);

  it('stop the tesseract with a worker past the time budget, and the next page gets a new pair', async () => {
    const dir = await makeTempDir();
    const fake = await fakeTesseract(dir, { mode: 'hang' });
    const pool = await startPool(fake, { pageSeconds: 1, workerMemory: DEFAULT_BUDGETS.workerMemory });
    const tesseract = await tesseractOf(fake);
    await expect(pool.run(await image(), { kind: 'image', type: 'png' }, { label: 'invoice.png' })).rejects.toMatchObject({
      code: 'LIMIT_EXCEEDED',
      reason: 'time',
    });
    await expect.poll(() => isRunning(tesseract)).toBe(false);
    // The replacement worker started a tesseract of its own.
    await expect.poll(async () => (await fake.pids()).length, { timeout: 20_000 }).toBe(2);
    expect(await isRunning((await fake.pids())[1])).toBe(true);
  }, 60_000);

  it('take their tesseract with them when they crash', async () => {
    const fake = await fakeTesseract(await makeTempDir(), { mode: 'hang' });
    const pool = await startPool(fake);
    const [worker] = pool.workerPids;
    const tesseract = await tesseractOf(fake);
    const scratch = (await scratchFolders())[0];
    process.kill(worker, 'SIGSEGV');
    await expect.poll(() => isRunning(tesseract)).toBe(false);
    await expect.poll(() => existsSync(path.join(os.tmpdir(), scratch))).toBe(false);
    await expect.poll(() => pool.stats.restarts).toBe(1);
  }, 60_000);

  it('fail the page whose tesseract dies, and start another tesseract for the next page in the same worker', async () => {
    const fake = await fakeTesseract(await makeTempDir(), { mode: 'crash-first' });
    const pool = await startPool(fake);
    const doc = await image();
    await expect(pool.run(doc, { kind: 'image', type: 'png' }, { label: 'first' })).rejects.toMatchObject({
      code: 'OCR_FAILED',
      message: 'invoice.png: OCR failed (tesseract stopped (signal SIGSEGV))',
    });
    expect((await pool.run(doc, { kind: 'image', type: 'png' }, { label: 'second' })).value).toMatchObject({ text: 'fake', confidence: 91 });
    expect(await fake.pids()).toHaveLength(2);
    expect(pool.stats.restarts).toBe(0);
  }, 60_000);

  it('do not start when tesseract does not run, and say why', async () => {
    const dir = await makeTempDir();
    const fake = await fakeTesseract(dir);
    const native = await resolveNativeTesseract('eng', undefined, { ...process.env, OCRQ_TESSERACT: fake.binary });
    const broken = { ...native, binary: path.join(dir, 'missing-tesseract') };
    await expect(IsolatedPool.start({ workers: 1, lang: null, native: broken, budgets: DEFAULT_BUDGETS })).rejects.toThrow(
      /cannot start tesseract 5\.3\.0 .* with language 'eng'/,
    );
    await expect.poll(scratchFolders).toEqual([]);
  }, 60_000);
});
