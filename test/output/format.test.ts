import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatDuration, parseDuration, parseSize, plural } from '../../src/output/format.js';

describe('sizes and durations', () => {
  it.each([
    ['50MB', 50 * 1024 ** 2],
    ['1.5GiB', 1.5 * 1024 ** 3],
    ['2048', 2048],
    ['10k', 10240],
    [' 3 mb ', 3 * 1024 ** 2],
  ])('parseSize(%j)', (text, n) => expect(parseSize(text)).toBe(n));
  it.each(['', 'MB', '5 parsecs', '-1MB', '1e9'])('parseSize rejects %j', (text) => expect(parseSize(text)).toBeNull());
  it.each([
    ['90', 90_000],
    ['90s', 90_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['250ms', 250],
  ])('parseDuration(%j)', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['', 'soon', '5x', '1h junk'])('parseDuration rejects %j', (text) => expect(parseDuration(text)).toBeNull());
  it('formats', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(50 * 1024 ** 2)).toBe('50 MiB');
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(125_000)).toBe('2m05s');
  });
});

describe('counts for people', () => {
  it('groups thousands, keeps small counts and plurals plain', () => {
    expect(formatCount(999)).toBe('999');
    expect(formatCount(1000)).toBe('1,000');
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(plural(1, 'document')).toBe('1 document');
    expect(plural(100000, 'document')).toBe('100,000 documents');
  });
});
