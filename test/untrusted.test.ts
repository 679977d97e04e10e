import { describe, expect, it } from 'vitest';
import { addressKind, jobIdProblem, quoteUntrusted, uploadUrlProblem } from '../src/untrusted.js';

describe('jobIdProblem', () => {
  it.each([
    ['job_8f2a', null],
    ['../../escaped-by-job-id', null],
    ['550e8400-e29b-41d4-a716-446655440000', null],
    ['', 'it is empty'],
    ['   ', 'it is empty'],
    ['..', 'it is only dots'],
    ['nul\u0000', 'it contains control characters'],
    ['new\nline', 'it contains control characters'],
    ['c1\u0085', 'it contains control characters'],
    ['lone\ud800', 'it contains control characters'],
    ['pair\ud83d\ude00', null],
    ['x'.repeat(257), 'it is 257 characters long, over 256'],
  ])('%j → %j', (id, problem) => {
    expect(jobIdProblem(id)).toBe(problem);
  });

  it('quotes an untrusted value escaped and shortened', () => {
    expect(quoteUntrusted('a\u001b[31mb')).toBe('"a\\\\x1b[31mb"');
    expect(quoteUntrusted('y'.repeat(1000))).toBe(JSON.stringify(`${'y'.repeat(80)}… (1000 characters)`));
  });
});

describe('uploadUrlProblem', () => {
  const api = new URL('https://api.example.com/api/v1');
  const local = new URL('http://127.0.0.1:8080/api/v1');
  it.each([
    ['https://storage.example.net/bucket/part1?sig=x', api, null],
    ['https://api.example.com/storage/p1', api, null],
    ['http://127.0.0.1:8080/storage/p1', local, null],
    ['file:///etc/passwd', api, 'file: is not an http(s) URL'],
    ['http://storage.example.net/p1', api, 'plain http to a host other than the API'],
    ['http://127.0.0.1:9999/p1', local, 'plain http to a host other than the API'],
    ['https://169.254.169.254/latest/meta-data/', api, 'a link-local address'],
    ['https://169.254.169.254/latest/meta-data/', local, 'a link-local address'],
    ['https://[fe80::1]/x', api, 'a link-local address'],
    ['https://127.0.0.1/x', api, 'a loopback address'],
    ['https://localhost/x', api, 'a loopback address'],
    ['https://[::ffff:127.0.0.1]/x', api, 'a loopback address'],
    ['https://127.0.0.1:9443/x', local, null],
  ])('%s from %s → %j', (url, base, problem) => {
    expect(uploadUrlProblem(new URL(url), base)).toBe(problem);
  });

  it('tells address kinds apart', () => {
    expect(addressKind('0.0.0.0')).toBe('loopback');
    expect(addressKind('[::1]')).toBe('loopback');
    expect(addressKind('169.254.1.2')).toBe('link-local');
    expect(addressKind('10.0.0.1')).toBe('other');
    expect(addressKind('storage.example.net')).toBe('other');
  });
});
