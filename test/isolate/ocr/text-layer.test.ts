import { describe, expect, it } from 'vitest';
import { isRealTextLayer } from '../../../src/isolate/ocr/text-layer.js';

describe('isRealTextLayer', () => {
  it('accepts ordinary text', () => {
    expect(isRealTextLayer('Quarterly Report 2024, page one.\nRevenue grew by 12 percent.')).toBe(true);
    expect(isRealTextLayer('Grüße aus München – 2024')).toBe(true);
    expect(isRealTextLayer('価格は千二百円です。明日また来てください。')).toBe(true);
  });

  it('rejects empty pages and stray marks too short to trust', () => {
    expect(isRealTextLayer('')).toBe(false);
    expect(isRealTextLayer(' \n\t ')).toBe(false);
    expect(isRealTextLayer('Page 3')).toBe(false);
  });

  it('rejects replacement, control and private-use characters', () => {
    expect(isRealTextLayer('\uFFFD'.repeat(40) + ' abcdefghijkl')).toBe(false);
    expect(isRealTextLayer('\u0001\u0002\u0003\u0004'.repeat(10) + 'abcdefghijkl')).toBe(false);
    expect(isRealTextLayer('\uE000\uE001\uE002'.repeat(10) + 'abcdefghijkl')).toBe(false);
  });

  it('tolerates a little garbage in real text', () => {
    expect(isRealTextLayer('The total is 1,250.00 dollars \uFFFD due by March 15.')).toBe(true);
  });

  it('rejects symbol soup from broken font encodings', () => {
    expect(isRealTextLayer('!#$%&()*+,-./:;<=>?@[]^_{|}~ ab12cd34ef ##$$%%^^&&**((')).toBe(false);
  });
});
