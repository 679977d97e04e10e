import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import {
  CONFIG_KEYS,
  PROVIDER_KEY_ENV,
  isSecretKey,
  maskSecret,
  validateSetting,
} from '../../src/config/keys.js';
import { PROVIDERS } from '../../src/providers/registry.js';

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error('expected a UsageError');
}

describe('config keys', () => {
  it('lists every provider field and every default', () => {
    expect(CONFIG_KEYS).toHaveLength(PROVIDERS.length * 3 + 29);
    expect(CONFIG_KEYS).toContain('defaults.shard');
    expect(CONFIG_KEYS).toContain('defaults.shard_budget');
    expect(CONFIG_KEYS).toContain('defaults.rotate');
    expect(CONFIG_KEYS).toContain('defaults.psm');
    expect(CONFIG_KEYS).toContain('defaults.max_page_seconds');
    expect(CONFIG_KEYS).toContain('defaults.min_confidence');
    expect(CONFIG_KEYS).toContain('defaults.max_worker_memory');
    expect(CONFIG_KEYS).toContain('providers.process-job.webhook_secret');
    expect(CONFIG_KEYS).toContain('defaults.workers');
    expect(PROVIDER_KEY_ENV).toEqual({
      ocrqueen: 'OCRQUEEN_API_KEY',
      leapocr: 'LEAPOCR_API_KEY',
      docextract: 'DOCEXTRACT_API_KEY',
      qomplement: 'QOMPLEMENT_API_KEY',
      'process-job': 'DOCUPROX_API_KEY',
    });
  });

  it('knows which keys are secret', () => {
    expect(isSecretKey('providers.ocrqueen.api_key')).toBe(true);
    expect(isSecretKey('providers.leapocr.webhook_secret')).toBe(true);
    expect(isSecretKey('providers.leapocr.base_url')).toBe(false);
    expect(isSecretKey('defaults.rps')).toBe(false);
  });
});

describe('maskSecret', () => {
  it('shows four characters at each end of a long value', () => {
    expect(maskSecret('sk_live_abcdef123456')).toBe('sk_l…3456');
  });

  it('shows nothing of a short value', () => {
    expect(maskSecret('abc')).toBe('…');
    expect(maskSecret('0123456789abcdefghi')).toBe('…');
    expect(maskSecret('')).toBe('…');
  });

  it('keeps control characters of a hand-edited value off the terminal', () => {
    expect(maskSecret('\u001b[31mabcdefghijklmnopq\u0007')).toBe('?[31…opq?');
  });
});

describe('validateSetting', () => {
  it('parses numbers, URLs and provider names', () => {
    expect(validateSetting('defaults.rps', '0.5')).toBe(0.5);
    expect(validateSetting('defaults.burst', ' 3 ')).toBe(3);
    expect(validateSetting('defaults.concurrency', '16')).toBe(16);
    expect(validateSetting('defaults.workers', '2')).toBe(2);
    expect(validateSetting('defaults.max_page_seconds', '30')).toBe(30);
    expect(validateSetting('defaults.min_confidence', '50')).toBe(50);
    expect(validateSetting('defaults.min_confidence', '0')).toBe(0);
    expect(validateSetting('defaults.min_confidence', '100')).toBe(100);
    expect(validateSetting('defaults.rotate', 'true')).toBe(true);
    expect(validateSetting('defaults.rotate', ' Off ')).toBe(false);
    expect(validateSetting('defaults.rotate', '1')).toBe(true);
    expect(validateSetting('defaults.psm', 'auto')).toBe('auto');
    expect(validateSetting('defaults.psm', ' Block ')).toBe('block');
    expect(validateSetting('defaults.max_worker_memory', '768MB')).toBe(768 * 1024 * 1024);
    expect(validateSetting('defaults.max_worker_memory', '1.5GiB')).toBe(1.5 * 1024 ** 3);
    expect(validateSetting('defaults.provider', 'leapocr')).toBe('leapocr');
    expect(validateSetting('defaults.shard', ' 2/4 ')).toBe('2/4');
    expect(validateSetting('defaults.shard_budget', 'per-shard')).toBe('per-shard');
    expect(validateSetting('providers.leapocr.base_url', 'http://127.0.0.1:8080/api/v1')).toBe('http://127.0.0.1:8080/api/v1');
  });

  it.each([
    ['defaults.rps', '0'],
    ['defaults.rps', '-1'],
    ['defaults.rps', 'abc'],
    ['defaults.rps', '1e3'],
    ['defaults.rps', 'Infinity'],
    ['defaults.burst', '1.5'],
    ['defaults.concurrency', '0'],
    ['defaults.workers', '0x10'],
    ['defaults.workers', '99999999999999999999'],
    ['defaults.max_page_seconds', '0'],
    ['defaults.min_confidence', '101'],
    ['defaults.min_confidence', '-1'],
    ['defaults.min_confidence', 'high'],
    ['defaults.rotate', 'maybe'],
    ['defaults.psm', '6'],
    ['defaults.psm', 'single'],
    ['defaults.shard', '4/4'],
    ['defaults.shard', '1'],
    ['defaults.shard_budget', 'half'],
    ['defaults.max_worker_memory', 'lots'],
    ['defaults.max_worker_memory', '100MB'],
    ['defaults.provider', 'local'],
    ['defaults.provider', 'OCRQUEEN'],
    ['providers.ocrqueen.base_url', 'ftp://example.com'],
    ['providers.ocrqueen.base_url', 'example.com'],
    ['providers.ocrqueen.base_url', 'https://user:pw@example.com/v1'],
  ])('refuses %s = %j with the key in the message and a fix', (key, value) => {
    const err = usageError(() => validateSetting(key, value));
    expect(err.message).toContain(key);
    expect(err.fix).toBeTruthy();
  });

  it('names the valid keys for an unknown key without echoing it', () => {
    const err = usageError(() => validateSetting('sk_live_ZZZZZZZZZZZZZZZZ', 'providers.ocrqueen.api_key'));
    expect(err.message).not.toContain('sk_live');
    expect(err.fix).toContain('defaults.{provider,rps,burst,concurrency,workers,max_page_seconds,max_worker_memory,min_confidence,rotate,shard,shard_budget,engine,include,exclude,max_file_size,retries,timeout,poll_interval,port,host,public_url,callback_grace,psm,lang,lang_path,dpi,force_ocr,out,tolerance}');
    expect(err.fix).toContain('providers.{ocrqueen,leapocr,docextract,qomplement,process-job}.{api_key,base_url,webhook_secret}');
    expect(usageError(() => validateSetting('providers.azure.api_key', 'x')).message).toBe('unknown provider in config key');
  });

  it('trims secrets and refuses ones that cannot be a key, without quoting them', () => {
    expect(validateSetting('providers.ocrqueen.api_key', '  Abc123Secret\n')).toBe('Abc123Secret');
    for (const bad of ['', ' \n ', 'two words', 'line1\nline2', 'clé-àccent', 'x'.repeat(5000)]) {
      const err = usageError(() => validateSetting('providers.ocrqueen.webhook_secret', bad));
      expect(err.message).toContain('providers.ocrqueen.webhook_secret');
      if (bad.trim()) expect(`${err.message} ${err.fix}`).not.toContain(bad.trim().slice(0, 10));
    }
  });
});
