import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../src/config/file.js';
import { openConfig } from '../../src/config/store.js';
import { makeTempDir } from '../helpers/tmp.js';

describe('readConfig (what submit uses)', () => {
  it('reads what ocrq config wrote, and creates nothing when there is no config', async () => {
    const dir = await makeTempDir();
    const missing = path.join(dir, 'not-yet');
    const empty = readConfig({ env: { OCRQ_CONFIG_DIR: missing } });
    expect(empty.get('defaults.rps')).toBeUndefined();
    expect(empty.all()).toEqual({});
    await expect(fs.access(missing)).rejects.toThrow();

    const store = openConfig({ env: { OCRQ_CONFIG_DIR: missing } });
    store.set('defaults.rps', 7);
    store.set('providers.ocrqueen.base_url', 'http://127.0.0.1:1');
    const view = readConfig({ env: { OCRQ_CONFIG_DIR: missing } });
    expect(view.path).toBe(store.path);
    expect(view.get('defaults.rps')).toBe(7);
    expect(view.get('providers.ocrqueen.base_url')).toBe('http://127.0.0.1:1');
    expect(view.get('providers.ocrqueen.base_url.x')).toBeUndefined();
    expect(view.all()).toEqual({ 'defaults.rps': 7, 'providers.ocrqueen.base_url': 'http://127.0.0.1:1' });
  });

  it('a corrupt file is a config error that does not quote it', async () => {
    const dir = await makeTempDir();
    await fs.writeFile(path.join(dir, 'config.json'), '{"providers": {"ocrqueen": {"api_key": "pk_secret_value_123456"}');
    expect(() => readConfig({ env: { OCRQ_CONFIG_DIR: dir } })).toThrow(/is not valid JSON/);
    try {
      readConfig({ env: { OCRQ_CONFIG_DIR: dir } });
    } catch (err) {
      expect(String((err as Error).message)).not.toContain('pk_secret');
    }
  });
});
