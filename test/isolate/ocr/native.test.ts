import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  debianLangPackage,
  findTesseract,
  isRecentEnough,
  parseLangList,
  parseTesseractVersion,
  resolveNativeTesseract,
} from '../../../src/isolate/ocr/native-binary.js';
import { nativeArgs, parsePageOutput } from '../../../src/isolate/ocr/native.js';
import { pageSegmentationParameters } from '../../../src/targets/local/page-segmentation.js';
import { grayTiffHeader, TIFF_HEADER_BYTES } from '../../../src/isolate/ocr/tiff.js';
import { fakeTesseract } from '../../helpers/fake-tesseract.js';
import { makeTempDir } from '../../helpers/tmp.js';
import { drawText } from '../../targets/local/make-image.js';
import { systemTesseract } from '../../helpers/system-tesseract.js';

const HEADER = 'level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext';
const row = (level: number, conf: number, text = '') => `${level}\t1\t1\t1\t1\t1\t0\t0\t10\t10\t${conf}\t${text}`;

describe('reading tesseract\'s output', () => {
  it('takes the text lines as tesseract laid them out and the mean of the words\' whole confidences', () => {
    const output = [HEADER, row(1, -1), row(4, -1), row(5, 96.9, 'Note'), row(5, 90.2, '58:'), row(5, 85.99, 'water'), 'Note 58: water', 'the plants.', '', 'Back home.', '', ''].join('\n');
    // (96 + 90 + 85) / 3 = 90.33, truncated as MeanTextConf does.
    expect(parsePageOutput(output)).toEqual({ text: 'Note 58: water\nthe plants.\n\nBack home.\n\n', confidence: 90 });
  });

  it('reads the text wherever the renderers put it, and an empty page as empty with confidence 0', () => {
    expect(parsePageOutput(['first line', row(5, 80, 'first'), row(5, 70, 'line'), ''].join('\n'))).toEqual({ text: 'first line\n', confidence: 75 });
    expect(parsePageOutput([row(1, -1), ''].join('\n'))).toEqual({ text: '', confidence: 0 });
    // Tesseract 4 prints whole numbers.
    expect(parsePageOutput([row(5, 91, 'a'), row(5, 88, 'b'), 'a b'].join('\n')).confidence).toBe(89);
  });

  it('asks for LSTM, the run\'s page segmentation, the file list on stdin, TSV and txt; --lang-path as --tessdata-dir', () => {
    const args = nativeArgs({ binary: '/usr/bin/tesseract', version: '5.3.0', langs: ['eng', 'deu'] }, pageSegmentationParameters('block'));
    expect(args.join(' ')).toBe('- - -l eng+deu --oem 1 --psm 6 -c stream_filelist=1 -c tessedit_create_tsv=1 -c tessedit_create_txt=1');
    const auto = nativeArgs({ binary: '/usr/bin/tesseract', version: '5.3.0', langs: ['eng'] }, pageSegmentationParameters('auto'));
    expect(auto.join(' ')).toBe('- - -l eng --oem 1 --psm 3 -c stream_filelist=1 -c tessedit_create_tsv=1 -c tessedit_create_txt=1');
    // Any other Tesseract parameter is passed as a variable.
    expect(nativeArgs({ binary: 't', version: '5.3.0', langs: ['eng'] }, { tessedit_pageseg_mode: '3', preserve_interword_spaces: '1' }).slice(6, 10)).toEqual(['--psm', '3', '-c', 'preserve_interword_spaces=1']);
    expect(nativeArgs({ binary: 't', version: '4.1.1', langs: ['eng'], tessdataDir: '/data' }, {}).slice(2, 4)).toEqual(['--tessdata-dir', '/data']);
  });
});

describe('the tesseract binary', () => {
  it('reads versions as each release prints them, and needs 4.1 or later', () => {
    expect(parseTesseractVersion('tesseract 5.3.0\n leptonica-1.82.0')).toEqual({ version: '5.3.0', parts: [5, 3, 0] });
    expect(parseTesseractVersion('tesseract 4.1.1\n')).toEqual({ version: '4.1.1', parts: [4, 1, 1] });
    expect(parseTesseractVersion('tesseract v5.0.0-alpha.20201231')?.parts).toEqual([5, 0, 0]);
    expect(parseTesseractVersion('tesseract 3.05.01')?.parts).toEqual([3, 5, 1]);
    expect(parseTesseractVersion('command not found')).toBeNull();
    expect([[5, 3, 0], [4, 1, 0], [4, 1, 3], [10, 0, 0]].every(isRecentEnough)).toBe(true);
    expect([[4, 0, 0], [3, 5, 1]].some(isRecentEnough)).toBe(false);
  });

  it('lists languages and names Debian\'s package for one', () => {
    expect(parseLangList('List of available languages in "/usr/share/tesseract-ocr/5/tessdata/" (3):\neng\nosd\nchi_sim\n')).toEqual(['eng', 'osd', 'chi_sim']);
    expect(debianLangPackage('chi_sim')).toBe('tesseract-ocr-chi-sim');
    expect(debianLangPackage('deu')).toBe('tesseract-ocr-deu');
  });

  it('is OCRQ_TESSERACT (a path or a name on PATH), else tesseract on PATH', async () => {
    const dir = await makeTempDir();
    const fake = await fakeTesseract(dir);
    expect(findTesseract({ PATH: `/nonexistent${path.delimiter}${dir}` })).toBe(fake.binary);
    expect(findTesseract({ PATH: '/nonexistent' })).toBeNull();
    expect(findTesseract({ PATH: '', OCRQ_TESSERACT: fake.binary })).toBe(fake.binary);
    expect(findTesseract({ PATH: dir, OCRQ_TESSERACT: 'tesseract' })).toBe(fake.binary);
    expect(findTesseract({ PATH: dir, OCRQ_TESSERACT: path.join(dir, 'missing') })).toBeNull();
  });

  it('is refused with what to install when missing, too old, or without a language', async () => {
    const dir = await makeTempDir();
    const fake = await fakeTesseract(dir, { langs: ['eng', 'chi_sim'] });
    const env = { PATH: '', OCRQ_TESSERACT: fake.binary };
    await expect(resolveNativeTesseract('eng+chi_sim', undefined, env)).resolves.toEqual({ binary: fake.binary, version: '5.3.0', langs: ['eng', 'chi_sim'] });
    await expect(resolveNativeTesseract('eng', undefined, { PATH: '/nonexistent' })).rejects.toMatchObject({
      exitCode: 2,
      message: 'tesseract was not found on PATH, so --engine native cannot run',
      fix: expect.stringMatching(/apt-get install tesseract-ocr;.*brew install tesseract;.*Dockerfile/),
    });
    await expect(resolveNativeTesseract('eng+fra', undefined, env)).rejects.toMatchObject({
      exitCode: 2,
      message: "language 'fra' is not installed for tesseract 5.3.0 (/fake/tessdata)",
      fix: expect.stringContaining('apt-get install tesseract-ocr-fra'),
    });
    const old = await fakeTesseract(await makeTempDir(), { version: '4.0.0' });
    await expect(resolveNativeTesseract('eng', undefined, { PATH: '', OCRQ_TESSERACT: old.binary })).rejects.toMatchObject({
      exitCode: 2,
      message: `${old.binary} is Tesseract 4.0.0; --engine native needs 4.1 or later`,
    });
    await expect(resolveNativeTesseract('eng', `${dir}${path.delimiter}${dir}`, env)).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('one --lang-path folder') });
  });
});

describe('page images for tesseract', () => {
  it('are grayscale TIFFs that carry their dpi, with the pixels right after the header', () => {
    const header = grayTiffHeader(2550, 3300, 200);
    expect(header.length).toBe(TIFF_HEADER_BYTES);
    expect(header.subarray(0, 4)).toEqual(Buffer.from([0x49, 0x49, 42, 0]));
    const tags = new Map<number, number>();
    const count = header.readUInt16LE(8);
    for (let i = 0; i < count; i++) {
      const at = 10 + i * 12;
      const type = header.readUInt16LE(at + 2);
      tags.set(header.readUInt16LE(at), type === 3 ? header.readUInt16LE(at + 8) : header.readUInt32LE(at + 8));
    }
    expect(tags.get(256)).toBe(2550);
    expect(tags.get(257)).toBe(3300);
    expect(tags.get(273)).toBe(TIFF_HEADER_BYTES);
    expect(tags.get(279)).toBe(2550 * 3300);
    const xres = tags.get(282)!;
    expect(header.readUInt32LE(xres) / header.readUInt32LE(xres + 4)).toBe(200);
    expect(tags.get(296)).toBe(2);
  });

  const tesseract = systemTesseract();
  it.skipIf(!tesseract.usable)(`are read by the system's tesseract at their dpi${tesseract.usable ? '' : ` (skipped: ${tesseract.reason})`}`, async () => {
    const dir = await makeTempDir();
    const drawn = drawText(['Harbor Supply 4821'], 700, 80);
    const gray = Buffer.alloc(drawn.width * drawn.height);
    for (let i = 0; i < gray.length; i++) gray[i] = drawn.rgba[i * 4];
    const file = path.join(dir, 'page.tif');
    await writeFile(file, Buffer.concat([grayTiffHeader(drawn.width, drawn.height, 150), gray]));
    const r = spawnSync(tesseract.binary!, [file, '-', '--psm', '6', '-c', 'tessedit_create_hocr=1'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    // hOCR names the resolution a page was read at from Tesseract 5 on.
    if (Number(tesseract.version!.split('.')[0]) >= 5) expect(r.stdout).toContain(`bbox 0 0 ${drawn.width} ${drawn.height}; ppageno 0; scan_res 150 150`);
    expect(r.stdout).toContain('Harbor');
  });
});
