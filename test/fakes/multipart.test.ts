import { describe, expect, it } from 'vitest';
import { parseBoundary, parseMultipart, textField } from './multipart.js';

/** The exact bytes and Content-Type that fetch (undici) sends for a FormData body. */
async function encode(fd: FormData): Promise<{ body: Buffer; type: string }> {
  const req = new Request('http://127.0.0.1/', { method: 'POST', body: fd });
  return { body: Buffer.from(await req.arrayBuffer()), type: req.headers.get('content-type')! };
}

describe('multipart parser', () => {
  it('reads what fetch sends: text fields, file parts with name and type, binary data intact', async () => {
    const bytes = Buffer.from([0, 13, 10, 45, 45, 255, 13, 10]);
    const fd = new FormData();
    fd.append('options', '{"a":1}');
    fd.append('file', new Blob([bytes], { type: 'image/png' }), 'scan "1".png');
    fd.append('empty', '');
    const { body, type } = await encode(fd);
    const parts = parseMultipart(body, parseBoundary(type)!);
    expect(parts?.map((p) => p.name)).toEqual(['options', 'file', 'empty']);
    expect(textField(parts!, 'options')).toBe('{"a":1}');
    const file = parts![1];
    expect(file.contentType).toBe('image/png');
    expect(file.data.equals(bytes)).toBe(true);
    expect(file.filename).toMatch(/^scan (%22|")1(%22|")\.png$/);
    expect(parts![2].data.length).toBe(0);
  });

  it('handles quoted boundaries, a preamble, filename* and transport padding', () => {
    const type = 'multipart/form-data; boundary="b=1"';
    const raw = [
      'preamble text',
      '--b=1  ',
      `Content-Disposition: form-data; name="file"; filename="x.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`,
      'Content-Type: application/pdf',
      '',
      '%PDF-1.4',
      '--b=1--',
      'epilogue',
    ].join('\r\n');
    const parts = parseMultipart(Buffer.from(raw), parseBoundary(type)!);
    expect(parts).toHaveLength(1);
    expect(parts![0]).toMatchObject({ name: 'file', filename: 'résumé.pdf', contentType: 'application/pdf' });
    expect(parts![0].data.toString()).toBe('%PDF-1.4');
  });

  it('returns null for malformed bodies and non-multipart types', () => {
    expect(parseBoundary('application/json')).toBeNull();
    expect(parseBoundary('multipart/form-data')).toBeNull();
    const b = 'xyz';
    expect(parseMultipart(Buffer.from('no delimiter at all'), b)).toBeNull();
    expect(parseMultipart(Buffer.from('--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue'), b)).toBeNull();
    expect(parseMultipart(Buffer.from('--xyz\r\nContent-Type: text/plain\r\n\r\nv\r\n--xyz--'), b)).toBeNull();
    expect(parseMultipart(Buffer.from('--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\nv\r\n--xyz--'), b)).toHaveLength(1);
  });
});
