/**
 * A probe thread (probe-pool.ts): probes listed files with the walk's own synchronous probe (probe.ts) and hashes
 * the small ones it reads whole, off the main thread. Each request is a batch of paths; the answer holds, per file,
 * what the probe found and how long it took, with every byte read in one transferred buffer.
 */
import { hash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import { readProbe, type ProbeRoom } from './probe.js';
import { PROBE_BATCH_BYTES, ProbeStatus, type ProbeReply, type ProbeRequest } from './probe-pool.js';

/**
 * The files of a batch are read straight into this buffer, one after another, and the batch's share is copied out
 * once. It grows for a batch of larger files and is let go after one that needed more than PROBE_BATCH_BYTES.
 */
const SCRATCH_BYTES = 1024 * 1024;
let scratch = new Uint8Array(SCRATCH_BYTES);

function probeBatch({ id, paths }: ProbeRequest): ProbeReply {
  const n = paths.length;
  const status = new Uint8Array(n);
  const sizes = new Float64Array(n);
  const lengths = new Uint32Array(n);
  const ms = new Float64Array(n);
  const errors: ProbeReply['errors'] = [];
  const digests: string[] = [];
  let total = 0;
  const room: ProbeRoom = (bytes) => {
    if (total + bytes > scratch.length) {
      const grown = new Uint8Array(Math.max(scratch.length * 2, total + bytes));
      grown.set(scratch.subarray(0, total));
      scratch = grown;
    }
    return { buffer: scratch, at: total };
  };
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    const probe = readProbe(paths[i], room);
    ms[i] = performance.now() - started;
    switch (probe.kind) {
      case 'failed': {
        const e = probe.error as NodeJS.ErrnoException;
        status[i] = ProbeStatus.Failed;
        errors.push({ at: i, code: e?.code, message: e?.message ?? String(e), errno: e?.errno, syscall: e?.syscall });
        continue;
      }
      case 'changed':
        status[i] = ProbeStatus.Changed;
        continue;
      case 'not-file':
        status[i] = ProbeStatus.NotFile;
        sizes[i] = probe.size;
        continue;
    }
    sizes[i] = probe.size;
    lengths[i] = probe.length;
    if (probe.kind === 'whole') {
      status[i] = ProbeStatus.Whole;
      digests.push(hash('sha256', scratch.subarray(total, total + probe.length), 'hex'));
    } else status[i] = ProbeStatus.Head;
    total += probe.length;
  }
  const buffer = scratch.buffer.slice(0, total);
  if (scratch.length > PROBE_BATCH_BYTES) scratch = new Uint8Array(SCRATCH_BYTES);
  return { id, status, sizes, lengths, ms, errors, digests: digests.join(''), buffer };
}

parentPort!.on('message', (request: ProbeRequest) => {
  const reply = probeBatch(request);
  parentPort!.postMessage(reply, [reply.buffer]);
});
