import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/documents/hash.js';
import { DocumentError } from '../../src/errors.js';
import { ResumeIndex } from '../../src/manifest/resume-index.js';
import type { ManifestRow } from '../../src/manifest/types.js';
import { ManifestWriter } from '../../src/manifest/writer.js';
import type { RunEvent } from '../../src/output/events.js';
import { runPipeline, type PipelineOptions } from '../../src/submit/pipeline.js';
import type { DocumentOutcome, Target, TargetDocument } from '../../src/targets/types.js';
import type { InputItem } from '../../src/walk/types.js';
import { countInputs } from '../../src/walk/count.js';
import { walkBatches } from '../../src/walk/walk.js';
import { DEFAULT_ZIP_LIMITS } from '../../src/walk/zip.js';
import { fold } from '../helpers/manifest.js';
import { makeTempDir, writeTree } from '../helpers/tmp.js';
import { resultWriter } from '../../src/submit/result-writer.js';
import { writeFileAtomic } from '../../src/manifest/atomic.js';
import fs from 'node:fs/promises';
import path from 'node:path';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const png = (tag: string) => Buffer.concat([PNG, Buffer.from(tag)]);

function doc(source: string, data: Buffer): InputItem {
  return { kind: 'document', source, size: data.length, read: async () => data };
}

/** A target that "recognises" the bytes after the PNG signature, after an optional delay per document. */
function echoTarget(delays: Record<string, number> = {}): Target & { processed: string[] } {
  const processed: string[] = [];
  return {
    name: 'local',
    processed,
    jobIdFor: (sha) => `local_${sha.slice(0, 32)}`,
    async countPages() {
      return 1;
    },
    async process(d: TargetDocument): Promise<DocumentOutcome> {
      processed.push(d.source);
      await new Promise((r) => setTimeout(r, delays[d.source] ?? 0));
      const text = d.data.subarray(8).toString();
      const jobId = `local_${d.sha256.slice(0, 32)}`;
      if (text.startsWith('bad')) return { ok: false, jobId, error: { code: 'IMAGE_INVALID', message: `${d.source}: bad`, category: 'document' } };
      return { ok: true, jobId, text, pages: 1, result: { pages: [] } };
    },
    async close() {},
  };
}

/** An in-memory journal with the same index rules as the real one. */
function memorySink(index = new ResumeIndex()) {
  const rows: ManifestRow[] = [];
  return {
    rows,
    index,
    async append(row: ManifestRow) {
      rows.push(JSON.parse(JSON.stringify(row)));
      index.update(row);
    },
  };
}

/** Inputs handed over one per array. */
async function* oneByOne(items: AsyncIterable<InputItem>): AsyncGenerator<InputItem[]> {
  for await (const item of items) yield [item];
}

const options: PipelineOptions = { policy: { force: false, retryFailed: false }, dryRun: false, documentsInFlight: 4 };

async function runOver(items: InputItem[], target: Target, sink = memorySink(), opts: Partial<PipelineOptions> = {}) {
  const events: RunEvent[] = [];
  // In arrays of up to three, as the walk hands over the files of a probe batch together.
  async function* gen() {
    for (let i = 0; i < items.length; i += 3) yield items.slice(i, i + 3);
  }
  const counts = await runPipeline(gen(), { ...options, ...opts }, {
    writer: new ManifestWriter(sink),
    index: sink.index,
    target,
    emit: (e) => events.push(e),
    signal: new AbortController().signal,
    now: Date.now,
  });
  return { counts, events, sink };
}

describe('runPipeline', () => {
  it('processes identical content once and records every source on its one row', async () => {
    const target = echoTarget({ 'a.png': 50 });
    // b.png arrives while a.png is still being processed; c.png after it is done.
    const { counts, sink } = await runOver([doc('a.png', png('one')), doc('b.png', png('one')), doc('x.png', png('two'))], target);
    const late = await runOver([doc('c.png', png('one'))], target, sink);
    expect(target.processed).toEqual(['a.png', 'x.png']);
    expect(counts).toMatchObject({ files: 3, completed: 2, duplicates: 1, processed: 2 });
    expect(late.counts).toMatchObject({ completed: 1, alreadyDone: 1, processed: 0 });
    const folded = fold(sink.rows);
    const row = folded.get(`local_${sha256Hex(png('one')).slice(0, 32)}`)!;
    expect(row).toMatchObject({ status: 'completed', text: 'one', source: 'a.png', sources: ['a.png', 'b.png', 'c.png'] });
    expect(sink.rows.filter((r) => r.text !== undefined)).toHaveLength(2);
  });

  it('gives unsupported content and refused inputs skipped rows, once across re-runs', async () => {
    const items: InputItem[] = [
      doc('notes.txt', Buffer.from('hello there')),
      { kind: 'skipped', source: 'big.pdf', error: { code: 'FILE_TOO_LARGE', message: 'big.pdf: too large', category: 'limit' } },
      { kind: 'document', source: 'gone.pdf', size: 1, read: async () => Promise.reject(new DocumentError('FILE_VANISHED', 'gone.pdf: vanished', 'input')) },
    ];
    const first = await runOver(items, echoTarget());
    expect(first.counts).toMatchObject({ skipped: 3, skippedByCode: { UNSUPPORTED_TYPE: 1, FILE_TOO_LARGE: 1, FILE_VANISHED: 1 } });
    // Rows are written as inputs end: one refused by the walk needs no read, so it may be written first.
    const rows = [...first.sink.rows].sort((a, b) => items.findIndex((i) => i.source === a.source) - items.findIndex((i) => i.source === b.source));
    expect(rows.map((r) => [r.source, r.status, r.error?.code, r.sha256 === null])).toEqual([
      ['notes.txt', 'skipped', 'UNSUPPORTED_TYPE', false],
      ['big.pdf', 'skipped', 'FILE_TOO_LARGE', true],
      ['gone.pdf', 'skipped', 'FILE_VANISHED', true],
    ]);
    expect(rows[0].error!.message).toMatch(/notes\.txt: plain text is not a supported document/);
    const again = await runOver(items, echoTarget(), first.sink);
    expect(again.sink.rows).toHaveLength(3);
  });

  it('keeps failures on re-runs unless asked, and retries them with --retry-failed', async () => {
    const target = echoTarget();
    const items = [doc('bad.png', png('bad content')), doc('good.png', png('fine'))];
    const first = await runOver(items, target);
    expect(first.counts).toMatchObject({ completed: 1, failed: 1 });
    const kept = await runOver(items, target, first.sink);
    expect(kept.counts).toMatchObject({ completed: 1, failed: 1, processed: 0, alreadyDone: 2 });
    expect(kept.counts.failures[0]).toMatchObject({ source: 'bad.png', code: 'IMAGE_INVALID' });
    // The reason is the original one, not only its code.
    expect(kept.counts.failures[0].message).toBe('bad.png: bad (from an earlier run; retry with --retry-failed)');
    // Met under another name, the content's failure is told for that name, once.
    const moved = await runOver([doc('renamed.png', png('bad content'))], target, first.sink);
    expect(moved.counts.failures).toEqual([
      { source: 'renamed.png', job_id: kept.counts.failures[0].job_id, code: 'IMAGE_INVALID', message: 'renamed.png: bad (from an earlier run; retry with --retry-failed)' },
    ]);
    const retried = await runOver(items, target, first.sink, { policy: { force: false, retryFailed: ['IMAGE_INVALID'] } });
    expect(retried.counts).toMatchObject({ processed: 1, failed: 1 });
    expect(target.processed).toEqual(['bad.png', 'good.png', 'bad.png']);
  });

  it('--results-dir by source: a file per source, for copies met while processing and after completion alike', async () => {
    const dir = await makeTempDir();
    const results = resultWriter(dir, 'source', () => {}, writeFileAtomic);
    const sink = memorySink();
    async function* gen(): AsyncGenerator<InputItem> {
      yield doc('a.png', png('one'));
      yield doc('during/b.png', png('one'));
      // After a.png is done: this copy becomes a sources update.
      await new Promise((r) => setTimeout(r, 150));
      yield doc('after/c.png', png('one'));
    }
    await runPipeline(oneByOne(gen()), options, {
      writer: new ManifestWriter(sink),
      index: sink.index,
      target: echoTarget({ 'a.png': 50 }),
      emit: () => {},
      signal: new AbortController().signal,
      now: Date.now,
      results,
    });
    const row = [...fold(sink.rows).values()][0];
    expect(row.sources).toEqual(['a.png', 'during/b.png', 'after/c.png']);
    // during/b.png joined the row while a.png was processed; after/c.png came as a sources update.
    const updates = sink.rows.filter((r) => r.status === 'completed' && r.text === undefined);
    expect(updates.map((r) => r.sources)).toEqual([['a.png', 'during/b.png', 'after/c.png']]);
    for (const source of row.sources!) {
      expect(await fs.readFile(path.join(dir, `${source}.txt`), 'utf8')).toBe('one');
      expect(JSON.parse(await fs.readFile(path.join(dir, `${source}.json`), 'utf8'))).toMatchObject({ job_id: row.job_id, text: 'one', text_path: path.join(dir, `${source}.txt`) });
    }
  });

  it('a dry run counts pages and writes nothing', async () => {
    const target = echoTarget();
    const { counts, sink } = await runOver([doc('a.png', png('1')), doc('b.png', png('2')), doc('c.png', png('1'))], target, memorySink(), { dryRun: true });
    expect(counts).toMatchObject({ pages: 2, processed: 2, duplicates: 1, completed: 0 });
    expect(sink.rows).toEqual([]);
    expect(target.processed).toEqual([]);
  });

  it('stops the run when the manifest cannot be written, without processing further documents', async () => {
    const target = echoTarget();
    const sink = memorySink();
    let appends = 0;
    const failing = {
      ...sink,
      async append(row: ManifestRow) {
        if (++appends === 2) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        return sink.append(row);
      },
    };
    const items = Array.from({ length: 20 }, (_, i) => doc(`d${i}.png`, png(`doc ${i}`)));
    await expect(runOver(items, target, failing, { documentsInFlight: 1 })).rejects.toThrow(/ENOSPC/);
    expect(target.processed.length).toBeLessThan(5);
  });

  it('stops pulling inputs when the signal aborts; unfinished documents stay unrecorded', async () => {
    const delays = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`d${i}.png`, 60]));
    const target = echoTarget(delays);
    const controller = new AbortController();
    const sink = memorySink();
    const pulled: string[] = [];
    async function* gen() {
      for (let i = 0; i < 50; i++) {
        pulled.push(`d${i}`);
        yield doc(`d${i}.png`, png(`doc ${i}`));
      }
    }
    setTimeout(() => controller.abort('SIGINT'), 100);
    const counts = await runPipeline(oneByOne(gen()), { ...options, documentsInFlight: 2 }, {
      writer: new ManifestWriter(sink),
      index: sink.index,
      target: {
        ...target,
        process: (d, ctx) =>
          new Promise((resolve, reject) => {
            ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true });
            target.process(d, ctx).then(resolve, reject);
          }),
      },
      emit: () => {},
      signal: controller.signal,
      now: Date.now,
    });
    // Two in flight: d0 and d1 finish at 60 ms, d2 and d3 are cut off by the abort at 100 ms.
    expect(pulled.length).toBeLessThanOrEqual(5);
    expect(sink.rows.map((r) => r.source).sort()).toEqual(['d0.png', 'd1.png']);
    expect(counts.pending).toBeGreaterThan(0);
  });

  describe('walk_done', () => {
    /** Eight images on disk (the last a copy of the first) and a target that takes 150 ms over each document. */
    async function slowRun(withCount: 'count ahead' | 'walk only' | 'count fails', { countAheadAfterMs = 0, delayMs = 150 } = {}) {
      const dir = await makeTempDir();
      const files: Record<string, Buffer> = {};
      for (let i = 0; i < 7; i++) files[`in/d${i}.png`] = png(`doc ${i}`);
      files['in/d7.png'] = png('doc 0');
      await writeTree(dir, files);
      const walkOptions = { cwd: dir, include: [], exclude: [], maxFileSize: 1e9, zipLimits: DEFAULT_ZIP_LIMITS };
      const target = echoTarget(Object.fromEntries(Object.keys(files).map((f) => [f, delayMs])));
      let counted = 0;
      const sink = memorySink();
      const events: RunEvent[] = [];
      const countAhead =
        withCount === 'walk only'
          ? undefined
          : withCount === 'count fails'
            ? () => Promise.reject(new Error('a bug in counting'))
            : (onCount: (n: number) => void, signal: AbortSignal) => (counted++, countInputs(['in'], { ...walkOptions, signal }, onCount));
      const counts = await runPipeline(walkBatches(['in'], walkOptions), { ...options, documentsInFlight: 1, countAheadAfterMs }, {
        writer: new ManifestWriter(sink),
        index: sink.index,
        target,
        emit: (e) => events.push(e),
        signal: new AbortController().signal,
        now: Date.now,
        countAhead,
      });
      const types = events.map((e) => e.type);
      const walkDone = types.indexOf('walk_done');
      return { counts, events, types, walkDone, lastDocument: types.lastIndexOf('document'), lastInput: types.lastIndexOf('input'), counted };
    }

    it('comes from counting ahead, before the walk (which keeps pace with processing) has found the last input', async () => {
      const run = await slowRun('count ahead');
      expect(run.counts).toMatchObject({ files: 8, completed: 7, duplicates: 1 });
      expect(run.events.filter((e) => e.type === 'walk_done')).toEqual([{ type: 'walk_done', files: 8 }]);
      expect(run.walkDone).toBeLessThan(run.lastInput);
      expect(run.walkDone).toBeLessThan(run.lastDocument);
      // The count is told before it is final, and never after.
      const found = run.events.flatMap((e, i) => (e.type === 'found' ? [i] : []));
      expect(found.length).toBeGreaterThan(0);
      expect(found.every((i) => i < run.walkDone)).toBe(true);
      // Whichever of d0 and its copy d7 comes second in listing order is done without a document event of its own.
      const duplicates = run.events.filter((e) => e.type === 'duplicate');
      expect(duplicates).toHaveLength(1);
      expect(['in/d0.png', 'in/d7.png']).toContain((duplicates[0] as { source: string }).source);
      expect(run.events.filter((e) => e.type === 'document')).toHaveLength(7);
    });

    it('counting ahead starts only once the walk has gone on for countAheadAfterMs', async () => {
      // The walk takes about 8 x 150 ms: the count started at 300 ms still comes before its end.
      const late = await slowRun('count ahead', { countAheadAfterMs: 300 });
      expect(late.counted).toBe(1);
      expect(late.walkDone).toBeLessThan(late.lastInput);
      expect(late.types.includes('found')).toBe(true);
      // A walk that ends sooner never starts one: the walk tells the total.
      const quick = await slowRun('count ahead', { countAheadAfterMs: 5000, delayMs: 0 });
      expect(quick.counted).toBe(0);
      expect(quick.counts).toMatchObject({ files: 8, completed: 7 });
      expect(quick.events.filter((e) => e.type === 'walk_done')).toEqual([{ type: 'walk_done', files: 8 }]);
      expect(quick.walkDone).toBeGreaterThan(quick.lastInput);
    });

    it('without counting ahead, comes when the walk ends, still before the last document is done', async () => {
      const run = await slowRun('walk only');
      expect(run.events.filter((e) => e.type === 'walk_done')).toEqual([{ type: 'walk_done', files: 8 }]);
      expect(run.walkDone).toBeGreaterThan(run.lastInput);
      expect(run.types.includes('found')).toBe(false);
    });

    it('a count that fails does not fail the run: the walk tells the total', async () => {
      const run = await slowRun('count fails');
      expect(run.counts).toMatchObject({ files: 8, completed: 7 });
      expect(run.events.filter((e) => e.type === 'walk_done')).toEqual([{ type: 'walk_done', files: 8 }]);
    });
  });
});
