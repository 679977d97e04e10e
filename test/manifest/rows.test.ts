/**
 * The row builders encode the fold rule (README "The manifest"): no builder writes null (unknown values are left out;
 * the one exception is a skipped row's sha256 for content never read), every line about a document's content carries
 * its sha256 and all its sources with `source` first, and bookkeeping lines end `superseded`.
 */
import { describe, expect, it } from 'vitest';
import type { DocumentFailure } from '../../src/errors.js';
import {
  attemptRow,
  attemptTakenBackRow,
  completedRow,
  deliveryConflictRow,
  deliveryRow,
  failedRow,
  intentRow,
  skippedRow,
  sourcesRow,
  submittedRow,
  supersededRow,
  type ContentLine,
  type Row,
} from '../../src/manifest/rows.js';
import { ManifestWriter } from '../../src/manifest/writer.js';
import { ResumeIndex } from '../../src/manifest/resume-index.js';
import type { ManifestRow } from '../../src/manifest/types.js';
import { DeliveryStore } from '../../src/results/delivery-store.js';

const SHA = 'ab'.repeat(32);
const TS = '2026-01-02T03:04:05.000Z';
const line = (jobId = 'job_1', sources = ['docs/a.pdf', 'copy/a.pdf']): ContentLine => ({ jobId, sources, sha256: SHA, target: 'ocrqueen', ts: TS });
const doc = { type: 'pdf' as const, bytes: 1234 };
const error: DocumentFailure = { code: 'OCR_FAILED', message: 'docs/a.pdf: no text', category: 'engine' };

/** Every content builder, given a line whose unknown values are undefined or null where the types allow it. */
const contentRows: Array<[string, Row, string]> = [
  ['attempt', attemptRow(line(), doc, 1), 'processing'],
  ['attempt taken back', attemptTakenBackRow(line(), 0), 'processing'],
  ['intent', intentRow(line('intent_x'), doc, 'ocrq-k'), 'submitted'],
  ['submitted without a provider status', submittedRow(line(), doc, { idempotencyKey: 'ocrq-k', providerStatus: undefined }), 'submitted'],
  ['superseded intent', supersededRow(line('intent_x'), doc, 'job_1'), 'superseded'],
  ['completed without text', completedRow(line(), doc, { pages: 2, result: null, text: undefined, elapsedMs: 5 }), 'completed'],
  ['failed without pages', failedRow(line(), doc, { error, pages: undefined, elapsedMs: undefined }), 'failed'],
  ['sources update', sourcesRow(line(), 'completed'), 'completed'],
];

function nullKeys(row: Record<string, unknown>): string[] {
  return Object.entries(row)
    .filter(([, value]) => value === null || value === undefined)
    .map(([key]) => key);
}

describe('row builders', () => {
  it.each(contentRows)('%s: no null or undefined field, sha256 and every source, source first', (_name, row, status) => {
    expect(nullKeys(row)).toEqual([]);
    expect(row).toMatchObject({ job_id: expect.any(String), status, source: 'docs/a.pdf', sources: ['docs/a.pdf', 'copy/a.pdf'], sha256: SHA, target: 'ocrqueen', ts: TS });
    // A plain JSON round trip keeps everything: nothing a reader's merge could miss.
    expect(JSON.parse(JSON.stringify(row))).toEqual(row);
  });

  it('leaves out what it was not told, rather than writing null', () => {
    expect(submittedRow(line(), doc, { idempotencyKey: 'k' })).not.toHaveProperty('provider_status');
    expect(submittedRow(line(), doc, { idempotencyKey: 'k', providerStatus: 'queued' })).toMatchObject({ provider_status: 'queued' });
    const completed = completedRow(line(), doc, { pages: 2, result: null, elapsedMs: 5 });
    expect(completed).not.toHaveProperty('result');
    expect(completed).not.toHaveProperty('text');
    expect(completed).not.toHaveProperty('text_path');
    const failed = failedRow(line(), doc, { error });
    expect(failed).not.toHaveProperty('pages');
    expect(failed).not.toHaveProperty('elapsed_ms');
    expect(attemptTakenBackRow(line(), 0)).not.toHaveProperty('type');
  });

  it('writes the outcome fields it is given, and the document facts on the lines that describe the bytes', () => {
    expect(completedRow(line(), doc, { pages: 2, result: { engine: 'x' }, text: 'a\fb', elapsedMs: 5, textPath: 'r/job_1.txt' })).toEqual({
      job_id: 'job_1',
      status: 'completed',
      source: 'docs/a.pdf',
      sources: ['docs/a.pdf', 'copy/a.pdf'],
      sha256: SHA,
      target: 'ocrqueen',
      ts: TS,
      type: 'pdf',
      mime: 'application/pdf',
      bytes: 1234,
      elapsed_ms: 5,
      pages: 2,
      result: { engine: 'x' },
      text: 'a\fb',
      text_path: 'r/job_1.txt',
    });
    expect(attemptRow(line(), doc, 2)).toMatchObject({ unfinished_attempts: 2, type: 'pdf', mime: 'application/pdf', bytes: 1234 });
    expect(attemptTakenBackRow(line(), 1)).toMatchObject({ unfinished_attempts: 1 });
    expect(intentRow(line('intent_x'), doc, 'ocrq-k')).toMatchObject({ job_id: 'intent_x', status: 'submitted', idempotency_key: 'ocrq-k' });
    expect(failedRow(line(), doc, { error, pages: 3, elapsedMs: 9 })).toMatchObject({ error, pages: 3, elapsed_ms: 9 });
  });

  it('ends bookkeeping with the status superseded and the job that replaced it', () => {
    expect(supersededRow(line('intent_x'), doc, 'job_1')).toMatchObject({ job_id: 'intent_x', status: 'superseded', superseded_by: 'job_1' });
  });

  it('copies the sources it is given: a list that grows later does not change a built row', () => {
    const sources = ['a.pdf'];
    const row = sourcesRow(line('job_1', sources), 'completed');
    sources.push('b.pdf');
    expect(row.sources).toEqual(['a.pdf']);
  });

  it('skipped rows carry every source; sha256 is null only for content never read', () => {
    const unread = skippedRow({ jobId: 'skip_1', sources: ['big.pdf'], sha256: null, target: 'local', ts: TS, error });
    expect(nullKeys(unread)).toEqual(['sha256']);
    expect(unread).toMatchObject({ status: 'skipped', source: 'big.pdf', sources: ['big.pdf'], error });
    const read = skippedRow({ jobId: 'skip_2', sources: ['a.txt', 'b.txt'], sha256: SHA, target: 'local', ts: TS, error });
    expect(nullKeys(read)).toEqual([]);
    expect(read).toMatchObject({ source: 'a.txt', sources: ['a.txt', 'b.txt'], sha256: SHA });
  });

  it('delivery rows: via webhook, sha256 and source only when known, never null', () => {
    const known = deliveryRow({ jobId: 'job_1', status: 'completed', provider: 'ocrqueen', sources: ['docs/a.pdf'], sha256: SHA, ts: TS, eventId: 'evt_1' }, { text: 'hi', pages: 1 });
    expect(nullKeys(known)).toEqual([]);
    expect(known).toEqual({ job_id: 'job_1', status: 'completed', source: 'docs/a.pdf', sources: ['docs/a.pdf'], sha256: SHA, target: 'ocrqueen', ts: TS, via: 'webhook', event_id: 'evt_1', text: 'hi', pages: 1 });

    const stranger = deliveryRow({ jobId: 'job_2', status: 'failed', provider: 'docextract', sources: [], sha256: null, ts: TS, eventId: null }, { error, result: null });
    expect(nullKeys(stranger)).toEqual([]);
    expect(stranger).toEqual({ job_id: 'job_2', status: 'failed', sources: [], target: 'docextract', ts: TS, via: 'webhook', error });
  });

  it('a conflicting delivery keeps the current status and puts the new outcome under conflict only', () => {
    const row = deliveryConflictRow(
      { jobId: 'job_1', status: 'completed', provider: 'ocrqueen', sources: ['docs/a.pdf'], sha256: SHA, ts: TS },
      { status: 'failed', eventId: 'evt_2', error, text: undefined },
    );
    expect(nullKeys(row)).toEqual([]);
    expect(row).toEqual({
      job_id: 'job_1',
      status: 'completed',
      source: 'docs/a.pdf',
      sources: ['docs/a.pdf'],
      sha256: SHA,
      target: 'ocrqueen',
      ts: TS,
      via: 'webhook',
      conflict: { status: 'failed', event_id: 'evt_2', error },
    });
    expect(row).not.toHaveProperty('event_id');
  });
});

describe('ManifestWriter', () => {
  function memoryWriter() {
    const rows: ManifestRow[] = [];
    let syncs = 0;
    const writer = new ManifestWriter({
      append: async (row) => void rows.push(row),
      syncWritten: async () => void syncs++,
    });
    return { writer, rows, syncs: () => syncs };
  }

  it("a document's lines carry its facts and every source gathered so far", async () => {
    const { writer, rows } = memoryWriter();
    let clock = Date.parse(TS);
    const journal = writer.openDocument({ sha256: SHA, type: 'png', bytes: 10, target: 'leapocr' }, ['a.png'], () => clock);
    await journal.intent('intent_1', 'ocrq-k');
    journal.addSource('b.png');
    journal.addSource('a.png');
    clock += 1000;
    await journal.submitted('job_9', 'ocrq-k', 'queued');
    await journal.superseded('intent_1', 'job_9');
    expect(rows).toEqual([
      { job_id: 'intent_1', status: 'submitted', source: 'a.png', sources: ['a.png'], sha256: SHA, target: 'leapocr', ts: TS, type: 'png', mime: 'image/png', bytes: 10, idempotency_key: 'ocrq-k' },
      { job_id: 'job_9', status: 'submitted', source: 'a.png', sources: ['a.png', 'b.png'], sha256: SHA, target: 'leapocr', ts: '2026-01-02T03:04:06.000Z', type: 'png', mime: 'image/png', bytes: 10, idempotency_key: 'ocrq-k', provider_status: 'queued' },
      { job_id: 'intent_1', status: 'superseded', source: 'a.png', sources: ['a.png', 'b.png'], sha256: SHA, target: 'leapocr', ts: '2026-01-02T03:04:06.000Z', type: 'png', mime: 'image/png', bytes: 10, superseded_by: 'job_9' },
    ]);
  });

  it('knows the document in progress behind each of its job ids until it is closed', async () => {
    const { writer } = memoryWriter();
    const journal = writer.openDocument({ sha256: SHA, type: 'pdf', bytes: 1, target: 'ocrqueen' }, ['a.pdf'], Date.now);
    journal.claim('job_from_an_earlier_run');
    await journal.submitted('job_1', 'k');
    journal.addSource('b.pdf');
    expect(writer.documentFor('job_1')).toMatchObject({ sha256: SHA, sources: ['a.pdf', 'b.pdf'] });
    expect(writer.documentFor('job_from_an_earlier_run')?.sha256).toBe(SHA);
    expect(writer.documentFor('job_2')).toBeUndefined();
    journal.close();
    expect(writer.documentFor('job_1')).toBeUndefined();
    expect(writer.documentFor('job_from_an_earlier_run')).toBeUndefined();
  });

  it("a delivery for a document in progress is written with that document's sha256 and sources", async () => {
    const { writer, rows, syncs } = memoryWriter();
    const index = new ResumeIndex();
    const journal = writer.openDocument({ sha256: SHA, type: 'pdf', bytes: 1, target: 'ocrqueen' }, ['a.pdf'], Date.now);
    await journal.submitted('job_1', 'k');
    index.update(rows[0]);
    journal.addSource('b.pdf');
    const store = new DeliveryStore({ writer, index, now: () => Date.parse(TS) });
    const delivery = { kind: 'job' as const, provider: 'ocrqueen' as const, jobId: 'job_1', eventId: 'evt_1', status: 'completed' as const, text: 'hello' };
    expect(await store.record(delivery, false)).toBe('stored');
    expect(rows[1]).toEqual({ job_id: 'job_1', status: 'completed', source: 'a.pdf', sources: ['a.pdf', 'b.pdf'], sha256: SHA, target: 'ocrqueen', ts: TS, via: 'webhook', event_id: 'evt_1', text: 'hello' });
    expect(syncs()).toBe(1);

    // Once the document is done here, a delivery gets what the manifest knows (no hash without sha256Of).
    journal.close();
    index.update(rows[1]);
    expect(await store.record({ ...delivery, eventId: 'evt_2', text: 'other' }, false)).toBe('conflict');
    expect(rows[2]).toMatchObject({ job_id: 'job_1', status: 'completed', sources: ['a.pdf', 'b.pdf'], conflict: { status: 'completed', text: 'other' } });
    expect(rows[2]).not.toHaveProperty('sha256');
  });

  it('a discarding writer (dry run) accepts rows and writes nothing', async () => {
    const writer = ManifestWriter.discarding();
    await expect(writer.append(sourcesRow(line(), 'completed'))).resolves.toBeUndefined();
    await expect(writer.syncWritten()).resolves.toBeUndefined();
  });

  it('syncWritten reaches the journal', async () => {
    const { writer, syncs } = memoryWriter();
    await writer.syncWritten();
    expect(syncs()).toBe(1);
  });
});
