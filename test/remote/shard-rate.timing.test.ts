/**
 * Timing-sensitive (run alone, after the other tests, as rate.timing.test.ts is): three shards of one batch at once,
 * three processes sharing one API key, against one provider that admits R requests a second plus the burst. Each
 * shard paces itself by 1/3 of --rps, --burst and --concurrency (README "Running on many machines"), so together
 * they never put more than R + burst requests into one second at the provider, and are never answered 429.
 */
import { describe, expect, it } from 'vitest';
import { maxRequestsInWindow } from '../fakes/index.js';
import { spawnOcrq } from '../helpers/spawn.js';
import { apiRequests, setupMany } from './remote-setup.js';

const R = 30;
const BURST = 3;
const SHARDS = 3;
const DOCUMENTS = 120;

describe('--shard K/3 against one provider limited to R requests a second', () => {
  it(`three shards at once with --rps ${R} --burst ${BURST}: no second over R + burst at the provider, no 429`, async () => {
    // The provider admits R + BURST requests in any sliding second: exactly what the three shards promise together.
    const { dir, fake, args } = await setupMany(DOCUMENTS, { rateLimit: { rps: R, burst: BURST + 1 }, latencyMs: 50 });
    const common = args.slice(1).filter((a, i, all) => a !== '--out' && all[i - 1] !== '--out');
    const runs = Array.from({ length: SHARDS }, (_, k) =>
      spawnOcrq(['submit', ...common, '--shard', `${k}/${SHARDS}`, '--out', `shard-${k}.jsonl`, '--rps', String(R), '--burst', String(BURST), '--concurrency', '12'], { cwd: dir }).exited,
    );
    const results = await Promise.all(runs);
    let completed = 0;
    for (const [k, r] of results.entries()) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr.split('\n')).toContain(`ocrq: shard ${k}/${SHARDS}: using 1/${SHARDS} of the provider budget: --rps 10, --burst 1, --concurrency 4`);
      const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
      expect(summary).toMatchObject({ shard: `${k}/${SHARDS}`, failed: 0, pending: 0 });
      completed += summary.completed;
    }
    expect(completed).toBe(DOCUMENTS);

    const requests = apiRequests(fake);
    expect(requests.filter((r) => r.status === 429)).toEqual([]);
    const worst = maxRequestsInWindow(requests, 1000);
    expect(worst).toBeLessThanOrEqual(R + BURST);
    // While all three run, they use the budget: the busiest stretch of 3 s holds most of what R allows.
    const busiest = maxRequestsInWindow(requests, 3000);
    expect(busiest / 3).toBeGreaterThanOrEqual(0.75 * R);
    process.stderr.write(`shard-rate: ${requests.length} requests, worst 1 s window ${worst} (limit ${R + BURST}), busiest 3 s ${(busiest / 3).toFixed(1)}/s\n`);
  }, 120_000);
});
