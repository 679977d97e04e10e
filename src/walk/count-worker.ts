/** The thread of count-thread.ts: runs countInputs() and says what it finds. */
import { parentPort, workerData } from 'node:worker_threads';
import { countInputs } from './count.js';
import type { CountMessage, CountRequest } from './count-thread.js';

const { args, options } = workerData as CountRequest;
const say = (message: CountMessage): void => parentPort!.postMessage(message);
const inputs = await countInputs(args, { ...options, signal: new AbortController().signal }, (n) => say({ type: 'count', inputs: n }));
say({ type: 'done', inputs });
