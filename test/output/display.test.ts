import { describe, expect, it } from 'vitest';
import { escapeForDisplay } from '../../src/output/display.js';

describe('escapeForDisplay on plain names', () => {
  it('returns printable ASCII as it is, and escapes the same characters in a plain name as alone', () => {
    const printable = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
    expect(escapeForDisplay(printable)).toBe(printable);
    for (let cp = 0; cp < 0x3000; cp++) {
      const ch = String.fromCodePoint(cp);
      expect(escapeForDisplay(`scan-1/${ch}.png`)).toBe(`scan-1/${escapeForDisplay(ch)}.png`);
    }
    expect(escapeForDisplay('a\x7fb')).toBe('a\\x7fb');
    expect(escapeForDisplay('a\x1fb')).toBe('a\\x1fb');
  });
});
