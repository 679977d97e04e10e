import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildZip, crc32OfZeros, deflatedZeros, type ZipEntrySpec } from '../../scripts/lib/zip-writer.mjs';
import type { InputItem, InputSkipped } from '../../src/walk/types.js';
import { escapeForDisplay } from '../../src/output/display.js';
import { DEFAULT_ZIP_LIMITS, isZip, readZip, RATIO_MIN_SIZE, type ZipLimits } from '../../src/walk/zip.js';
import { decodeCp437 } from '../../src/walk/zip-names.js';

const MIB = 1024 * 1024;
const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(2000)]);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ocrq-zip-'));
  onTestFinished(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

async function writeZip(name: string, entries: ZipEntrySpec[], options?: Parameters<typeof buildZip>[1]): Promise<string> {
  const file = path.join(await tempDir(), name);
  await fs.writeFile(file, buildZip(entries, options));
  return file;
}

interface Collected {
  source: string;
  kind: InputItem['kind'];
  data?: Buffer;
  size?: number;
  error?: InputSkipped['error'];
}

async function collect(items: AsyncIterable<InputItem>): Promise<Collected[]> {
  const out: Collected[] = [];
  for await (const item of items) {
    if (item.kind === 'document') out.push({ source: item.source, kind: item.kind, data: await item.read(), size: item.size });
    else out.push({ source: item.source, kind: item.kind, error: item.error });
  }
  return out;
}

async function readArchive(file: string, limits: Partial<ZipLimits> = {}, source = 'a.zip'): Promise<Collected[]> {
  return collect(readZip(source, { path: file }, { ...DEFAULT_ZIP_LIMITS, ...limits }));
}

function only(items: Collected[], source: string): Collected {
  const found = items.filter((i) => i.source === source);
  expect(found, `exactly one item for ${source}`).toHaveLength(1);
  return found[0];
}

function expectSkipped(items: Collected[], source: string, code: string, reason: RegExp): InputSkipped['error'] {
  const item = only(items, source);
  expect(item.kind).toBe('skipped');
  expect(item.error?.code).toBe(code);
  expect(item.error?.message).toMatch(reason);
  expect(item.error?.message).not.toContain('\n');
  return item.error!;
}

function expectDocument(items: Collected[], source: string, data: Buffer): void {
  const item = only(items, source);
  expect(item.kind).toBe('document');
  expect(item.data?.equals(data)).toBe(true);
  expect(item.size).toBe(data.length);
}

describe('isZip', () => {
  it('recognises local headers and empty archives only', () => {
    expect(isZip(Buffer.from('PK\x03\x04rest', 'latin1'))).toBe(true);
    expect(isZip(buildZip([]))).toBe(true);
    expect(isZip(Buffer.from('PK\x01\x02', 'latin1'))).toBe(false);
    expect(isZip(Buffer.from('PK'))).toBe(false);
    expect(isZip(PDF)).toBe(false);
  });
});

describe('escapeForDisplay', () => {
  it('escapes control characters, bidi overrides and lone surrogates, and leaves the rest alone', () => {
    expect(escapeForDisplay('a\x1b[2Jb\nc\r\td\0e\x7f')).toBe('a\\x1b[2Jb\\nc\\r\\td\\x00e\\x7f');
    expect(escapeForDisplay('x\u202Efdp.exe')).toBe('x\\u{202e}fdp.exe');
    expect(escapeForDisplay('\ud800')).toBe('\\u{d800}');
    expect(escapeForDisplay('résumé ✓ 日本.pdf')).toBe('résumé ✓ 日本.pdf');
  });

  it('decodes the full CP437 table', () => {
    const all = decodeCp437(Uint8Array.from({ length: 256 }, (_, i) => i));
    expect([...all]).toHaveLength(256);
    expect(all.slice(0, 128)).toBe(String.fromCharCode(...Array.from({ length: 128 }, (_, i) => i)));
    expect(decodeCp437(Buffer.from([0x80, 0x82, 0xe1, 0xff]))).toBe('Çéß\u00a0');
  });
});

describe('readZip: regular archives', () => {
  it('streams stored and deflated entries with their sources and bytes, ignoring directories', async () => {
    const file = await writeZip('a.zip', [
      { name: 'docs/', method: 'store' },
      { name: 'docs/b.pdf', data: PDF },
      { name: 'scan.png', data: PNG, method: 'store' },
      { name: 'empty.pdf', data: '', method: 'store' },
      { name: 'empty-deflated.pdf', compressed: Buffer.alloc(0), uncompressedSize: 0, crc32: 0 },
      { name: 'win\\path.pdf', data: PDF },
    ]);
    const items = await readArchive(file, {}, 'dir/a.zip');
    expect(items.map((i) => i.source)).toEqual([
      'dir/a.zip!/docs/b.pdf',
      'dir/a.zip!/scan.png',
      'dir/a.zip!/empty.pdf',
      'dir/a.zip!/empty-deflated.pdf',
      'dir/a.zip!/win/path.pdf',
    ]);
    expectDocument(items, 'dir/a.zip!/docs/b.pdf', PDF);
    expectDocument(items, 'dir/a.zip!/scan.png', PNG);
    expectDocument(items, 'dir/a.zip!/empty.pdf', Buffer.alloc(0));
    expectDocument(items, 'dir/a.zip!/empty-deflated.pdf', Buffer.alloc(0));
  });

  it('reads from a buffer as well as from a path', async () => {
    const data = buildZip([{ name: 'b.pdf', data: PDF }]);
    const items = await collect(readZip('mem.zip', { data }, DEFAULT_ZIP_LIMITS));
    expectDocument(items, 'mem.zip!/b.pdf', PDF);
  });

  it('yields nothing for an empty archive', async () => {
    expect(await readArchive(await writeZip('a.zip', []))).toEqual([]);
  });

  it('decodes names as CP437 without the UTF-8 flag and as UTF-8 with it', async () => {
    const file = await writeZip('a.zip', [
      { name: Buffer.from('caf\x82 \xe1.pdf', 'latin1'), data: PDF },
      { name: 'résumé 日本.pdf', data: PDF },
      { name: Buffer.from('bad-\xff\xfe.pdf', 'latin1'), utf8: true, data: PDF },
      { name: 'after.pdf', data: PDF },
    ]);
    const items = await readArchive(file);
    expectDocument(items, 'a.zip!/café ß.pdf', PDF);
    expectDocument(items, 'a.zip!/résumé 日本.pdf', PDF);
    expectSkipped(items, 'a.zip!/bad-\ufffd\ufffd.pdf', 'ZIP_UNSAFE', /unsafe entry name \(invalid UTF-8\)/);
    expectDocument(items, 'a.zip!/after.pdf', PDF);
  });

  it('keeps control characters in sources but escapes them in reasons', async () => {
    const file = await writeZip('a.zip', [
      { name: 'red\x1b[31m\nname.pdf', data: PDF },
      { name: '../\x1b[2J.pdf', data: PDF },
    ]);
    const items = await readArchive(file);
    expectDocument(items, 'a.zip!/red\x1b[31m\nname.pdf', PDF);
    const error = expectSkipped(items, 'a.zip!/../\x1b[2J.pdf', 'ZIP_UNSAFE', /unsafe entry name/);
    expect(error.message).toContain('a.zip!/../\\x1b[2J.pdf');
    expect(error.message).not.toContain('\x1b');
  });
});

describe('readZip: hostile entries', () => {
  it('refuses traversal, absolute, drive-letter and NUL names and keeps the good entry', async () => {
    const bad = ['../../evil.pdf', '/etc/passwd', 'C:\\x.pdf', 'C:x.pdf', '..\\..\\x.pdf', 'a/../../b.pdf', '\\\\server\\share.pdf', 'nul\0.pdf'];
    const file = await writeZip('a.zip', [...bad.map((name) => ({ name, data: PDF })), { name: 'invoice.png', data: PNG }]);
    const items = await readArchive(file);
    expect(items).toHaveLength(bad.length + 1);
    for (const name of bad) {
      const error = expectSkipped(items, `a.zip!/${name}`, 'ZIP_UNSAFE', /unsafe entry name \((parent directory segment|absolute path|drive letter|NUL byte)\)/);
      expect(error.category).toBe('input');
      expect(error.message).not.toContain('\0');
    }
    expectSkipped(items, 'a.zip!/C:x.pdf', 'ZIP_UNSAFE', /drive letter/);
    expectSkipped(items, 'a.zip!/..\\..\\x.pdf', 'ZIP_UNSAFE', /parent directory segment/);
    expectDocument(items, 'a.zip!/invoice.png', PNG);
  });

  it('refuses symlinks and other non-regular entries, even when a regular file has the same name', async () => {
    const file = await writeZip('a.zip', [
      { name: 'link.pdf', data: '/etc/shadow', unixMode: 0o120777, method: 'store' },
      { name: 'up', data: '../..', unixMode: 0o120777, method: 'store' },
      { name: 'fifo', unixMode: 0o010644, method: 'store' },
      { name: 'link.pdf', data: PDF, unixMode: 0o100644 },
    ]);
    const items = await readArchive(file);
    expect(items.map((i) => [i.source, i.kind])).toEqual([
      ['a.zip!/link.pdf', 'skipped'],
      ['a.zip!/up', 'skipped'],
      ['a.zip!/fifo', 'skipped'],
      ['a.zip!/link.pdf', 'document'],
    ]);
    expect(items[0].error).toMatchObject({ code: 'ZIP_UNSAFE', category: 'input' });
    expect(items[0].error?.message).toMatch(/a\.zip!\/link\.pdf: not a regular file \(symbolic link\)/);
    expect(items[2].error?.message).toMatch(/not a regular file \(FIFO\)/);
    expect(items[3].data?.equals(PDF)).toBe(true);
  });

  it('skips encrypted entries without prompting or hanging', async () => {
    const file = await writeZip('a.zip', [
      { name: 'secret.pdf', data: Buffer.concat([randomBytes(12), PDF]), encrypted: true },
      { name: 'readme.pdf', data: PDF },
    ]);
    const started = Date.now();
    const items = await readArchive(file);
    expect(Date.now() - started).toBeLessThan(2000);
    expectSkipped(items, 'a.zip!/secret.pdf', 'ZIP_UNSAFE', /encrypted entry/);
    expectDocument(items, 'a.zip!/readme.pdf', PDF);
  });

  it('skips unsupported compression methods', async () => {
    const file = await writeZip('a.zip', [
      ...[12, 14, 9].map((m) => ({ name: `m${m}.pdf`, data: PDF, compressionMethod: m })),
      { name: 'ok.pdf', data: PDF },
    ]);
    const items = await readArchive(file);
    for (const m of [12, 14, 9]) expectSkipped(items, `a.zip!/m${m}.pdf`, 'ZIP_UNSAFE', new RegExp(`unsupported compression method ${m}$`));
    expectDocument(items, 'a.zip!/ok.pdf', PDF);
  });

  it('refuses an entry declaring more than the per-entry cap before inflating it', async () => {
    const file = await writeZip('a.zip', [
      { name: 'huge.pdf', compressed: deflatedZeros(1000), uncompressedSize: 60 * MIB, crc32: 0 },
      { name: 'ok.pdf', data: PDF },
    ]);
    const items = await readArchive(file);
    const error = expectSkipped(items, 'a.zip!/huge.pdf', 'FILE_TOO_LARGE', /62914560 bytes.*over the 50 MiB limit/);
    expect(error.category).toBe('limit');
    expectDocument(items, 'a.zip!/ok.pdf', PDF);
  });

  it('refuses a ratio bomb before inflating it, but not a small compressible entry', async () => {
    const zeros = Buffer.alloc(40 * MIB);
    const small = Buffer.alloc(RATIO_MIN_SIZE - 1);
    const file = await writeZip('a.zip', [
      { name: 'bomb.pdf', data: zeros },
      { name: 'declared.pdf', compressed: deflatedZeros(10), uncompressedSize: 1024 ** 3 - 1, crc32: 0 },
      { name: 'small.pdf', data: small },
    ]);
    const items = await readArchive(file, { maxEntrySize: 1024 ** 3 });
    expectSkipped(items, 'a.zip!/bomb.pdf', 'ZIP_UNSAFE', /compression ratio \d+:1 over the bound of 200:1/);
    expectSkipped(items, 'a.zip!/declared.pdf', 'ZIP_UNSAFE', /compression ratio \d+:1 over the bound/);
    expectDocument(items, 'a.zip!/small.pdf', small);
  });

  it('aborts an entry that inflates beyond its declared size at the cap, quickly', async () => {
    // Declares 1,000 bytes, inflates to 1 GiB: only the reader's cap keeps this from taking a gigabyte.
    const file = await writeZip('a.zip', [
      { name: 'lie.pdf', compressed: deflatedZeros(1024 ** 3), uncompressedSize: 1000, crc32: crc32OfZeros(1000) },
      { name: 'good.png', data: PNG },
    ]);
    const rssBefore = process.memoryUsage().rss;
    const started = Date.now();
    const items = await readArchive(file);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(200 * MIB);
    const error = expectSkipped(items, 'a.zip!/lie.pdf', 'ZIP_UNSAFE', /inflates beyond its declared size of 1000 bytes; stopped at 1000 bytes/);
    expect(error.category).toBe('input');
    expectDocument(items, 'a.zip!/good.png', PNG);
  });

  it('flags an entry that inflates to fewer bytes than declared, or to a corrupt stream', async () => {
    const file = await writeZip('a.zip', [
      { name: 'short.pdf', compressed: deflatedZeros(500), uncompressedSize: 1000, crc32: crc32OfZeros(500) },
      { name: 'garbage.pdf', compressed: Buffer.from([0xff, 0xff, 0xff, 0xff]), uncompressedSize: 10, crc32: 0 },
      { name: 'ok.pdf', data: PDF },
    ]);
    const items = await readArchive(file);
    expectSkipped(items, 'a.zip!/short.pdf', 'ZIP_INVALID', /inflates to 500 bytes, fewer than the 1000 it declares/);
    expectSkipped(items, 'a.zip!/garbage.pdf', 'ZIP_INVALID', /cannot be inflated/);
    expectDocument(items, 'a.zip!/ok.pdf', PDF);
  });

  it('reports an entry whose local header is damaged and reads the next one', async () => {
    const archive = buildZip([
      { name: 'damaged.pdf', data: PDF },
      { name: 'ok.png', data: PNG },
    ]);
    archive.writeUInt32LE(0x0badf00d, 0);
    const file = path.join(await tempDir(), 'a.zip');
    await fs.writeFile(file, archive);
    const items = await readArchive(file);
    expectSkipped(items, 'a.zip!/damaged.pdf', 'ZIP_INVALID', /cannot be read: invalid local file header signature/);
    expectDocument(items, 'a.zip!/ok.png', PNG);
  });

  it('checks CRC-32 itself', async () => {
    const file = await writeZip('a.zip', [
      { name: 'bad.pdf', data: PDF, crc32: 0x12345678 },
      { name: 'bad-stored.png', data: PNG, method: 'store', crc32: 1 },
      { name: 'ok.pdf', data: PDF },
    ]);
    const items = await readArchive(file);
    expectSkipped(items, 'a.zip!/bad.pdf', 'ZIP_INVALID', /CRC-32 mismatch \(declared 0x12345678, content 0x[0-9a-f]{8}\)/);
    expectSkipped(items, 'a.zip!/bad-stored.png', 'ZIP_INVALID', /CRC-32 mismatch/);
    expectDocument(items, 'a.zip!/ok.pdf', PDF);
  });

  it('refuses entries past the total uncompressed budget, shared with nested archives', async () => {
    const kb = Buffer.alloc(1000, 1);
    const inner = buildZip([
      { name: 'n1.pdf', data: kb },
      { name: 'n2.pdf', data: kb },
    ]);
    const file = await writeZip('a.zip', [
      { name: 'b.zip', data: inner, method: 'store' },
      { name: 'c.pdf', data: kb },
      { name: 'd.pdf', data: kb },
      { name: 'e.pdf', data: Buffer.alloc(1) },
    ]);
    // b.zip itself plus its two entries plus c.pdf fit; d.pdf does not, and nothing after it is accepted.
    const items = await readArchive(file, { maxTotalSize: inner.length + 3000 });
    expect(items.map((i) => [i.source, i.kind])).toEqual([
      ['a.zip!/b.zip!/n1.pdf', 'document'],
      ['a.zip!/b.zip!/n2.pdf', 'document'],
      ['a.zip!/c.pdf', 'document'],
      ['a.zip!/d.pdf', 'skipped'],
      ['a.zip!/e.pdf', 'skipped'],
    ]);
    expectSkipped(items, 'a.zip!/e.pdf', 'ZIP_UNSAFE', /total uncompressed size of the archive is over the .* budget/);
  });

  it('refuses overlapping entries whose compressed sizes add up to more than the archive', async () => {
    const payload = randomBytes(4000);
    const file = await writeZip('a.zip', [
      { name: 'k1.pdf', data: payload, method: 'store' },
      { name: 'k2.pdf', data: payload, method: 'store', sameDataAs: 0 },
      { name: 'k3.pdf', data: payload, method: 'store', sameDataAs: 0 },
    ]);
    const items = await readArchive(file);
    expectDocument(items, 'a.zip!/k1.pdf', payload);
    expectSkipped(items, 'a.zip!/k2.pdf', 'ZIP_UNSAFE', /compressed sizes add up to more than the archive's \d+ bytes \(overlapping entries\)/);
    expectSkipped(items, 'a.zip!/k3.pdf', 'ZIP_UNSAFE', /overlapping entries/);
  });
});

describe('readZip: archive-level problems', () => {
  it('rejects an archive claiming 1,000,000 entries before reading any', async () => {
    const file = await writeZip('many.zip', [{ name: 'a.pdf', data: PDF }], { entryCount: 1_000_000 });
    const started = Date.now();
    const items = await readArchive(file, {}, 'many.zip');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(items).toHaveLength(1);
    const error = expectSkipped(items, 'many.zip', 'ZIP_UNSAFE', /declares 1000000 entries, over the limit of 100000; no entry read/);
    expect(error.category).toBe('limit');
  });

  it('rejects an archive over a lowered entry limit', async () => {
    const file = await writeZip('a.zip', [1, 2, 3].map((i) => ({ name: `${i}.pdf`, data: PDF })));
    expect(await readArchive(file, { maxEntries: 2 })).toEqual([
      { source: 'a.zip', kind: 'skipped', error: expect.objectContaining({ code: 'ZIP_UNSAFE' }) },
    ]);
    expect(await readArchive(file, { maxEntries: 3 })).toHaveLength(3);
  });

  it('reports an HTML page, an empty file and a missing file as one item each', async () => {
    const dir = await tempDir();
    const html = path.join(dir, 'page.zip');
    await fs.writeFile(html, '<!doctype html><html><body><h1>502 Bad Gateway</h1></body></html>\n');
    const empty = path.join(dir, 'empty.zip');
    await fs.writeFile(empty, '');
    expectSkipped(await readArchive(html), 'a.zip', 'ZIP_INVALID', /not a ZIP archive \(End of central directory record signature not found/);
    expectSkipped(await readArchive(empty), 'a.zip', 'ZIP_INVALID', /not a ZIP archive/);
    expectSkipped(await readArchive(path.join(dir, 'missing.zip')), 'a.zip', 'FILE_UNREADABLE', /ENOENT/);
    expectSkipped(await collect(readZip('m.zip', { data: Buffer.from('hello') }, DEFAULT_ZIP_LIMITS)), 'm.zip', 'ZIP_INVALID', /not a ZIP/);
  });

  it('reports a truncated archive as ZIP_INVALID without throwing', async () => {
    const whole = buildZip([
      { name: 'a.pdf', data: PDF },
      { name: 'b.png', data: PNG },
    ]);
    const file = path.join(await tempDir(), 't.zip');
    await fs.writeFile(file, whole.subarray(0, Math.floor(whole.length / 2)));
    const items = await readArchive(file, {}, 't.zip');
    expect(items).toHaveLength(1);
    expectSkipped(items, 't.zip', 'ZIP_INVALID', /corrupt or truncated ZIP archive/);
  });

  it('keeps the entries read before a corrupt central directory record, then reports the archive', async () => {
    const file = await writeZip('c.zip', [
      { name: '1.pdf', data: PDF },
      { name: '2.png', data: PNG },
      { name: '3.pdf', data: PDF, centralSignature: 0x12345678 },
      { name: '4.pdf', data: PDF },
    ]);
    const items = await readArchive(file, {}, 'c.zip');
    expect(items.map((i) => [i.source, i.kind])).toEqual([
      ['c.zip!/1.pdf', 'document'],
      ['c.zip!/2.png', 'document'],
      ['c.zip', 'skipped'],
    ]);
    expectDocument(items, 'c.zip!/2.png', PNG);
    expectSkipped(items, 'c.zip', 'ZIP_INVALID', /corrupt ZIP archive after 2 entries \(invalid central directory file header signature/);
  });

  it('reports strong encryption with yauzl\'s error after the entries before it', async () => {
    const file = await writeZip('a.zip', [
      { name: 'ok.pdf', data: PDF },
      { name: 'strong.pdf', data: PDF, flags: 0x41 },
    ]);
    const items = await readArchive(file);
    expectDocument(items, 'a.zip!/ok.pdf', PDF);
    expectSkipped(items, 'a.zip', 'ZIP_INVALID', /strong encryption is not supported/);
  });
});

describe('readZip: nested archives', () => {
  const level3 = buildZip([{ name: 'deep.pdf', data: PDF }]);
  const level2 = buildZip([
    { name: 'c.pdf', data: PDF },
    { name: 'c.zip', data: level3 },
  ]);

  it('opens a ZIP inside a ZIP with a!/b!/c sources, but not a third level', async () => {
    const file = await writeZip('a.zip', [
      { name: 'inner/b.zip', data: level2 },
      { name: 'after.png', data: PNG },
    ]);
    const items = await readArchive(file);
    expect(items.map((i) => [i.source, i.kind])).toEqual([
      ['a.zip!/inner/b.zip!/c.pdf', 'document'],
      ['a.zip!/inner/b.zip!/c.zip', 'skipped'],
      ['a.zip!/after.png', 'document'],
    ]);
    expectDocument(items, 'a.zip!/inner/b.zip!/c.pdf', PDF);
    const error = expectSkipped(items, 'a.zip!/inner/b.zip!/c.zip', 'ZIP_UNSAFE', /nested archive deeper than 2 levels not opened/);
    expect(error.category).toBe('limit');
  });

  it('honours a lower depth limit', async () => {
    const file = await writeZip('a.zip', [{ name: 'b.zip', data: level2 }]);
    const items = await readArchive(file, { maxDepth: 1 });
    expect(items).toHaveLength(1);
    expectSkipped(items, 'a.zip!/b.zip', 'ZIP_UNSAFE', /deeper than 1 level not opened/);
  });

  it('reports a corrupt nested archive under its own source and carries on', async () => {
    const file = await writeZip('a.zip', [
      { name: 'broken.zip', data: level2.subarray(0, 40) },
      { name: 'ok.pdf', data: PDF },
    ]);
    const items = await readArchive(file);
    expectSkipped(items, 'a.zip!/broken.zip', 'ZIP_INVALID', /corrupt or truncated ZIP archive/);
    expectDocument(items, 'a.zip!/ok.pdf', PDF);
  });
});

describe('readZip: lifecycle', () => {
  function fdsOpenOn(file: string): string[] {
    return readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === file;
      } catch {
        return false;
      }
    });
  }

  async function waitForNoFds(file: string): Promise<void> {
    const deadline = Date.now() + 2000;
    while (fdsOpenOn(file).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(fdsOpenOn(file)).toEqual([]);
  }

  it.runIf(process.platform === 'linux')('closes the archive when the consumer stops early, even inside a nested archive', async () => {
    const inner = buildZip([
      { name: 'n1.pdf', data: PDF },
      { name: 'n2.pdf', data: PDF },
    ]);
    const file = await writeZip('a.zip', [
      { name: '1.pdf', data: PDF },
      { name: 'b.zip', data: inner },
      { name: '3.pdf', data: PDF },
    ]);
    const first = readZip('a.zip', { path: file }, DEFAULT_ZIP_LIMITS);
    expect((await first.next()).value?.source).toBe('a.zip!/1.pdf');
    expect(fdsOpenOn(file)).toHaveLength(1);
    await first.return(undefined);
    await waitForNoFds(file);

    const nested = readZip('a.zip', { path: file }, DEFAULT_ZIP_LIMITS);
    await nested.next();
    expect((await nested.next()).value?.source).toBe('a.zip!/b.zip!/n1.pdf');
    await nested.return(undefined);
    await waitForNoFds(file);
    expect(await nested.next()).toEqual({ done: true, value: undefined });
  });

  it.runIf(process.platform === 'linux')('closes the archive after a full read and after a corrupt directory', async () => {
    const good = await writeZip('good.zip', [{ name: 'a.pdf', data: PDF }]);
    await readArchive(good);
    await waitForNoFds(good);
    const bad = await writeZip('bad.zip', [
      { name: 'a.pdf', data: PDF },
      { name: 'b.pdf', data: PDF, centralSignature: 0 },
    ]);
    await readArchive(bad);
    await waitForNoFds(bad);
  });

  it('reads entries only as the consumer pulls', async () => {
    // The second entry is a 1 GiB liar: if it were read ahead, the first pull would be slow.
    const file = await writeZip('a.zip', [
      { name: '1.pdf', data: PDF },
      { name: '2.pdf', compressed: deflatedZeros(1024 ** 3), uncompressedSize: 40 * MIB, crc32: 0 },
    ]);
    const items = readZip('a.zip', { path: file }, { ...DEFAULT_ZIP_LIMITS, maxRatio: 1e9 });
    const started = Date.now();
    const first = await items.next();
    expect(Date.now() - started).toBeLessThan(500);
    expect(first.value?.source).toBe('a.zip!/1.pdf');
    const second = await items.next();
    expect(second.value).toMatchObject({ kind: 'skipped', source: 'a.zip!/2.pdf', error: { code: 'ZIP_UNSAFE' } });
    expect((await items.next()).done).toBe(true);
  });
});

describe('make-zip-fixtures', () => {
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const script = path.join(repo, 'scripts/make-zip-fixtures.mjs');
  const inputs = ['fixtures/images/invoice.png', 'fixtures/pdfs/born-digital.pdf', 'scripts/zip-content/only-in-zip.png', 'scripts/zip-content/nested-only.jpg'];

  function runScript(root: string) {
    return spawnSync(process.execPath, [script, root], { encoding: 'utf8' });
  }

  it('fails clearly when its inputs are missing', async () => {
    const result = runScript(await tempDir());
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/missing input fixtures\/images\/invoice\.png/);
  });

  it('writes small deterministic archives that read as intended (and match the committed ones)', async () => {
    const root = await tempDir();
    const fromRepo = inputs.every((rel) => existsSync(path.join(repo, rel)));
    for (const rel of inputs) {
      await fs.mkdir(path.dirname(path.join(root, rel)), { recursive: true });
      await fs.writeFile(path.join(root, rel), fromRepo ? await fs.readFile(path.join(repo, rel)) : Buffer.concat([PNG, Buffer.from(rel)]));
    }
    expect(runScript(root).status).toBe(0);
    const hostileDir = path.join(root, 'fixtures/hostile');
    const names = ['archive.zip', ...(await fs.readdir(hostileDir)).map((n) => `hostile/${n}`)].sort();
    const first = new Map<string, Buffer>();
    for (const name of names) first.set(name, await fs.readFile(path.join(root, 'fixtures', name)));
    expect(runScript(root).status).toBe(0);
    for (const name of names) {
      const again = await fs.readFile(path.join(root, 'fixtures', name));
      expect(again.equals(first.get(name)!), `${name} is deterministic`).toBe(true);
      if (name.startsWith('hostile/')) expect(again.length, `${name} size`).toBeLessThan(100 * 1024);
      const committed = path.join(repo, 'fixtures', name);
      if (fromRepo && existsSync(committed)) expect((await fs.readFile(committed)).equals(again), `${name} is up to date (regenerate: node scripts/make-zip-fixtures.mjs)`).toBe(true);
    }

    const summary: Record<string, string[]> = {};
    for (const name of names) {
      const items = await readArchive(path.join(root, 'fixtures', name), {}, name);
      summary[name] = items.map((i) => `${i.source} ${i.kind === 'document' ? 'document' : i.error?.code}`);
    }
    expect(summary).toEqual({
      'archive.zip': [
        'archive.zip!/images/invoice.png document',
        'archive.zip!/born-digital.pdf document',
        'archive.zip!/only-in-zip.png document',
        'archive.zip!/nested.zip!/nested-only.jpg document',
      ],
      'hostile/bad-crc.zip': ['hostile/bad-crc.zip!/bad-crc.pdf ZIP_INVALID', 'hostile/bad-crc.zip!/invoice.png document'],
      'hostile/encrypted.zip': ['hostile/encrypted.zip!/secret.pdf ZIP_UNSAFE', 'hostile/encrypted.zip!/readme.txt document'],
      'hostile/lying-size.zip': ['hostile/lying-size.zip!/lie.pdf ZIP_UNSAFE', 'hostile/lying-size.zip!/invoice.png document'],
      'hostile/many-entries.zip': ['hostile/many-entries.zip ZIP_UNSAFE'],
      'hostile/not-a-zip.zip': ['hostile/not-a-zip.zip ZIP_INVALID'],
      'hostile/ratio-bomb.zip': ['hostile/ratio-bomb.zip!/bomb.pdf ZIP_UNSAFE'],
      'hostile/symlink.zip': ['hostile/symlink.zip!/link.pdf ZIP_UNSAFE', 'hostile/symlink.zip!/ok.txt document'],
      'hostile/too-deep.zip': ['hostile/too-deep.zip!/level2.zip!/born-digital.pdf document', 'hostile/too-deep.zip!/level2.zip!/level3.zip ZIP_UNSAFE'],
      'hostile/traversal.zip': [
        'hostile/traversal.zip!/../../evil.pdf ZIP_UNSAFE',
        'hostile/traversal.zip!//etc/passwd ZIP_UNSAFE',
        'hostile/traversal.zip!/C:\\x.pdf ZIP_UNSAFE',
        'hostile/traversal.zip!/..\\..\\x.pdf ZIP_UNSAFE',
        'hostile/traversal.zip!/invoice.png document',
      ],
      'hostile/truncated.zip': ['hostile/truncated.zip ZIP_INVALID'],
    });
    const archive = await readArchive(path.join(root, 'fixtures/archive.zip'));
    expectDocument(archive, 'a.zip!/images/invoice.png', await fs.readFile(path.join(root, inputs[0])));
    expectDocument(archive, 'a.zip!/nested.zip!/nested-only.jpg', await fs.readFile(path.join(root, inputs[3])));
  });
});
