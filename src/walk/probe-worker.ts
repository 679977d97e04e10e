/**
 * A probe thread (probe-pool.ts): probes listed files with the walk's own synchronous probe (probe.ts) and hashes
 * the small ones it reads whole, off the main thread. Each request is a batch of paths; the answer holds, per file,
 * what the probe found and how long it took, with every byte read packed into one transferred buffer.
 */
import { hash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
import { DocumentError } from '../errors.js';
import { probeFileSync } from './probe.js';
import { ProbeStatus, type ProbeReply, type ProbeRequest } from './probe-pool.js';

function probeBatch({ id, paths }: ProbeRequest): ProbeReply {
  const n = paths.length;
  const status = new Uint8Array(n);
  const sizes = new Float64Array(n);
  const lengths = new Uint32Array(n);
  const ms = new Float64Array(n);
  const errors: ProbeReply['errors'] = [];
  const digests: string[] = [];
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    const probe = probeFileSync('', '', paths[i]);
    ms[i] = performance.now() - started;
    if (probe.error !== undefined) {
      if (probe.error instanceof DocumentError) status[i] = ProbeStatus.Changed;
      else {
        const e = probe.error as NodeJS.ErrnoException;
        status[i] = ProbeStatus.Failed;
        errors.push({ at: i, code: e?.code, message: e?.message ?? String(e), errno: e?.errno, syscall: e?.syscall });
      }
      continue;
    }
    const stat = probe.stat!;
    sizes[i] = stat.size;
    const bytes = probe.data ?? probe.head;
    if (!stat.isFile() || !bytes) {
      status[i] = ProbeStatus.NotFile;
      continue;
    }
    status[i] = probe.data ? ProbeStatus.Whole : ProbeStatus.Head;
    if (probe.data) digests.push(hash('sha256', probe.data, 'hex'));
    lengths[i] = bytes.length;
    chunks.push(bytes);
    total += bytes.length;
  }
  const buffer = new ArrayBuffer(total);
  const packed = new Uint8Array(buffer);
  let at = 0;
  for (const chunk of chunks) {
    packed.set(chunk, at);
    at += chunk.length;
  }
  return { id, status, sizes, lengths, ms, errors, digests: digests.join(''), buffer };
}

parentPort!.on('message', (request: ProbeRequest) => {
  const reply = probeBatch(request);
  parentPort!.postMessage(reply, [reply.buffer]);
});
