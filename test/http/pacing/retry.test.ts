import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  RetryBudget,
  backoffDelay,
  classifyStatus,
  isRetryableNetworkError,
  nextDelay,
  parseRetryAfter,
} from '../../../src/http/pacing/retry.js';

const NOW = Date.UTC(2024, 0, 1, 12, 0, 0);
const policy = DEFAULT_RETRY_POLICY;

function listen(server: net.Server): Promise<number> {
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

async function fetchError(url: string, init?: RequestInit): Promise<unknown> {
  try {
    await fetch(url, init);
  } catch (err) {
    return err;
  }
  throw new Error('the request succeeded');
}

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('backoffDelay', () => {
  it('is full jitter between 0 and min(cap, base × 2^attempt)', () => {
    expect(backoffDelay(0, policy, () => 0)).toBe(0);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((a) => backoffDelay(a, policy, () => 0.5))).toEqual([
      250, 500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000,
    ]);
    expect(backoffDelay(3, policy, () => 0.999_999)).toBeLessThan(4_000);
    expect(backoffDelay(1_000, policy, () => 0.999_999)).toBeLessThanOrEqual(policy.capMs);
  });

  it('spreads 20 workers failing at the same moment', () => {
    for (const attempt of [0, 3, 20]) {
      const delays = Array.from({ length: 20 }, () => backoffDelay(attempt, policy));
      const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** attempt);
      expect(delays.every((d) => d >= 0 && d <= ceiling)).toBe(true);
      expect(new Set(delays).size).toBeGreaterThanOrEqual(15);
      expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(ceiling / 4);
    }
  });
});

describe('parseRetryAfter', () => {
  const inSeconds = (s: number): string => new Date(NOW + s * 1000).toUTCString();
  it.each<[string, string | null | undefined, number | null]>([
    ['delta seconds', '2', 2_000],
    ['zero', '0', 0],
    ['a day', '86400', 86_400_000],
    ['surrounding spaces', ' 3 ', 3_000],
    ['IMF-fixdate in the future', inSeconds(30), 30_000],
    ['IMF-fixdate in the past', inSeconds(-30), 0],
    ['RFC 850 date', 'Monday, 01-Jan-24 12:00:45 GMT', 45_000],
    ['asctime date', 'Mon Jan  1 12:01:00 2024', 60_000],
    ['impossible date', 'Sat, 31 Feb 2024 12:00:00 GMT', null],
    ['garbage', 'garbage', null],
    ['a number inside garbage', 'soon 5', null],
    ['negative', '-5', null],
    ['fractional', '1.5', null],
    ['empty', '', null],
    ['absent', null, null],
    ['undefined', undefined, null],
  ])('%s', (_name, value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });
});

describe('classifyStatus', () => {
  it.each<[number, string]>([
    [408, 'retry'], [429, 'retry'], [500, 'retry'], [502, 'retry'], [503, 'retry'], [504, 'retry'],
    [401, 'auth'], [403, 'auth'],
    [400, 'fail'], [404, 'fail'], [413, 'fail'], [415, 'fail'], [422, 'fail'], [307, 'fail'], [200, 'fail'],
  ])('%i → %s', (status, expected) => {
    expect(classifyStatus(status)).toBe(expected);
  });
});

describe('isRetryableNetworkError', () => {
  it('retries a refused connection', async () => {
    const server = net.createServer();
    const port = await listen(server);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const err = await fetchError(`http://127.0.0.1:${port}/`);
    expect(isRetryableNetworkError(err)).toBe(true);
  });

  it('retries a connection reset mid-request', async () => {
    const server = net.createServer((socket) => socket.resetAndDestroy());
    const port = await listen(server);
    const err = await fetchError(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'x' });
    expect(isRetryableNetworkError(err)).toBe(true);
  });

  it('retries a server that never answers, once the attempt times out', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => void sockets.push(socket));
    const port = await listen(server);
    onTestFinished(() => sockets.forEach((s) => s.destroy()));
    const err = await fetchError(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(200) });
    expect(isRetryableNetworkError(err)).toBe(true);
  });

  it('does not retry when the run itself is aborted', async () => {
    const server = http.createServer(() => undefined);
    const port = await listen(server);
    onTestFinished(() => server.closeAllConnections());
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const err = await fetchError(`http://127.0.0.1:${port}/`, { signal: controller.signal });
    expect(isRetryableNetworkError(err)).toBe(false);
  });

  it.skipIf(!hasOpenssl())('never retries a certificate error', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ocrq-retry-'));
    onTestFinished(() => fs.rm(dir, { recursive: true, force: true }));
    const [key, cert] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
      '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    const server = https.createServer({ key: await fs.readFile(key), cert: await fs.readFile(cert) }, (_req, res) =>
      res.end('ok'));
    const port = await listen(server);
    const err = await fetchError(`https://127.0.0.1:${port}/`);
    expect(JSON.stringify((err as { cause?: { code?: string } }).cause?.code)).toMatch(/CERT|SIGNED/);
    expect(isRetryableNetworkError(err)).toBe(false);
  });

  it.each<[string, unknown, boolean]>([
    ['undici headers timeout', wrap({ code: 'UND_ERR_HEADERS_TIMEOUT' }), true],
    ['undici body timeout', wrap({ code: 'UND_ERR_BODY_TIMEOUT' }), true],
    ['undici connect timeout', wrap({ code: 'UND_ERR_CONNECT_TIMEOUT' }), true],
    ['undici socket error', wrap({ code: 'UND_ERR_SOCKET', cause: { code: 'ECONNRESET' } }), true],
    ['EPIPE', { code: 'EPIPE' }, true],
    ['ETIMEDOUT', { code: 'ETIMEDOUT' }, true],
    ['expired certificate', wrap({ code: 'CERT_HAS_EXPIRED' }), false],
    ['wrong host name', wrap({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' }), false],
    ['a socket error caused by a certificate', wrap({ code: 'UND_ERR_SOCKET', cause: { code: 'SELF_SIGNED_CERT_IN_CHAIN' } }), false],
    ['undici retry refusal', wrap({ code: 'UND_ERR_REQ_RETRY' }), false],
    ['unknown host', wrap({ code: 'ENOTFOUND' }), false],
    ['a plain bug', new TypeError('x is not a function'), false],
    ['not an error', 'ECONNRESET', false],
    ['a cause cycle', cyclic(), false],
  ])('%s', (_name, err, expected) => {
    expect(isRetryableNetworkError(err)).toBe(expected);
  });
});

/** fetch's shape: TypeError('fetch failed') with the network error as its cause. */
function wrap(cause: object): Error {
  return new TypeError('fetch failed', { cause: Object.assign(new Error('network'), cause) });
}

function cyclic(): Error {
  const a = new Error('a') as Error & { cause?: unknown };
  a.cause = new Error('b', { cause: a });
  return a;
}

describe('nextDelay', () => {
  const base = { attempt: 2, now: NOW, policy, random: () => 0.5 };

  it('honours Retry-After as given, for the whole target', () => {
    expect(nextDelay({ ...base, status: 503, retryAfter: '2' })).toEqual({ delayMs: 2_000, source: 'retry-after' });
    const date = new Date(NOW + 90_000).toUTCString();
    expect(nextDelay({ ...base, status: 429, retryAfter: date })).toEqual({ delayMs: 90_000, source: 'retry-after' });
  });

  it('uses the minimum backoff for 0 or a past date, and normal backoff for garbage', () => {
    expect(nextDelay({ ...base, status: 429, retryAfter: '0' })).toEqual({ delayMs: 250, source: 'backoff' });
    const past = new Date(NOW - 60_000).toUTCString();
    expect(nextDelay({ ...base, status: 429, retryAfter: past })).toEqual({ delayMs: 250, source: 'backoff' });
    expect(nextDelay({ ...base, status: 503, retryAfter: 'garbage' })).toEqual({ delayMs: 1_000, source: 'backoff' });
    expect(nextDelay({ ...base })).toEqual({ delayMs: 1_000, source: 'backoff' }); // a network error
  });

  it('gives up on a Retry-After above the ceiling, naming the time', () => {
    expect(nextDelay({ ...base, status: 429, retryAfter: '86400' })).toEqual({
      giveUp: true,
      reason: 'rate-limited until 2024-01-02T12:00:00.000Z',
    });
    const date = new Date(NOW + 11 * 60_000).toUTCString();
    expect(nextDelay({ ...base, status: 503, retryAfter: date })).toEqual({
      giveUp: true,
      reason: 'rate-limited until 2024-01-01T12:11:00.000Z',
    });
    expect(nextDelay({ ...base, status: 503, retryAfter: '9'.repeat(30) })).toMatchObject({ giveUp: true });
    expect(nextDelay({ ...base, status: 503, retryAfter: '600' })).toEqual({ delayMs: 600_000, source: 'retry-after' });
  });

  it('gives up on statuses that are not retryable and when the retries are spent', () => {
    expect(nextDelay({ ...base, status: 404 })).toEqual({ giveUp: true, reason: 'HTTP 404 is not retryable' });
    expect(nextDelay({ ...base, status: 401 })).toMatchObject({ giveUp: true });
    expect(nextDelay({ ...base, attempt: 5, status: 500 })).toEqual({ giveUp: true, reason: 'gave up after 5 retries' });
    expect(nextDelay({ ...base, attempt: 4, status: 500 })).toMatchObject({ source: 'backoff' });
  });
});

describe('RetryBudget', () => {
  it('allows minRetries, then ratio × requests, then stops', () => {
    const budget = new RetryBudget({ ratio: 0.1, minRetries: 3 });
    expect([1, 2, 3, 4].map(() => budget.tryTake())).toEqual([true, true, true, false]);
    for (let i = 0; i < 100; i++) budget.noteRequest();
    const more = Array.from({ length: 10 }, () => budget.tryTake());
    expect(more.filter(Boolean)).toHaveLength(7); // 10 in total
    expect(more.slice(7)).toEqual([false, false, false]);
    expect(budget.retriesTaken).toBe(10);
  });

  it('bounds a run where every request fails', () => {
    const budget = new RetryBudget({ ratio: 0.2, minRetries: 10 });
    let requests = 0;
    for (let job = 0; job < 200; job++) {
      budget.noteRequest();
      requests++;
      for (let attempt = 0; ; attempt++) {
        if ('giveUp' in nextDelay({ attempt, status: 500, now: NOW, policy }) || !budget.tryTake()) break;
        requests++;
      }
    }
    expect(requests).toBeLessThanOrEqual(200 * (1 + policy.retries));
    expect(requests).toBeLessThanOrEqual(200 + Math.max(10, 0.2 * 200));
  });
});
