import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ProviderName } from '../../src/providers/registry.js';
import { ConfigError, UsageError } from '../../src/errors.js';
import { hasRequiredHeader, makeVerifier, parseRequiredHeader, resolveSecrets } from '../../src/results/verifier.js';

const hex = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex');

describe('parseRequiredHeader / hasRequiredHeader', () => {
  it('parses "Name: value" and compares the exact single value', () => {
    const required = parseRequiredHeader('X-Hook-Token:  abc def ');
    expect(required).toEqual({ name: 'x-hook-token', value: 'abc def' });
    expect(hasRequiredHeader({ 'x-hook-token': 'abc def' }, required)).toBe(true);
    expect(hasRequiredHeader({ 'x-hook-token': 'abc de' }, required)).toBe(false);
    expect(hasRequiredHeader({ 'x-hook-token': 'abc def, abc def' }, required)).toBe(false);
    expect(hasRequiredHeader({ 'x-hook-token': ['abc def', 'abc def'] as unknown as string }, required)).toBe(false);
    expect(hasRequiredHeader({}, required)).toBe(false);
  });

  it('refuses anything that is not one header line', () => {
    for (const bad of ['', 'Token', ': v', 'X Token: v', 'X-Token:', 'X-Token: a\nb', 'X-Token: caf\u00e9']) {
      expect(() => parseRequiredHeader(bad), JSON.stringify(bad)).toThrow(UsageError);
    }
  });
});

describe('makeVerifier', () => {
  const secrets = new Map<ProviderName, string>([
    ['ocrqueen', 'oq_secret'],
    ['docextract', 'dx_secret'],
  ]);
  const body = '{"event":"job.completed","data":{"id":"job_1","status":"completed"}}';

  it('checks a provider only against its own secret (DocExtract known-answer vector)', () => {
    const verify = makeVerifier({ provider: 'auto', secrets: new Map([['docextract', 'dx_secret']]) });
    const buffer = Buffer.from(body);
    expect(verify('docextract', buffer, { 'x-docextract-signature': 'f91256a0d035aee2c23211558f0ee2a388ed27a53e127a308608a70c7f18789c' })).toMatchObject({ valid: true });
    expect(verify('docextract', buffer, { 'x-docextract-signature': hex('oq_secret', body) })).toMatchObject({ valid: false });
    expect(verify('ocrqueen', buffer, { 'ocrqueen-signature': hex('dx_secret', body) })).toMatchObject({ valid: false, detail: expect.stringMatching(/no webhook secret/) });
  });

  it('with a named provider, refuses deliveries verified as another provider', () => {
    const verify = makeVerifier({ provider: 'ocrqueen', secrets });
    expect(verify('docextract', Buffer.from(body), { 'x-docextract-signature': hex('dx_secret', body) })).toMatchObject({ valid: false });
  });

  it('unsigned providers: the required header when given; otherwise only when named explicitly', () => {
    const header = { name: 'x-token', value: 't' };
    expect(makeVerifier({ provider: 'auto', secrets, requireHeader: header })('qomplement', Buffer.from('{}'), { 'x-token': 't' })).toBe('unsigned-ok');
    expect(makeVerifier({ provider: 'auto', secrets, requireHeader: header })('qomplement', Buffer.from('{}'), {})).toBe('unsigned-rejected');
    expect(makeVerifier({ provider: 'auto', secrets })('qomplement', Buffer.from('{}'), {})).toBe('unsigned-rejected');
    expect(makeVerifier({ provider: 'qomplement', secrets })('qomplement', Buffer.from('{}'), {})).toBe('unsigned-ok');
    // The required header is not asked of providers that sign: their signature is the check.
    expect(makeVerifier({ provider: 'auto', secrets, requireHeader: header })('ocrqueen', Buffer.from(body), { 'ocrqueen-signature': `sha256=${hex('oq_secret', body)}` })).toMatchObject({ valid: true });
  });
});

describe('resolveSecrets', () => {
  const sources = (config: Record<string, unknown> = {}, flag?: string, env: NodeJS.ProcessEnv = {}) => ({
    flag,
    env,
    configValue: (p: ProviderName) => config[p],
    configPath: '/cfg/config.json',
  });

  it('--secret > OCRQ_WEBHOOK_SECRET > config, per signing provider; unsigned providers get none', () => {
    expect([...resolveSecrets('auto', sources({ docextract: 'dx' }, 'flag_s'), () => {})]).toEqual([
      ['ocrqueen', 'flag_s'],
      ['leapocr', 'flag_s'],
      ['docextract', 'flag_s'],
    ]);
    expect(resolveSecrets('auto', sources({ docextract: 'dx' }, undefined, { OCRQ_WEBHOOK_SECRET: 'env_s' }), () => {}).get('docextract')).toBe('env_s');
    expect([...resolveSecrets('auto', sources({ docextract: 'dx' }), () => {})]).toEqual([['docextract', 'dx']]);
    expect(resolveSecrets('qomplement', sources(), () => {}).size).toBe(0);
  });

  it('refuses empty, whsec_-only and non-string secrets without echoing them, and a named provider with none', () => {
    const cases: Array<[ProviderName | 'auto', ReturnType<typeof sources>]> = [
      ['auto', sources({}, '')],
      ['auto', sources({}, ' \n')],
      ['ocrqueen', sources({}, 'whsec_')],
      ['auto', sources({}, undefined, { OCRQ_WEBHOOK_SECRET: '' })],
      ['auto', sources({ ocrqueen: 42 })],
      ['auto', sources({ ocrqueen: '' })],
      ['leapocr', sources()],
    ];
    for (const [provider, given] of cases) {
      expect(() => resolveSecrets(provider, given, () => {}), JSON.stringify([provider, given.flag])).toThrow(ConfigError);
    }
  });

  it('trims a trailing newline with one notice', () => {
    const notices: string[] = [];
    const secrets = resolveSecrets('auto', sources({}, 'abc\n'), (m) => notices.push(m));
    expect(secrets.get('ocrqueen')).toBe('abc');
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/whitespace/);
  });
});
