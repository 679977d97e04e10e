import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DigestSet, JobIdTable, PathColumn } from '../../src/manifest/compact.js';

const sha = (i: number) => createHash('sha256').update(`content ${i}`).digest('hex');

describe('DigestSet', () => {
  it('adds each content once, through many growths, and finds exactly what was added', () => {
    const set = new DigestSet();
    for (let i = 0; i < 5000; i++) expect(set.add(sha(i))).toBe(true);
    expect(set.size).toBe(5000);
    for (let i = 0; i < 5000; i++) expect(set.add(sha(i))).toBe(false);
    for (let i = 0; i < 5000; i++) expect(set.has(sha(i))).toBe(true);
    for (let i = 5000; i < 6000; i++) expect(set.has(sha(i))).toBe(false);
    expect(set.size).toBe(5000);
  });

  it('tells apart digests that share their first words', () => {
    const set = new DigestSet();
    const base = 'ab'.repeat(32);
    set.add(base);
    const sibling = `${base.slice(0, 24)}00000000${base.slice(32)}`;
    expect(set.has(sibling)).toBe(false);
    expect(set.add(sibling)).toBe(true);
    expect(set.size).toBe(2);
  });

  it('refuses what is not a hex digest', () => {
    expect(() => new DigestSet().add('not a digest')).toThrow(TypeError);
  });
});

describe('PathColumn', () => {
  it('gives back every path as it was stored, with shared folders, unicode, odd characters and no folder', () => {
    const column = new PathColumn();
    const paths = ['docs/a.pdf', 'docs/b.pdf', 'a.zip!/inner/c.png', 'plain.png', '/abs/dir/ü ñ 文書.pdf', 'odd/\ud800lone.pdf', 'dir/'];
    for (let i = 0; i < 3000; i++) paths.push(`d${i % 7}/f${i}.png`);
    paths.forEach((p, slot) => column.set(slot * 2, p));
    paths.forEach((p, slot) => expect(column.get(slot * 2)).toBe(p));
    expect(column.get(1)).toBeUndefined();
    expect(column.get(1_000_000)).toBeUndefined();
  });

  it('replaces the path of a slot', () => {
    const column = new PathColumn();
    column.set(0, 'odd/\udc00.pdf');
    column.set(0, 'a/b.pdf');
    expect(column.get(0)).toBe('a/b.pdf');
    column.set(0, 'x/\udc00.pdf');
    expect(column.get(0)).toBe('x/\udc00.pdf');
  });
});

describe('JobIdTable', () => {
  it('numbers ids in the order added, content-made and others alike, and gives each back', () => {
    const table = new JobIdTable();
    const ids: string[] = [];
    for (let i = 0; i < 4000; i++) {
      if (i % 3 === 0) ids.push(`local_${sha(i).slice(0, 32)}`);
      else if (i % 3 === 1) ids.push(`skip_${sha(i).slice(0, 32)}`);
      else ids.push(`job-${i}`);
    }
    // The same digest under two prefixes is two ids; ids that only look alike are kept as they are.
    ids.push(`skip_${sha(0).slice(0, 32)}`, `local_${sha(0).slice(0, 32).toUpperCase()}`, `local_${sha(0).slice(0, 31)}`, '__proto__');
    ids.forEach((id, slot) => expect(table.add(id)).toBe(slot));
    expect(table.size).toBe(ids.length);
    ids.forEach((id, slot) => {
      expect(table.add(id)).toBe(slot);
      expect(table.get(id)).toBe(slot);
      expect(table.idOf(slot)).toBe(id);
    });
    expect([...table.ids()].map(([id]) => id)).toEqual(ids);
    expect(table.get(`local_${sha(99_999).slice(0, 32)}`)).toBeUndefined();
    expect(table.get(`nowhere_${sha(1).slice(0, 32)}`)).toBeUndefined();
    expect(table.get('job-99999')).toBeUndefined();
  });
});
