import { describe, expect, it } from 'vitest';
import { describeUnknown, sniffType } from '../../src/documents/sniff.js';

const b = (...parts: Array<string | number[]>) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

describe('sniffType', () => {
  it.each([
    ['pdf', b('%PDF-1.7\n%\xe2\xe3')],
    ['pdf', b('junk before header\n%PDF-1.4\n')],
    ['png', b([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13])],
    ['jpeg', b([0xff, 0xd8, 0xff, 0xe0, 0, 16])],
    ['tiff', b('II*\0\x08\0\0\0')],
    ['tiff', b('MM\0*\0\0\0\x08')],
    ['webp', b('RIFF\x10\0\0\0WEBPVP8 ')],
    ['gif', b('GIF89a\x01\0\x01\0')],
    ['gif', b('GIF87a\x01\0\x01\0')],
    ['bmp', b('BM', [0x36, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0, 40, 0])],
  ])('recognises %s from magic bytes', (type, head) => {
    expect(sniffType(head)).toBe(type);
  });

  it.each([
    ['plain text', b('hello world\n')],
    ['text starting with BM', b('BMW service invoice, see attached')],
    ['HTML named .zip', b('<!DOCTYPE html><html><body>502 Bad Gateway')],
    ['empty', b('')],
    ['RIFF but not WebP', b('RIFF\x10\0\0\0WAVEfmt ')],
    ['ZIP', b('PK\x03\x04\x14\0')],
  ])('does not claim %s', (_name, head) => {
    expect(sniffType(head)).toBeNull();
  });

  it('names what an unsupported file looks like', () => {
    expect(describeUnknown(b(''))).toBe('empty file');
    expect(describeUnknown(b('<html><body>'))).toBe('HTML document');
    expect(describeUnknown(b('just words\n'))).toBe('plain text');
    expect(describeUnknown(b([0xca, 0xfe, 0xba, 0xbe, 0]))).toContain('cafebabe');
  });
});
