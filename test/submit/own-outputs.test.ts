import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ownOutputMatcher, withoutOwnOutputs } from '../../src/submit/own-outputs.js';
import type { InputItem } from '../../src/walk/types.js';

const root = path.resolve('/work/run');
const at = (...parts: string[]) => path.join(root, ...parts);

describe("a run's own outputs", () => {
  const isOwn = ownOutputMatcher({ files: [at('m.jsonl'), at('out', 'run.csv')], resultsDir: at('text') });

  it('are the manifest, its lock and side file, the CSV, their temporary files and the results folder', () => {
    for (const file of [
      at('m.jsonl'),
      at('m.jsonl.lock'),
      at('m.jsonl.corrupt'),
      at('.m.jsonl.tmp-123-abcdef'),
      at('.m.jsonl.corrupt.tmp-9-00ff'),
      at('out', 'run.csv'),
      at('out', '.run.csv.tmp-77-0a0b0c'),
      at('text'),
      at('text', 'docs', 'a.pdf.txt'),
    ]) {
      expect(isOwn(file), file).toBe(true);
    }
  });

  it('and nothing else, however alike its name', () => {
    for (const file of [
      at('a.pdf'),
      at('m.jsonl.pdf'),
      at('docs', 'm.jsonl'),
      at('.m.jsonl.tmp-123-abcdef', 'x'),
      at('out', '.m.jsonl.tmp-1-aa'),
      at('texts', 'a.pdf'),
      at('run.csv'),
    ]) {
      expect(isOwn(file), file).toBe(false);
    }
  });

  it('are dropped from the walk by their path from the working folder; ZIP entries never are', async () => {
    const doc = (source: string): InputItem => ({ kind: 'document', source, size: 1, read: async () => Buffer.alloc(1) });
    // The walk hands over arrays: one of outputs only, one mixed, one without any.
    async function* walk(): AsyncGenerator<InputItem[]> {
      yield [doc('m.jsonl'), doc('../run/text/a.pdf.txt')];
      yield [doc('a.pdf'), doc('notes.txt'), { kind: 'skipped', source: 'm.jsonl.lock', error: { code: 'FILE_UNREADABLE', message: 'm', category: 'input' } }];
      yield [doc('.hidden.pdf'), doc('pack.zip!/m.jsonl')];
    }
    const kept: string[][] = [];
    for await (const batch of withoutOwnOutputs(walk(), root, { files: [at('m.jsonl')], resultsDir: at('text') })) kept.push(batch.map((item) => item.source));
    expect(kept).toEqual([['a.pdf', 'notes.txt'], ['.hidden.pdf', 'pack.zip!/m.jsonl']]);
  });
});
