import { describe, expect, it } from 'vitest';
import { DEFAULT_MIN_CONFIDENCE, isLowConfidence } from '../../../src/targets/local/confidence.js';

describe('low confidence', () => {
  it('is an OCRed page with text under the threshold; not a blank page, nor a text layer', () => {
    expect(DEFAULT_MIN_CONFIDENCE).toBe(75);
    expect(isLowConfidence({ source: 'ocr', confidence: 49.9, text: 'Gtk SET Ue' }, 50)).toBe(true);
    expect(isLowConfidence({ source: 'ocr', confidence: 50, text: 'Invoice 4821' }, 50)).toBe(false);
    expect(isLowConfidence({ source: 'ocr', confidence: 0, text: ' \n ' }, 50)).toBe(false);
    expect(isLowConfidence({ source: 'text-layer', confidence: null, text: 'Quarterly Report' }, 50)).toBe(false);
    expect(isLowConfidence({ source: 'ocr', confidence: 10, text: 'noise' }, 0)).toBe(false);
  });
});
