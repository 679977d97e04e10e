import { describe, expect, it } from 'vitest';
import {
  DOCEXTRACT_WEBHOOK_SCHEDULE,
  LEAPOCR_WEBHOOK_SCHEDULE,
  OCRQUEEN_WEBHOOK_SCHEDULE,
  PROCESS_JOB_WEBHOOK_SCHEDULE,
  QOMPLEMENT_WEBHOOK_SCHEDULE,
  type ProviderName,
} from './index.js';
import { pdf, useFake } from './test-helpers.js';
import { deliverJob, SUBMIT, useReceiver } from './webhook-test-helpers.js';

/** Each schedule, and a scale that plays the whole of it in well under a second. */
const CASES: Array<{ name: ProviderName; schedule: number[]; scale: number }> = [
  { name: 'ocrqueen', schedule: OCRQUEEN_WEBHOOK_SCHEDULE, scale: 0.005 }, // 5, 25, 125 ms
  { name: 'leapocr', schedule: LEAPOCR_WEBHOOK_SCHEDULE, scale: 0.002 }, // 2, 10, 60, 240 ms
  { name: 'docextract', schedule: DOCEXTRACT_WEBHOOK_SCHEDULE, scale: 0.0001 }, // 1, 3, 12, 60, 360 ms
  { name: 'qomplement', schedule: QOMPLEMENT_WEBHOOK_SCHEDULE, scale: 0.01 }, // 50, 100 ms
  { name: 'process-job', schedule: PROCESS_JOB_WEBHOOK_SCHEDULE, scale: 0.01 }, // 50, 300 ms
];

describe('the published schedules', () => {
  it('are the contracts’ delays (LeapOCR and process-job assumed)', () => {
    const s = 1000;
    expect(OCRQUEEN_WEBHOOK_SCHEDULE).toEqual([0, 1 * s, 5 * s, 25 * s]);
    expect(DOCEXTRACT_WEBHOOK_SCHEDULE).toEqual([0, 5 * s, 30 * s, 120 * s, 600 * s, 3600 * s]);
    expect(QOMPLEMENT_WEBHOOK_SCHEDULE).toEqual([0, 5 * s, 10 * s]);
    expect(LEAPOCR_WEBHOOK_SCHEDULE).toEqual([0, 1 * s, 5 * s, 30 * s, 120 * s]);
    expect(PROCESS_JOB_WEBHOOK_SCHEDULE).toEqual([0, 5 * s, 30 * s]);
  });
});

describe.each(CASES)('$name delivery', ({ name, schedule, scale }) => {
  it('retries after a 500 with the same bytes, then stops at the 2xx', async () => {
    const hook = await useReceiver((n) => (n === 1 ? 500 : 200));
    const { fake, jobId } = await deliverJob(name, hook.url, pdf(`${name}-retry`).data, { webhooks: { scheduleScale: scale } });
    expect(fake.deliveries.map((d) => [d.attempt, d.status])).toEqual([
      [1, 500],
      [2, 200],
    ]);
    expect(fake.deliveries.every((d) => d.jobId === jobId && d.deliveryId === fake.deliveries[0].deliveryId)).toBe(true);
    expect(hook.received).toHaveLength(2);
    expect(hook.received[1].body.equals(hook.received[0].body)).toBe(true);
    if (name === 'ocrqueen') {
      expect(hook.received.map((r) => r.headers['ocrqueen-attempt'])).toEqual(['1', '2']);
      expect(hook.received[1].headers['ocrqueen-delivery-id']).toBe(hook.received[0].headers['ocrqueen-delivery-id']);
      expect(hook.received[1].headers['ocrqueen-signature']).toBe(hook.received[0].headers['ocrqueen-signature']);
    }
  });

  it('follows the scaled schedule through every attempt, then gives up', async () => {
    const hook = await useReceiver(() => 500);
    const { fake } = await deliverJob(name, hook.url, pdf(`${name}-schedule`).data, { webhooks: { scheduleScale: scale } });
    expect(fake.deliveries.map((d) => d.attempt)).toEqual(schedule.map((_, i) => i + 1));
    expect(hook.received).toHaveLength(schedule.length);
    for (let i = 1; i < schedule.length; i++) {
      const gap = fake.deliveries[i].at - fake.deliveries[i - 1].at;
      const due = Math.round(schedule[i] * scale);
      expect(gap, `gap before attempt ${i + 1}`).toBeGreaterThanOrEqual(due - 2);
      expect(gap, `gap before attempt ${i + 1}`).toBeLessThan(due + 500);
    }
  });

  it('drop skips an attempt and the schedule goes on; duplicate resends a delivery unchanged', async () => {
    const hook = await useReceiver();
    const seen: Array<[string, number]> = [];
    const drop = (d: { id: string }, attempt: number) => {
      seen.push([d.id, attempt]);
      return attempt === 1;
    };
    const { fake } = await deliverJob(name, hook.url, pdf(`${name}-drop`).data, { webhooks: { scheduleScale: scale, drop, duplicate: 2 } });
    expect(fake.deliveries.map((d) => [d.attempt, d.status, !!d.dropped, !!d.duplicate])).toEqual([
      [1, null, true, false],
      [2, 200, false, false],
      [2, 200, false, true],
      [2, 200, false, true],
    ]);
    expect(seen.map(([, a]) => a)).toEqual([1, 2]);
    expect(seen[0][0]).toBe(seen[1][0]);
    expect(hook.received).toHaveLength(3);
    for (const r of hook.received.slice(1)) {
      expect(r.body.equals(hook.received[0].body)).toBe(true);
      expect(r.headers).toEqual({ ...hook.received[0].headers });
    }
  });
});

describe('webhook sending', () => {
  it('a transport error is retried; close() cancels what is still scheduled', async () => {
    const hook = await useReceiver(() => 503);
    const dead = 'http://127.0.0.1:9/nobody';
    const fake = await useFake('docextract', { progress: { ms: 0 }, webhooks: { url: dead, scheduleScale: 0.0001 } });
    await SUBMIT.docextract(fake, pdf('dead').data);
    await fake.webhooksIdle();
    expect(fake.deliveries).toHaveLength(6);
    expect(fake.deliveries.every((d) => d.status === null && d.error)).toBe(true);

    // The real schedule: attempt 2 would wait 5 s, so closing must not wait for it.
    fake.setOptions({ webhooks: { url: hook.url } });
    await SUBMIT.docextract(fake, pdf('closing').data);
    while (fake.deliveries[6]?.status !== 503) await new Promise((r) => setTimeout(r, 5));
    const idle = fake.webhooksIdle();
    const started = performance.now();
    await fake.close();
    await idle;
    expect(performance.now() - started).toBeLessThan(1000);
    expect(fake.deliveries.slice(6).map((d) => d.status)).toEqual([503]);
  });

  it('a receiver that never answers times out after timeoutMs and is retried', async () => {
    const hook = await useReceiver();
    const http = await import('node:http');
    const silent = http.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const fake = await useFake('qomplement', { progress: { ms: 0 }, webhooks: { timeoutMs: 50, scheduleScale: 0.001 } });
      await SUBMIT.qomplement(fake, pdf('slow').data, `http://127.0.0.1:${port}/x`);
      await fake.webhooksIdle();
      expect(fake.deliveries.map((d) => d.status)).toEqual([null, null, null]);
      expect(fake.deliveries[0].error).toMatch(/no answer within 50 ms/);
      expect(hook.received).toHaveLength(0);
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  });

  it('test headers override the provider’s own (a deliberately bad signature)', async () => {
    const hook = await useReceiver();
    await deliverJob('ocrqueen', hook.url, pdf('bad-sig').data, { webhooks: { headers: { 'ocrqueen-signature': 'sha256=00' } } });
    const raw = hook.received[0].headers;
    expect(raw['ocrqueen-signature']).toBe('sha256=00');
  });
});
