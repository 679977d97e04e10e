import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resultFileBase, resultPaths, sourceResultPaths } from '../../src/manifest/result-files.js';

describe('result file names', () => {
  it('keeps safe job ids as they are', () => {
    expect(resultFileBase('local_0123456789abcdef0123456789abcdef')).toBe('local_0123456789abcdef0123456789abcdef');
    expect(resultFileBase('job_8f2a.v2-x')).toBe('job_8f2a.v2-x');
  });

  it.each(['../../escaped', '/etc/passwd', '..', '.hidden', 'a/b', 'a\\b', 'nul\u0000x', 'C:x', 'x'.repeat(500), '-rf', 'éàü'])(
    'turns %j into a name inside the folder',
    (id) => {
      const base = resultFileBase(id);
      expect(base).toMatch(/^[A-Za-z0-9_][A-Za-z0-9._-]*$/u);
      expect(base).not.toContain('..');
      expect(base.length).toBeLessThanOrEqual(97);
      const { json, txt } = resultPaths('/data/results', id);
      expect(path.dirname(json)).toBe(path.resolve('/data/results'));
      expect(path.dirname(txt)).toBe(path.resolve('/data/results'));
    },
  );

  it('never gives two ids the same name', () => {
    const ids = ['a/b', 'a\\b', 'a:b', 'a_b', 'a b', '../a_b'];
    expect(new Set(ids.map(resultFileBase)).size).toBe(ids.length);
    expect(resultFileBase('../../escaped-by-job-id')).toMatch(/^escaped-by-job-id-[0-9a-f]{16}$/u);
  });
});

describe('result file names by source', () => {
  it.each([
    ['docs/a.pdf', 'docs/a.pdf'],
    ['./docs//a.pdf', 'docs/a.pdf'],
    ['/data/in/a.pdf', 'data/in/a.pdf'],
    ['../../in/a.pdf', '__/__/in/a.pdf'],
    ['docs/a.zip!/inner/b.pdf', 'docs/a.zip!/inner/b.pdf'],
    ['a.zip!/b.zip!/c.pdf', 'a.zip!/b.zip!/c.pdf'],
  ])('%s → DIR/%s.txt, never outside DIR', (source, rel) => {
    const paths = sourceResultPaths('/data/results', source)!;
    expect(paths.txt).toBe(`/data/results/${rel}.txt`);
    expect(paths.json).toBe(`/data/results/${rel}.json`);
    expect(paths.segments.join('/')).toBe(rel);
  });

  it('gives no path to a source with no name in it', () => {
    expect(sourceResultPaths('/r', '/')).toBeNull();
    expect(sourceResultPaths('/r', './.')).toBeNull();
  });
});
