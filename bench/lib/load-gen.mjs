// Load generator, run as its own process (one per measurement) so it never shares an event loop with a receiver.
// Input: one JSON argument {url, secret, seconds, warmup, connections, firstId, idsFile}.
// Sends signed OCRQueen `extraction.completed` deliveries, each for a new job and event id, from `connections`
// request loops over an undici Pool (pipelining 1): `warmup` seconds unmeasured, then `seconds` measured.
// Output: one JSON line on stdout. With idsFile, the ids (N of job_N) of every delivery answered 2xx, one a line.
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

const config = JSON.parse(process.argv[2]);
const { url, secret, seconds, warmup, connections, firstId, idsFile } = config;

/** About 1 KB of markdown, as an OCR result of one short page. */
function sampleMarkdown() {
  const lines = ['# Invoice 2024-0042', '', '| Item | Qty | Price |', '| --- | --- | --- |'];
  for (let i = 1; lines.join('\n').length < 900; i += 1) lines.push(`| Line item ${i}, "quoted" & <escaped> | ${i} | ${(i * 12.5).toFixed(2)} |`);
  lines.push('', 'Thank you for your business. Payment due within 30 days.');
  return lines.join('\n');
}

const head = `{"data":{"document":{"markdown":${JSON.stringify(sampleMarkdown())}}},"event_id":"evt_`;

function makeDelivery(n) {
  const body = `${head}${n}","event_type":"extraction.completed","job_id":"job_${n}","timestamp":"${new Date().toISOString()}"}`;
  const signature = createHmac('sha256', secret).update(body).digest('hex');
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'ocrqueen-signature': `sha256=${signature}`,
      'ocrqueen-event': 'extraction.completed',
    },
  };
}

const pool = new Pool(url, { connections, pipelining: 1 });
const okIds = [];
const measured = { ok: 0, non2xx: 0, errors: 0, latencies: [] };
const total = { ok: 0, non2xx: 0, errors: 0 };
const samples = [];
let nextId = firstId;

const start = performance.now();
const measureStart = start + warmup * 1000;
const measureEnd = measureStart + seconds * 1000;

async function requestLoop() {
  while (performance.now() < measureEnd) {
    const n = nextId++;
    const { body, headers } = makeDelivery(n);
    const sent = performance.now();
    let status = 0;
    let detail = '';
    try {
      const res = await pool.request({ path: '/', method: 'POST', headers, body });
      status = res.statusCode;
      if (status >= 200 && status < 300) await res.body.dump();
      else detail = (await res.body.text()).slice(0, 200);
    } catch (error) {
      detail = `${error.code ?? error.name}: ${error.message}`;
    }
    const done = performance.now();
    const inWindow = done >= measureStart && done < measureEnd;
    const kind = status >= 200 && status < 300 ? 'ok' : status === 0 ? 'errors' : 'non2xx';
    total[kind] += 1;
    if (inWindow) {
      measured[kind] += 1;
      if (kind === 'ok') measured.latencies.push(done - sent);
    }
    if (kind === 'ok') okIds.push(n);
    else if (samples.length < 5) samples.push({ status, detail });
  }
}

await Promise.all(Array.from({ length: connections }, requestLoop));
await pool.close();

const cpu = process.cpuUsage();
if (idsFile) writeFileSync(idsFile, okIds.length ? `${okIds.join('\n')}\n` : '');
const sorted = measured.latencies.sort((a, b) => a - b);
const percentile = (p) => (sorted.length ? Number(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))].toFixed(2)) : null);
process.stdout.write(
  `${JSON.stringify({
    deliveriesPerSecond: Number((measured.ok / seconds).toFixed(1)),
    window: { seconds, ok: measured.ok, non2xx: measured.non2xx, errors: measured.errors },
    total,
    sent: nextId - firstId,
    latencyMs: { p50: percentile(50), p90: percentile(90), p99: percentile(99), max: sorted.length ? Number(sorted.at(-1).toFixed(2)) : null },
    loadGeneratorCpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
    wallSeconds: Number(((performance.now() - start) / 1000).toFixed(2)),
    failureSamples: samples,
  })}\n`,
);
