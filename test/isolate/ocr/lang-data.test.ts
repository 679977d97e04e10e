import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { checkTrainedData, defaultLangPath, resolveLangData } from '../../../src/isolate/ocr/lang-data.js';

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

  it('names the missing language and the directory searched', async () => {
    const err = await usageError(resolveLangData('eng+deu'));
    expect(err.message).toBe(`language data for 'deu' not found in ${defaultLangPath()}`);
    expect(err.fix).toContain('--lang-path');
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

  it('refuses a mix of gzipped and plain files', async () => {
    const d = await tempDir();
    const gz = await bundledEng();
    await writeFile(path.join(d, 'eng.traineddata.gz'), gz);
    await writeFile(path.join(d, 'enm.traineddata'), gunzipSync(gz));
    expect((await usageError(resolveLangData('eng+enm', d))).message).toContain('mixes');
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
