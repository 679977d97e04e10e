// The two receivers under test, each a child process that prints `{"type":"ready","url":...}` on stdout once bound:
// `ocrq listen` (verify + durable append), and a minimal Express app (verify only).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';

export const READY_TIMEOUT_MS = 15_000;
export const STOP_TIMEOUT_MS = 30_000;

const EXPRESS_RECEIVER = `
import express from 'express';
import { createHmac, timingSafeEqual } from 'node:crypto';
const secret = process.env.BENCH_WEBHOOK_SECRET;
const app = express();
app.use(express.raw({ type: '*/*', limit: '10mb' }));
app.post('/', (req, res) => {
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const given = Buffer.from(req.get('ocrqueen-signature') ?? '');
  const wanted = Buffer.from('sha256=' + createHmac('sha256', secret).update(body).digest('hex'));
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) return res.status(401).json({ error: 'bad signature' });
  res.status(200).json({ ok: true });
});
const server = app.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ type: 'ready', url: 'http://127.0.0.1:' + server.address().port }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/** Starts `ocrq listen` writing to `manifest`. */
export function startOcrq(repo, secret, manifest) {
  const args = [path.join(repo, 'bin/ocrq.js'), 'listen', '--port', '0', '--provider', 'ocrqueen', '--secret', secret, '--out', manifest, '--json'];
  return startReceiver('ocrq', spawn(process.execPath, args, { cwd: path.dirname(manifest), stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** Starts the Express receiver; run from the repository so that `express` resolves from its node_modules. */
export function startExpress(repo, secret) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', EXPRESS_RECEIVER], {
    cwd: repo,
    env: { ...process.env, BENCH_WEBHOOK_SECRET: secret },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return startReceiver('express', child);
}

/**
 * Resolves with {name, pid, url, stop()} once the ready line arrives. Every stdout line is read as it comes (ocrq
 * prints one per delivery: an unread pipe would stall it); stop() sends SIGTERM and resolves with the exit code and
 * the last `summary` line, if any.
 */
function startReceiver(name, child) {
  let stderr = '';
  let summary = null;
  let lines = 0;
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(`no ready line within ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
    let ready = false;
    const fail = (why) => {
      if (ready) return;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${name}: ${why}\n${stderr}`));
    };
    exited.then(({ code, signal }) => fail(`exited (${code ?? signal}) before it was ready`));
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines += 1;
      // Only the ready and summary lines are needed: the per-delivery lines are counted, not parsed.
      if (!line.startsWith('{"type":"ready"') && !line.startsWith('{"type":"summary"')) return;
      let event;
      try {
        event = JSON.parse(line);
      } catch {
        return;
      }
      if (event.type === 'summary') summary = event;
      if (event.type !== 'ready' || ready) return;
      ready = true;
      clearTimeout(timer);
      resolve({
        name,
        pid: child.pid,
        url: event.url,
        async stop() {
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
          const { code, signal } = await exited;
          clearTimeout(killer);
          return { exitCode: code, signal, summary, stdoutLines: lines, stderr: stderr.trim() };
        },
      });
    });
  });
}
