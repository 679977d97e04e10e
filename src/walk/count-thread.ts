/**
 * Counting ahead (count.ts) in a worker thread of its own, so that listing every folder a second time costs the main
 * thread, which plans and journals the walk's files meanwhile, nothing but a message now and then. Same arguments,
 * same answers: the count as it grows, then the final count, or null.
 */
import { Worker } from 'node:worker_threads';
import { distScript } from '../dist-path.js';
import type { CountOptions } from './count.js';

/** What the thread is given: the count's options, without the signal (a message stops it) or standard input. */
export interface CountRequest {
  args: string[];
  options: Omit<CountOptions, 'signal' | 'stdin'>;
}

/** What the thread says: the count as it grows, then its end (null: stopped, or not knowable ahead). */
export type CountMessage = { type: 'count'; inputs: number } | { type: 'done'; inputs: number | null };

/** The thread's entry point, always the built copy (dist-path.ts). */
export const COUNT_WORKER_SCRIPT = distScript('walk/count-worker.js');

/** countInputs() in a worker thread; a thread that fails gives null, as a count that cannot be known ahead. */
export async function countInputsInThread(args: string[], options: CountOptions, onCount: (inputs: number) => void): Promise<number | null> {
  // Paths read from standard input can be read only once, by the walk.
  if (options.stdin && args.includes('-')) return null;
  if (options.signal.aborted) return null;
  const { signal, stdin: _stdin, ...rest } = options;
  const request: CountRequest = { args, options: rest };
  const worker = new Worker(COUNT_WORKER_SCRIPT, { workerData: request });
  let stop = (): void => {};
  try {
    return await new Promise<number | null>((resolve) => {
      stop = () => resolve(null);
      signal.addEventListener('abort', stop, { once: true });
      worker.on('message', (message: CountMessage) => {
        if (signal.aborted) return;
        if (message.type === 'count') onCount(message.inputs);
        else resolve(message.inputs);
      });
      worker.on('error', stop);
      worker.on('exit', stop);
    });
  } finally {
    signal.removeEventListener('abort', stop);
    await worker.terminate();
  }
}
