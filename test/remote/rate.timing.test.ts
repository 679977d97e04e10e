/**
 * Timing-sensitive: run by `npm test` after the other tests, alone, because a CPU shared with OCR workers delays
 * timers and would measure the machine rather than the rate limiter.
 */
import { describe, expect, it } from 'vitest';
import { run } from '../../src/main.js';
import { maxRequestsInWindow } from '../fakes/index.js';
import { captureIo } from '../helpers/io.js';
import { apiRequests, setupMany, summaryOf } from './remote-setup.js';

describe('remote rate budget', () => {
  it('300 documents at --rps 100 against a server limited to 100/s with 100 ms latency: no window over rps + burst, no 429', async () => {
    // The server admits rps + burst (101) requests per sliding second, exactly the bound --rps 100 --burst 1 promises.
    const { dir, fake, args } = await setupMany(300, { rateLimit: { rps: 100, burst: 2 }, latencyMs: 100 });
    const io = captureIo(dir);
    expect(await run([...args, '--rps', '100', '--burst', '1', '--concurrency', '32'], io.deps), io.stderr()).toBe(0);
    const requests = apiRequests(fake);
    expect(requests.filter((r) => r.status === 429)).toEqual([]);
    expect(maxRequestsInWindow(requests, 1000)).toBeLessThanOrEqual(101);
    expect(summaryOf(io.stdout())).toMatchObject({ completed: 300, failed: 0 });
    const span = (requests.at(-1)!.at - requests[0].at) / 1000;
    // The bar for this run: at least 90% of the limit (the benchmark measures the finer figure).
    expect((requests.length - 1) / span).toBeGreaterThanOrEqual(90);
  }, 60_000);

});
