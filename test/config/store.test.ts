import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { defaultConfigDir, openConfig } from '../../src/config/store.js';
import { makeTempDir } from '../helpers/tmp.js';

const SECRET = 'Qx7pL2mW9vR4tY8nB3kJ6hG';

describe('openConfig', () => {
  it('stores nested values under OCRQ_CONFIG_DIR, readable by a second open', async () => {
    const dir = path.join(await makeTempDir(), 'conf');
    const store = openConfig({ env: { OCRQ_CONFIG_DIR: dir } });
    expect(store.path).toBe(path.join(dir, 'config.json'));
    store.set('providers.process-job.api_key', SECRET);
    store.set('defaults.rps', 2.5);
    const again = openConfig({ env: { OCRQ_CONFIG_DIR: dir } });
    expect(again.get('providers.process-job.api_key')).toBe(SECRET);
    expect(again.get('defaults.rps')).toBe(2.5);
    expect(again.all()).toEqual({ 'providers.process-job.api_key': SECRET, 'defaults.rps': 2.5 });
    expect(JSON.parse(await fs.readFile(store.path, 'utf8'))).toEqual({
      providers: { 'process-job': { api_key: SECRET } },
      defaults: { rps: 2.5 },
    });
  });

  it('writes the file 0600 in a 0700 directory, even over a file that was world-readable', async () => {
    const dir = path.join(await makeTempDir(), 'new', 'conf');
    const store = openConfig({ env: {}, dir });
    store.set('defaults.burst', 2);
    expect((await fs.stat(dir)).mode & 0o777).toBe(0o700);
    expect((await fs.stat(store.path)).mode & 0o777).toBe(0o600);
    await fs.chmod(store.path, 0o644);
    store.set('providers.ocrqueen.api_key', SECRET);
    expect((await fs.stat(store.path)).mode & 0o777).toBe(0o600);
  });

  it('prefers the dir option to OCRQ_CONFIG_DIR', async () => {
    const tmp = await makeTempDir();
    const store = openConfig({ env: { OCRQ_CONFIG_DIR: path.join(tmp, 'env') }, dir: path.join(tmp, 'opt') });
    expect(store.path).toBe(path.join(tmp, 'opt', 'config.json'));
  });

  it('defaults to XDG_CONFIG_HOME/ocrq on Linux', async () => {
    const tmp = await makeTempDir();
    const store = openConfig({ env: { XDG_CONFIG_HOME: tmp } });
    expect(store.path).toBe(path.join(tmp, 'ocrq', 'config.json'));
  });

  it('has a per-platform default directory', () => {
    expect(defaultConfigDir({}, 'linux', '/home/u')).toBe('/home/u/.config/ocrq');
    expect(defaultConfigDir({ XDG_CONFIG_HOME: 'relative' }, 'linux', '/home/u')).toBe('/home/u/.config/ocrq');
    expect(defaultConfigDir({ XDG_CONFIG_HOME: '/x' }, 'linux', '/home/u')).toBe('/x/ocrq');
    expect(defaultConfigDir({}, 'darwin', '/Users/u')).toBe('/Users/u/Library/Preferences/ocrq');
    expect(defaultConfigDir({ APPDATA: '/appdata' }, 'win32', '/h')).toBe(path.join('/appdata', 'ocrq', 'Config'));
  });

  it('removes a key and the objects it leaves empty', async () => {
    const store = openConfig({ env: {}, dir: await makeTempDir() });
    store.set('providers.leapocr.api_key', SECRET);
    store.set('providers.leapocr.base_url', 'http://127.0.0.1:1/api/v1');
    store.set('defaults.rps', 1);
    store.delete('providers.leapocr.api_key');
    expect(store.all()).toEqual({ 'providers.leapocr.base_url': 'http://127.0.0.1:1/api/v1', 'defaults.rps': 1 });
    store.delete('providers.leapocr.base_url');
    expect(JSON.parse(await fs.readFile(store.path, 'utf8'))).toEqual({ defaults: { rps: 1 } });
  });

  it('reads an empty file or one with a BOM', async () => {
    const dir = await makeTempDir();
    await fs.writeFile(path.join(dir, 'config.json'), '');
    expect(openConfig({ env: {}, dir }).all()).toEqual({});
    await fs.writeFile(path.join(dir, 'config.json'), '\uFEFF{"defaults":{"rps":3}}');
    expect(openConfig({ env: {}, dir }).get('defaults.rps')).toBe(3);
  });

  it.each([
    ['broken JSON', `{"providers":{"ocrqueen":{"api_key":"${SECRET}"}},}`],
    ['broken JSON on line 3', `{\n "providers": {"ocrqueen": {"api_key": "${SECRET}"}}\n x}`],
    ['a JSON array', `["${SECRET}"]`],
    ['a JSON string', `"${SECRET}"`],
  ])('refuses a file holding %s with a ConfigError that does not quote it', async (_what, content) => {
    const dir = await makeTempDir();
    await fs.writeFile(path.join(dir, 'config.json'), content);
    let error: unknown;
    try {
      openConfig({ env: {}, dir }).all();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const e = error as ConfigError;
    expect(e.message).toContain(path.join(dir, 'config.json'));
    expect(`${e.message} ${e.fix} ${e.stack} ${String(e.cause)}`).not.toContain(SECRET.slice(0, 8));
    // The file is left as it was for the user to fix.
    expect(await fs.readFile(path.join(dir, 'config.json'), 'utf8')).toBe(content);
  });

  it('turns an unusable directory into a ConfigError naming the file', async () => {
    const tmp = await makeTempDir();
    const notDir = path.join(tmp, 'file');
    await fs.writeFile(notDir, 'x');
    expect(() => openConfig({ env: { OCRQ_CONFIG_DIR: notDir } })).toThrow(ConfigError);
    expect(() => openConfig({ env: { OCRQ_CONFIG_DIR: notDir } })).toThrow(/cannot use config file .*file.config\.json: E/);
  });
});
