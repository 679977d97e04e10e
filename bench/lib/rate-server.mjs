// A loopback stand-in for OCRQueen's `POST /v1/extract` that enforces a request rate, run as its own process.
// Input: one JSON argument {rps, burst, delayMs, apiKey}. Prints `{"type":"ready","url":...}` once bound.
// Every submit is admitted while the admitted submits of the last second (sliding) number at most rps + burst;
// past that it is answered 429 RATE_LIMITED with `Retry-After: 1` at once. Admitted submits (Bearer key checked,
// multipart body read and ignored) are answered 202 {job_id, status: 'queued'} after `delayMs`.
// `GET /_bench/stats` returns every submit's arrival time (ms, this process's clock) and status code.
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';

const { rps, burst, delayMs, apiKey } = JSON.parse(process.argv[2]);
const limit = rps + burst;
const WINDOW_MS = 1000;

/** Arrival times of admitted submits within the last window, oldest first (a ring would do; this stays small). */
let admitted = [];
const arrivals = [];
const statuses = [];
let nextJob = 1;

function send(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

const server = createServer((req, res) => {
  const url = req.url ?? '/';
  if (req.method === 'GET' && url === '/_bench/stats') {
    send(res, 200, { arrivals, statuses, limit });
    return;
  }
  if (req.method !== 'POST' || url !== '/v1/extract') {
    req.resume();
    send(res, 404, { detail: 'NOT_FOUND: no such route' });
    return;
  }
  const now = performance.now();
  arrivals.push(Number(now.toFixed(3)));
  const record = (status) => statuses.push(status);
  if (req.headers.authorization !== `Bearer ${apiKey}`) {
    req.resume();
    record(401);
    send(res, 401, { detail: 'INVALID_API_KEY: bad key' });
    return;
  }
  let drop = 0;
  while (drop < admitted.length && now - admitted[drop] >= WINDOW_MS) drop += 1;
  if (drop > 0) admitted = admitted.slice(drop);
  if (admitted.length + 1 > limit) {
    req.resume();
    record(429);
    send(res, 429, { detail: 'RATE_LIMITED: too many requests' }, { 'retry-after': '1' });
    return;
  }
  admitted.push(now);
  record(202);
  const jobId = `job_${nextJob++}`;
  req.resume();
  req.on('end', () => setTimeout(() => send(res, 202, { job_id: jobId, status: 'queued', status_url: `/v1/jobs/${jobId}`, estimated_seconds: 5 }, { 'retry-after': '2' }), delayMs));
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ type: 'ready', url: `http://127.0.0.1:${server.address().port}` })}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
