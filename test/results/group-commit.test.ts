import { fstatSync } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { ManifestWriter } from '../../src/manifest/writer.js';
import { ocrqueenCompleted, ocrqueenHeaders, post, startHarness } from './webhook-helpers.js';

/**
 * Watches every fsync of the process: the bytes each one covers (the file's size when it starts), which of them have
 * completed, and lets a test hold the next one in flight.
 */
async function watchFsyncs(dir: string) {
  const probe = await fs.open(path.join(dir, 'probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as { sync: (this: FileHandle) => Promise<void> };
  await probe.close();
  const real = proto.sync;
  const started: number[] = [];
  const state = { durableBytes: 0, hold: null as Promise<void> | null };
  const sync = vi.spyOn(proto, 'sync').mockImplementation(async function (this: FileHandle) {
    const covered = fstatSync(this.fd).size;
    started.push(covered);
    const hold = state.hold;
    state.hold = null;
    if (hold) await hold;
    await real.call(this);
    state.durableBytes = Math.max(state.durableBytes, covered);
  });
  onTestFinished(() => sync.mockRestore());
  return { started, state };
}

/** Byte offset just past each job's line in the manifest. */
async function lineEnds(manifest: string): Promise<Map<string, number>> {
  const text = await fs.readFile(manifest);
  const ends = new Map<string, number>();
  let start = 0;
  for (let end = text.indexOf(10); end !== -1; start = end + 1, end = text.indexOf(10, start)) {
    const row = JSON.parse(text.subarray(start, end).toString('utf8')) as { job_id: string };
    ends.set(row.job_id, end + 1);
  }
  return ends;
}

describe('webhook receiver: group commit (real HTTP)', () => {
  it('deliveries that arrive during an fsync are answered only once a later fsync covers their rows, and share it', async () => {
    const h = await startHarness({ provider: 'ocrqueen' });
    const fsyncs = await watchFsyncs(h.dir);
    const appended = vi.spyOn(ManifestWriter.prototype, 'appendDurable');
    onTestFinished(() => appended.mockRestore());
    let release!: () => void;
    fsyncs.state.hold = new Promise<void>((resolve) => (release = resolve));
    // A failing assertion must not leave the fsync held: closing the journal waits for it.
    onTestFinished(() => release());

    // Each answer notes how many bytes of the manifest were durable when it arrived.
    const ackedAt = new Map<string, number>();
    const deliver = (jobId: string) => {
      const body = ocrqueenCompleted(jobId, `text of ${jobId} `.repeat(40));
      return post(h.url, body, ocrqueenHeaders(body)).then((answer) => {
        ackedAt.set(jobId, fsyncs.state.durableBytes);
        return answer;
      });
    };
    const first = deliver('job_first');
    await vi.waitFor(() => expect(fsyncs.started).toHaveLength(1));
    const later = Array.from({ length: 20 }, (_, i) => deliver(`job_${i}`));
    // Every later delivery has been verified and handed to the journal while the first fsync is still running.
    await vi.waitFor(() => expect(appended).toHaveBeenCalledTimes(21));
    expect(ackedAt.size).toBe(0);
    expect(fsyncs.started).toHaveLength(1);

    release();
    const answers = await Promise.all([first, ...later]);
    expect(answers.map((a) => a.status)).toEqual(Array(21).fill(200));
    // The 20 rows written while the first fsync ran went out in one group: one more fsync, covering all of them.
    const ends = await lineEnds(h.manifest);
    expect(ends.size).toBe(21);
    expect(fsyncs.started).toEqual([ends.get('job_first'), Math.max(...ends.values())]);
    for (const [jobId, end] of ends) expect(ackedAt.get(jobId), jobId).toBeGreaterThanOrEqual(end);
  });

  it('a burst of 200 deliveries over 50 connections: every 2xx arrives after an fsync that covers its row', async () => {
    const h = await startHarness({ provider: 'ocrqueen' });
    const fsyncs = await watchFsyncs(h.dir);
    const ackedAt = new Map<string, number>();
    let next = 0;
    const sender = async () => {
      while (next < 200) {
        const jobId = `job_${next++}`;
        const body = ocrqueenCompleted(jobId, `text of ${jobId} `.repeat(40));
        const answer = await post(h.url, body, ocrqueenHeaders(body));
        expect(answer.status).toBe(200);
        ackedAt.set(jobId, fsyncs.state.durableBytes);
      }
    };
    await Promise.all(Array.from({ length: 50 }, sender));
    const ends = await lineEnds(h.manifest);
    expect(ends.size).toBe(200);
    for (const [jobId, end] of ends) expect(ackedAt.get(jobId), jobId).toBeGreaterThanOrEqual(end);
    // Grouped: far fewer fsyncs than deliveries.
    expect(fsyncs.started.length).toBeLessThan(200);
  });
});
