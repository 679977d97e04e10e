import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DigestSet, PathColumn } from '../../src/manifest/compact.js';

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
