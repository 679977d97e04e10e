import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePgm, rgbaToGray } from '../../../src/documents/pdf.js';
import { resolveLangData } from '../../../src/isolate/ocr/lang-data.js';
import { RecognizeError, TesseractPool } from '../../../src/isolate/ocr/tesseract.js';
import { drawText } from '../../targets/local/make-image.js';

const drawn = drawText(['Pool test 42'], 600, 70);
const pgm = encodePgm({ width: drawn.width, height: drawn.height, pixels: rgbaToGray(drawn.rgba) });
const png = drawn.encode('png');

let pool: TesseractPool;
const diagnostics: string[] = [];
beforeAll(async () => {
  pool = await TesseractPool.start({ ...(await resolveLangData('eng')), workers: 2, onDiagnostic: (t) => diagnostics.push(t) });
});
afterAll(() => pool?.close());

describe('TesseractPool', () => {
  it('recognizes on every worker while holding at most workers + 1 images', async () => {
    let prepared = 0;
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        pool.recognize({
          prepare: async () => {
            prepared++;
            return pgm;
          },
        }),
      ),
    );
    expect(prepared).toBe(10);
    expect(results.map((r) => r.text.trim())).toEqual(Array(10).fill('Pool test 42'));
    expect(results[0].confidence).toBeGreaterThan(80);
    expect(pool.stats.peakImages).toBeLessThanOrEqual(3);
    expect(pool.stats.byWorker.every((n) => n > 0)).toBe(true);
    expect(new Set(results.map((r) => r.worker))).toEqual(new Set([0, 1]));
  });

  it('produces images only as workers free up', async () => {
    let prepared = 0;
    let preparedAtFirstResult = -1;
    const tasks = Array.from({ length: 8 }, () =>
      pool
        .recognize({
          prepare: async () => {
            prepared++;
            return pgm;
          },
        })
        .then(() => {
          if (preparedAtFirstResult < 0) preparedAtFirstResult = prepared;
        }),
    );
    await Promise.all(tasks);
    // Two workers busy plus one image ready; a fourth may start the moment the first finishes.
    expect(preparedAtFirstResult).toBeLessThanOrEqual(4);
    expect(prepared).toBe(8);
  });

  it('drops queued tasks whose signal aborts, without producing their images', async () => {
    const controller = new AbortController();
    const prepared: number[] = [];
    const tasks = Array.from({ length: 8 }, (_, i) =>
      pool.recognize({
        signal: controller.signal,
        prepare: async () => {
          prepared.push(i);
          return png;
        },
      }),
    );
    controller.abort(new Error('stop now'));
    const settled = await Promise.allSettled(tasks);
    expect(settled.every((s) => s.status === 'rejected' && (s.reason as Error).message === 'stop now')).toBe(true);
    expect(prepared.length).toBeLessThanOrEqual(3);
    expect((await pool.recognize({ prepare: async () => png })).text.trim()).toBe('Pool test 42');
  });

  it('passes on a failing prepare and keeps going', async () => {
    await expect(pool.recognize({ prepare: () => Promise.reject(new Error('render failed')) })).rejects.toThrow('render failed');
    expect((await pool.recognize({ prepare: async () => png })).text.trim()).toBe('Pool test 42');
  });

  it('marks undecodable images and keeps the worker', async () => {
    const restarts = pool.stats.restarts;
    const err = await pool.recognize({ prepare: async () => png.subarray(0, 200) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RecognizeError);
    expect((err as RecognizeError).unreadable).toBe(true);
    expect(pool.stats.restarts).toBe(restarts);
    expect((await pool.recognize({ prepare: async () => png })).text.trim()).toBe('Pool test 42');
    // The decoder's complaints went to the diagnostics callback, not to the terminal.
    await expect.poll(() => diagnostics.join('')).toMatch(/png|read/i);
  });

  it('replaces a worker whose thread dies, failing only the page it held', async () => {
    const big = drawText(Array(12).fill('A long line of text to keep the worker busy'), 1400);
    const image = encodePgm({ width: big.width, height: big.height, pixels: rgbaToGray(big.rgba) });
    const inFlight = pool.recognize({ prepare: async () => image });
    await new Promise((r) => setTimeout(r, 50));
    // Simulate a crash of the engine thread (as a WASM abort would cause).
    const slots = (pool as unknown as { slots: Array<{ job: unknown; worker: { worker: { terminate(): void } } }> }).slots;
    slots.find((s) => s.job)!.worker.worker.terminate();
    await expect(inFlight).rejects.toThrow(/OCR worker stopped/);
    expect(pool.stats.restarts).toBeGreaterThanOrEqual(1);
    const after = await Promise.all([1, 2, 3].map(() => pool.recognize({ prepare: async () => png })));
    expect(after.map((r) => r.text.trim())).toEqual(Array(3).fill('Pool test 42'));
  });

  it('rejects pending work on close and refuses new work', async () => {
    const other = await TesseractPool.start({ ...(await resolveLangData('eng')), workers: 1 });
    const pending = Array.from({ length: 3 }, () => other.recognize({ prepare: async () => png }));
    await other.close();
    const settled = await Promise.allSettled(pending);
    expect(settled.every((s) => s.status === 'rejected')).toBe(true);
    await expect(other.recognize({ prepare: async () => png })).rejects.toThrow(/closed/);
  });
});
