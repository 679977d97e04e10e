/**
 * Probe threads: worker threads that probe and hash batches of listed files (probe-worker.ts), so that the system
 * calls of a walk over many small files (open, fstat, read, fstat, close each) and their SHA-256 run beside the main
 * thread, which meanwhile plans, journals and reports the files before them. Batches are answered in the order they
 * were sent; the walk keeps listing order by awaiting them in that order (probe-queue.ts).
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { changedError } from './errors.js';
import { distScript } from '../dist-path.js';
import { fileStat, HEAD_BYTES, type Probe } from './probe.js';

/** What a probe thread found for one file of a batch. */
export const ProbeStatus = {
  /** Opening or reading failed: the error's code and message are in `errors`. */
  Failed: 0,
  /** The file changed while it was read, twice. */
  Changed: 1,
  /** Not a regular file (swapped in after the listing): never read. */
  NotFile: 2,
  /** Too large to read whole now: its first HEAD_BYTES, read again in its turn. */
  Head: 3,
  /** Read whole and hashed. */
  Whole: 4,
} as const;

export interface ProbeRequest {
  id: number;
  paths: string[];
}

export interface ProbeReply {
  id: number;
  status: Uint8Array;
  /** The stat size of each file that was opened. */
  sizes: Float64Array;
  /** Bytes of each file in `buffer`, one after another (the whole file, or its head). */
  lengths: Uint32Array;
  /** How long each probe took, for the walk's judgement of the storage. */
  ms: Float64Array;
  errors: Array<{ at: number; code?: string; message: string; errno?: number; syscall?: string }>;
  /** The SHA-256 (hex) of each file read whole, in order, concatenated. */
  digests: string;
  buffer: ArrayBuffer;
}

/**
 * Files sent to a probe thread at once, at most: a message per batch costs about as much as probing a few small files.
 * Batches are made smaller when the files are larger (PROBE_BATCH_BYTES).
 */
export const PROBE_BATCH = 128;
/** Bytes a batch should read, about: batches of files near READ_WHOLE_BYTES stay a few MiB. */
export const PROBE_BATCH_BYTES = 4 * 1024 * 1024;

/** The thread's entry point, always the built copy (dist-path.ts). */
export const PROBE_WORKER_SCRIPT = distScript('walk/probe-worker.js');

/** Probe threads by default: the cores the main thread leaves, at least one, at most two (the disk is shared). */
export function defaultProbeThreads(): number {
  return Math.max(1, Math.min(2, os.availableParallelism() - 1));
}

/** A file as the walk listed it. */
export interface Listed {
  source: string;
  rel: string;
  absPath: string;
}

export class ProbePool {
  private readonly workers: Worker[];
  private readonly waiting = new Map<number, { resolve: (reply: ProbeReply) => void; reject: (err: unknown) => void }>();
  private nextId = 0;
  private failure: unknown = null;

  constructor(threads: number) {
    this.workers = Array.from({ length: threads }, () => {
      const worker = new Worker(PROBE_WORKER_SCRIPT);
      worker.on('message', (reply: ProbeReply) => this.answer(reply));
      worker.on('error', (err) => this.fail(err));
      worker.on('exit', (code) => this.fail(new Error(`probe thread exited (${code})`)));
      worker.unref();
      return worker;
    });
  }

  /** Probes files in a probe thread; rejects only when the thread fails (a bug: the walk then probes inline). */
  async probe(files: Listed[]): Promise<{ probes: Probe[]; ms: Float64Array; bytes: number }> {
    if (this.failure !== null) throw this.failure;
    const id = this.nextId++;
    const reply = await new Promise<ProbeReply>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      // A pending batch keeps the process alive; an idle pool does not.
      if (this.waiting.size === 1) for (const w of this.workers) w.ref();
      const request: ProbeRequest = { id, paths: files.map((f) => f.absPath) };
      this.workers[id % this.workers.length].postMessage(request);
    });
    return { probes: unpack(files, reply), ms: reply.ms, bytes: reply.buffer.byteLength };
  }

  async close(): Promise<void> {
    this.failure ??= new Error('probe pool closed');
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private answer(reply: ProbeReply): void {
    const waiter = this.waiting.get(reply.id);
    this.waiting.delete(reply.id);
    if (this.waiting.size === 0) for (const w of this.workers) w.unref();
    waiter?.resolve(reply);
  }

  private fail(err: unknown): void {
    this.failure ??= err;
    for (const waiter of this.waiting.values()) waiter.reject(err);
    this.waiting.clear();
  }
}

/**
 * Batches that read at most this many bytes hand each file its bytes as a view of the batch's buffer; larger ones copy
 * them out, so that a document held for long never keeps megabytes of other files alive.
 */
export const SHARED_BATCH_BYTES = 1024 * 1024;

/** The probes of a batch, as probeFileSync would have made them, each file's bytes out of the batch's buffer. */
function unpack(files: Listed[], reply: ProbeReply): Probe[] {
  const packed = new Uint8Array(reply.buffer);
  const shared = reply.buffer.byteLength <= SHARED_BATCH_BYTES;
  const errors = new Map(reply.errors.map((e) => [e.at, e]));
  const probes: Probe[] = [];
  let at = 0;
  let digest = 0;
  for (let i = 0; i < files.length; i++) {
    const { source, rel, absPath } = files[i];
    const status = reply.status[i];
    if (status === ProbeStatus.Failed) {
      const e = errors.get(i)!;
      probes.push({ source, rel, absPath, error: Object.assign(new Error(e.message), { code: e.code, errno: e.errno, syscall: e.syscall }) });
      continue;
    }
    if (status === ProbeStatus.Changed) {
      probes.push({ source, rel, absPath, error: changedError(source) });
      continue;
    }
    const stat = fileStat(reply.sizes[i], status !== ProbeStatus.NotFile);
    if (status === ProbeStatus.NotFile) {
      probes.push({ source, rel, absPath, stat });
      continue;
    }
    const bytes = shared ? Buffer.from(reply.buffer, at, reply.lengths[i]) : Buffer.from(packed.subarray(at, at + reply.lengths[i]));
    at += reply.lengths[i];
    if (status === ProbeStatus.Head) {
      probes.push({ source, rel, absPath, stat, head: bytes });
      continue;
    }
    const sha256 = reply.digests.slice(digest * 64, digest * 64 + 64);
    digest++;
    probes.push({ source, rel, absPath, stat, head: bytes.subarray(0, HEAD_BYTES), data: bytes, sha256 });
  }
  return probes;
}
