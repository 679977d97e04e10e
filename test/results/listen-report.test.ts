import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { ListenReporter, type ListenSummary } from '../../src/results/listen-report.js';
import type { JobDelivery } from '../../src/results/payloads.js';

/** A stream that keeps each write(): how many writes, not only what, is under test. */
function recordingStream(): { stream: Writable; writes: string[] } {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      writes.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream, writes };
}

const delivery = (jobId: string): JobDelivery => ({ kind: 'job', provider: 'ocrqueen', jobId, eventId: `evt_${jobId}`, status: 'completed', text: 'x' });

const summary: ListenSummary = {
  exitCode: 130,
  url: 'http://127.0.0.1:1',
  deliveries: 3,
  stored: 3,
  duplicates: 0,
  conflicts: 0,
  unmatched: 0,
  events: 0,
  rejected: 0,
  failed: 0,
  pending: null,
  interrupted: true,
  timedOut: false,
};

const types = (writes: string[]) => writes.map((w) => w.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { type: string }).type));

describe('ListenReporter --json', () => {
  it('writes the ready line (with warnings held for it) at once, deliveries in one later write, the summary at once', async () => {
    const out = recordingStream();
    const err = recordingStream();
    const reporter = new ListenReporter('json', out.stream, err.stream);
    reporter.warning('found before the ready line');
    expect(out.writes).toEqual([]);
    reporter.ready('http://127.0.0.1:1', 'provider ocrqueen');
    expect(types(out.writes)).toEqual([['ready', 'warning']]);

    for (const job of ['a', 'b', 'c']) reporter.delivery(delivery(job), 'stored');
    expect(out.writes).toHaveLength(1);
    await vi.waitFor(() => expect(out.writes).toHaveLength(2));
    expect(types(out.writes)[1]).toEqual(['delivery', 'delivery', 'delivery']);
    expect(out.writes[1].split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { job_id: string }).job_id)).toEqual(['a', 'b', 'c']);

    reporter.delivery(delivery('d'), 'duplicate');
    reporter.summary(summary);
    expect(types(out.writes)).toEqual([['ready', 'warning'], ['delivery', 'delivery', 'delivery'], ['delivery', 'summary']]);
    expect(err.writes).toEqual([]);
  });

  it('abandon(), called whenever listen ends, writes the lines still held', () => {
    const out = recordingStream();
    const reporter = new ListenReporter('json', out.stream, recordingStream().stream);
    reporter.ready('http://127.0.0.1:1', 'provider ocrqueen');
    reporter.rejected({ status: 401, reason: 'wrong signature', provider: 'ocrqueen' });
    reporter.abandon();
    expect(types(out.writes)).toEqual([['ready'], ['rejected']]);
  });
});
