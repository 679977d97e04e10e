import { mkdir, mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { checkTrainedData, defaultLangPath, disposeLangData, langPathDirs, resolveLangData } from '../../../src/isolate/ocr/lang-data.js';

const bundledEng = () => readFile(path.join(defaultLangPath(), 'eng.traineddata.gz'));

let dir: string;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});
const tempDir = async () => (dir = await mkdtemp(path.join(os.tmpdir(), 'ocrq-lang-')));

async function usageError(promise: Promise<unknown>): Promise<UsageError> {
  const err = await promise.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(UsageError);
  return err as UsageError;
}

describe('resolveLangData', () => {
  it('uses the bundled English data by default', async () => {
    const data = await resolveLangData('eng');
    expect(data).toEqual({ langPath: defaultLangPath(), gzip: true, langs: ['eng'] });
    expect(data.langPath).toMatch(/@tesseract\.js-data[/\\]eng[/\\]4\.0\.0_best_int$/);
  });

  it('names the missing language, the package to install and the folders searched', async () => {
    const err = await usageError(resolveLangData('eng+deu'));
    expect(err.message).toBe(`language data for 'deu' not found: the package @tesseract.js-data/deu is not installed`);
    expect(err.fix).toContain('npm install @tesseract.js-data/deu');
    expect(err.fix).toContain('--lang-path');
    const d = await tempDir();
    const inFolder = await usageError(resolveLangData('deu', d));
    expect(inFolder.message).toBe(`language data for 'deu' not found in ${d} or in the package @tesseract.js-data/deu`);
  });

  it('finds an installed @tesseract.js-data package without --lang-path', async () => {
    const data = await resolveLangData('fra');
    expect(data.langPath).toMatch(/@tesseract\.js-data[/\\]fra[/\\]4\.0\.0_best_int$/);
    expect(data.scratch).toBeUndefined();
  });

  it('rejects malformed language lists', async () => {
    for (const lang of ['', '+', 'eng+../x', 'eng deu']) {
      expect((await usageError(resolveLangData(lang))).message).toContain('invalid --lang');
    }
  });

  it('accepts plain .traineddata files in --lang-path (gzip off)', async () => {
    const d = await tempDir();
    await writeFile(path.join(d, 'eng.traineddata'), gunzipSync(await bundledEng()));
    expect(await resolveLangData('eng', d)).toEqual({ langPath: d, gzip: false, langs: ['eng'] });
  });

  it('refuses broken files before any worker sees them', async () => {
    const d = await tempDir();
    await writeFile(path.join(d, 'eng.traineddata.gz'), (await bundledEng()).subarray(0, 50_000));
    await writeFile(path.join(d, 'xyz.traineddata'), Buffer.from('<html>404 Not Found</html>'));
    expect((await usageError(resolveLangData('eng', d))).message).toMatch(/^language data for 'eng' in .* is unusable: .*gzip/);
    expect((await usageError(resolveLangData('xyz', d))).message).toContain('not a traineddata file');
  });

  it('links languages from several folders, or of mixed forms, into one scratch folder it removes afterwards', async () => {
    const d = await tempDir();
    const gz = await bundledEng();
    await writeFile(path.join(d, 'enm.traineddata'), gunzipSync(gz));
    const data = await resolveLangData('eng+enm', d);
    expect(data).toMatchObject({ gzip: true, langs: ['eng', 'enm'], scratch: true });
    expect((await readdir(data.langPath)).sort()).toEqual(['eng.traineddata.gz', 'enm.traineddata.gz']);
    expect(await realpath(path.join(data.langPath, 'enm.traineddata.gz'))).toBe(await realpath(path.join(d, 'enm.traineddata')));
    await disposeLangData(data);
    await expect(readdir(data.langPath)).rejects.toThrow();
  });

  it('reads several --lang-path folders in order', async () => {
    const d = await tempDir();
    const first = path.join(d, 'first');
    const second = path.join(d, 'second');
    await mkdir(first);
    await mkdir(second);
    await writeFile(path.join(second, 'eng.traineddata'), gunzipSync(await bundledEng()));
    expect(langPathDirs(`${first}${path.delimiter}${second}`)).toEqual([first, second]);
    expect(await resolveLangData('eng', `${first}${path.delimiter}${second}`)).toEqual({ langPath: second, gzip: false, langs: ['eng'] });
  });
});

describe('checkTrainedData', () => {
  it('accepts real data, gzipped or not', async () => {
    const gz = await bundledEng();
    expect(checkTrainedData(gz)).toBeNull();
    expect(checkTrainedData(gunzipSync(gz))).toBeNull();
  });

  it('explains what is wrong', () => {
    expect(checkTrainedData(Buffer.alloc(2))).toBe('file is too short');
    const noLstm = Buffer.alloc(4 + 24 * 8 + 10, 0xff);
    noLstm.writeInt32LE(24, 0);
    noLstm.writeBigInt64LE(BigInt(4 + 24 * 8), 4);
    expect(checkTrainedData(noLstm)).toContain('no LSTM model');
    const unordered = Buffer.alloc(4 + 2 * 8 + 10);
    unordered.writeInt32LE(2, 0);
    unordered.writeBigInt64LE(25n, 4);
    unordered.writeBigInt64LE(20n, 12);
    expect(checkTrainedData(unordered)).toContain('bad section offsets');
  });
});
