/** Signing, sending and reading helpers for the webhook receiver tests: real HTTP, real files, no stubs. */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { onTestFinished } from 'vitest';
import { Journal, type OpenJournalOptions } from '../../src/manifest/jsonl.js';
import type { ManifestRow } from '../../src/manifest/types.js';
import { ManifestWriter } from '../../src/manifest/writer.js';
import { makeVerifier, type RequiredHeader } from '../../src/results/verifier.js';
import { startWebhookServer, type WebhookServer, type WebhookServerOptions } from '../../src/results/webhook-server.js';
import type { ProviderName } from '../../src/providers/registry.js';
import { makeTempDir } from '../helpers/tmp.js';
import { readRows } from '../helpers/manifest.js';

export const SECRETS = { ocrqueen: 'whsec_test_ocrqueen', leapocr: 'leap_secret', docextract: 'dx_secret' } as const;

export const hmacHex = (secret: string, ...parts: Array<string | Buffer>): string => {
  const mac = createHmac('sha256', secret);
  for (const part of parts) mac.update(part);
  return mac.digest('hex');
};

/** OCRQueen-Signature: sha256=<hex HMAC of the raw body>. */
export function ocrqueenHeaders(body: string | Buffer, secret: string = SECRETS.ocrqueen): Record<string, string> {
  return { 'content-type': 'application/json', 'ocrqueen-signature': `sha256=${hmacHex(secret, body)}`, 'ocrqueen-event': 'extraction.completed' };
}

export function docextractHeaders(body: string | Buffer, secret: string = SECRETS.docextract): Record<string, string> {
  return { 'content-type': 'application/json', 'x-docextract-signature': hmacHex(secret, body) };
}

/** LeapOCR's current scheme: hex HMAC of `<timestamp>.<body>`. */
export function leapocrHeaders(body: string | Buffer, timestamp = Math.floor(Date.now() / 1000), secret: string = SECRETS.leapocr): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-webhook-signature': hmacHex(secret, `${timestamp}.`, body),
    'x-webhook-timestamp': String(timestamp),
  };
}

/** The OCRQueen envelope, serialised as OCRQueen does: sorted keys, no whitespace. */
export function ocrqueenCompleted(jobId: string, text: string, eventId = `evt_${jobId}`): string {
  return JSON.stringify({
    data: { document: { markdown: text, source: { page_count: 1 } } },
    event_id: eventId,
    event_type: 'extraction.completed',
    job_id: jobId,
    timestamp: '2026-05-14T12:00:08Z',
  });
}

export function ocrqueenFailed(jobId: string, code: string, eventId = `evt_f_${jobId}`): string {
  return JSON.stringify({
    data: { error: { code, message: 'locked' } },
    event_id: eventId,
    event_type: 'extraction.failed',
    job_id: jobId,
    timestamp: '2026-05-14T12:00:08Z',
  });
}

export interface Answer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

/** One POST on its own connection; resolves with the answer even if the server closes the connection after it. */
export function post(url: string, body: string | Buffer, headers: Record<string, string> = {}, method = 'POST'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { 'content-type': 'application/json', ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Writes raw bytes on a socket and collects whatever comes back until the server closes it. */
export function rawExchange(url: string, send: (socket: net.Socket) => void): Promise<{ text: string; closedAfterMs: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect(Number(port), hostname);
    let text = '';
    socket.on('data', (c) => (text += c.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => resolve({ text, closedAfterMs: Date.now() - started }));
    socket.on('connect', () => send(socket));
  });
}

export interface Harness {
  dir: string;
  manifest: string;
  journal: Journal;
  server: WebhookServer;
  url: string;
  rows(): Promise<ManifestRow[]>;
}

export interface HarnessOptions extends Partial<WebhookServerOptions> {
  /** Rows already in the manifest before the listener opens it. */
  seed?: ManifestRow[];
  journalOptions?: OpenJournalOptions;
  requireHeader?: RequiredHeader;
  /** Replaces the default secret of these providers. */
  secrets?: Partial<Record<ProviderName, string>>;
}

/** A journal in a fresh temp dir and a receiver on 127.0.0.1:0; both closed when the test finishes. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = await makeTempDir('ocrq-listen-');
  const manifest = path.join(dir, 'm.jsonl');
  if (options.seed) {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(manifest, options.seed.map((r) => JSON.stringify(r) + '\n').join(''));
  }
  const { journal, index } = await Journal.open(manifest, { fsyncIntervalMs: 50, ...options.journalOptions });
  const provider = options.provider ?? 'auto';
  const secrets = new Map<ProviderName, string>(Object.entries({ ...SECRETS, ...options.secrets }) as Array<[ProviderName, string]>);
  const server = await startWebhookServer({
    host: '127.0.0.1',
    port: 0,
    writer: new ManifestWriter(journal),
    index,
    provider,
    verify: makeVerifier({ provider, secrets, requireHeader: options.requireHeader }),
    ...options,
  });
  onTestFinished(async () => {
    await server.close(0);
    await journal.close().catch(() => {});
  });
  return { dir, manifest, journal, server, url: server.url, rows: () => readRows(manifest) };
}

/** A manifest row for a job submitted to a provider and still waiting. */
export function submittedRow(jobId: string, target: ProviderName, source = `docs/${jobId}.pdf`): ManifestRow {
  return { job_id: jobId, status: 'submitted', source, sources: [source], sha256: 'a'.repeat(64), target, ts: '2026-01-01T00:00:00.000Z' };
}
