import { describe, expect, it } from 'vitest';
import { characterErrorRate, editDistance, normalizeForCer } from '../../../src/targets/local/cer.js';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['', 'abc', 3],
    ['kitten', 'sitting', 3],
    ['flaw', 'lawn', 2],
    ['same', 'same', 0],
    ['ab', 'ba', 2],
  ])('%j vs %j is %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });

  it('counts code points, not UTF-16 units', () => {
    expect(editDistance('a😀b', 'ab')).toBe(1);
  });
});

describe('characterErrorRate', () => {
  it('ignores case and whitespace layout', () => {
    expect(normalizeForCer('  Hello\n\tWORLD  ')).toBe('hello world');
    expect(characterErrorRate('HELLO   world\n', 'hello\nworld')).toBe(0);
  });

  it('divides the edit distance by the reference length', () => {
    expect(characterErrorRate('hellp world', 'hello world')).toBeCloseTo(1 / 11);
    expect(characterErrorRate('', 'abcd')).toBe(1);
  });

  it('handles an empty reference', () => {
    expect(characterErrorRate('', '  ')).toBe(0);
    expect(characterErrorRate('x', '')).toBe(1);
  });
});
