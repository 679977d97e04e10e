import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { DEFAULT_BUDGETS } from '../../src/isolate/budgets.js';
import { IsolatedPool, residentBytes, type PoolDocument } from '../../src/isolate/pool.js';
import { resolveLangData } from '../../src/isolate/ocr/lang-data.js';
import { characterErrorRate } from '../../src/targets/local/cer.js';
import { FIXTURES, REPO_ROOT } from '../helpers/tmp.js';

const groundTruth = JSON.parse(await readFile(path.join(FIXTURES, 'ground-truth.json'), 'utf8')) as Record<string, { pages: string[] }>;

async function startPool(workers = 1, budgets = DEFAULT_BUDGETS): Promise<IsolatedPool> {
  const pool = await IsolatedPool.start({ workers, lang: await resolveLangData('eng'), budgets });
  onTestFinished(() => pool.close());
  return pool;
}

async function fixture(rel: string, key = rel): Promise<PoolDocument> {
  return { key, source: rel, data: await readFile(path.join(FIXTURES, rel)) };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('document workers', () => {
  it('opens, reads and OCRs in a worker process, not in this one', async () => {
    const pool = await startPool(1);
    const [pid] = pool.workerPids;
    expect(pid).not.toBe(process.pid);
    const doc = await fixture('pdfs/mixed.pdf');
    expect((await pool.run(doc, { kind: 'open', maxPixels: 1e8 }, { label: 'open' })).value).toEqual({ pages: 2 });
    const page = { kind: 'page', dpi: 300, forceOcr: false, maxPixels: 1e8 } as const;
    const one = await pool.run(doc, { ...page, page: 1 }, { label: 'page 1' });
    const two = await pool.run(doc, { ...page, page: 2 }, { label: 'page 2' });
    expect(one.value).toMatchObject({ source: 'text-layer', confidence: null });
    // The fixture's scans are 200 dpi: drawn at 300 dpi on a canvas rather than taken as they are.
    expect(two.value).toMatchObject({ source: 'ocr', image: 'rendered' });
    const truth = groundTruth['pdfs/mixed.pdf'].pages;
    expect(characterErrorRate(one.value.text, truth[0])).toBeLessThan(0.05);
    expect(characterErrorRate(two.value.text, truth[1])).toBeLessThan(0.05);
    expect(residentBytes(pid)).toBeGreaterThan(10 * 1024 * 1024);
    pool.release(doc.key);
  });

  it('answers a damaged document with its failure and stays usable', async () => {
    const pool = await startPool(1);
    const corrupt = await fixture('pdfs/corrupt.pdf');
    await expect(pool.run(corrupt, { kind: 'open', maxPixels: 1e8 }, { label: 'open' })).rejects.toMatchObject({ code: 'PDF_INVALID' });
    expect((await pool.run(corrupt, { kind: 'count' }, { label: 'count' })).value).toEqual({ pages: null });
    const image = await pool.run(await fixture('images/receipt.jpg'), { kind: 'image', type: 'jpeg' }, { label: 'receipt' });
    expect(characterErrorRate(image.value.text, groundTruth['images/receipt.jpg'].pages[0])).toBeLessThan(0.05);
    expect(pool.stats.restarts).toBe(0);
  });

  it('runs a task again on a new worker when its worker dies once, and gives up after a second death', async () => {
    const pool = await startPool(1);
    const doc = await fixture('pdfs/scanned.pdf');
    const page = { kind: 'page', page: 1, dpi: 300, forceOcr: false, maxPixels: 1e8 } as const;

    const once = pool.run(doc, page, { label: 'scanned.pdf: page 1' });
    process.kill(pool.workerPids[0], 'SIGSEGV');
    const reply = await once;
    expect(characterErrorRate(reply.value.text, groundTruth['pdfs/scanned.pdf'].pages[0])).toBeLessThan(0.05);
    expect(pool.stats.restarts).toBe(1);

    const tasks = pool.stats.tasks;
    const twice = pool.run(doc, page, { label: 'scanned.pdf: page 1' });
    process.kill(pool.workerPids[0], 'SIGSEGV');
    // Killed again once the task is running on the new worker.
    await expect.poll(() => pool.stats.tasks, { timeout: 20_000 }).toBe(tasks + 2);
    process.kill(pool.workerPids[0], 'SIGSEGV');
    await expect(twice).rejects.toMatchObject({
      code: 'ENGINE_CRASHED',
      category: 'engine',
      message: expect.stringMatching(/^scanned\.pdf: page 1: the document worker crashed twice \(signal SIGSEGV\)/),
    });
    // The pool replaced the worker and goes on.
    const after = await pool.run(await fixture('images/sign.gif'), { kind: 'image', type: 'gif' }, { label: 'sign' });
    expect(after.value.source).toBe('ocr');
  });

  it('stops a worker past the time budget and fails its task with the budget named', async () => {
    const pool = await startPool(1, { ...DEFAULT_BUDGETS, pageSeconds: 0.3 });
    const doc = await fixture('pdfs/scanned.pdf');
    const started = Date.now();
    await expect(pool.run(doc, { kind: 'page', page: 1, dpi: 300, forceOcr: true, maxPixels: 1e8 }, { label: 'scanned.pdf: page 1' })).rejects.toMatchObject({
      code: 'LIMIT_EXCEEDED',
      reason: 'time',
      category: 'limit',
      message: 'scanned.pdf: page 1: took longer than the 0.3 s budget per page, so its worker was stopped (raise it with --max-page-seconds)',
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(pool.stats.killed.time).toBe(1);
  });

  it.each(['memory-bomb.pdf', 'pattern-loop.pdf'])('stops a worker past the memory budget on %s, however the page grows', async (file) => {
    const budgets = { pageSeconds: 300, workerMemory: 320 * 1024 * 1024 };
    const pool = await IsolatedPool.start({ workers: 1, lang: null, budgets });
    onTestFinished(() => pool.close());
    const doc = { key: file, source: file, data: await readFile(path.join(REPO_ROOT, 'test', 'hostile-pdfs', file)) };
    await expect(pool.run(doc, { kind: 'page', page: 1, dpi: 300, forceOcr: false, maxPixels: 5e7 }, { label: `${file}: page 1` })).rejects.toMatchObject({
      code: 'LIMIT_EXCEEDED',
      reason: 'memory',
      message: `${file}: page 1: needed more than the 320 MiB memory budget per worker, so its worker was stopped (raise it with --max-worker-memory)`,
    });
    expect(pool.stats.killed.memory).toBe(1);
    // Sampled from outside, the worker never got far past its budget.
    expect(pool.stats.peakWorkerRss).toBeLessThan(budgets.workerMemory + 128 * 1024 * 1024);
  }, 120_000);

  it('leaves no worker behind when the process that started it is killed', async () => {
    const script = `
      import { IsolatedPool } from ${JSON.stringify(path.join(REPO_ROOT, 'dist/isolate/pool.js'))};
      const pool = await IsolatedPool.start({ workers: 2, lang: null, budgets: { pageSeconds: 60, workerMemory: 512 * 1024 * 1024 } });
      console.log(JSON.stringify(pool.workerPids));
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pids = await new Promise<number[]>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()))));
    expect(pids).toHaveLength(2);
    expect(pids.every(alive)).toBe(true);
    parent.kill('SIGKILL');
    await expect.poll(() => pids.some(alive), { timeout: 5_000 }).toBe(false);
  });
});
