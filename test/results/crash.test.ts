import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Journal } from '../../src/manifest/jsonl.js';
import { makeTempDir, REPO_ROOT } from '../helpers/tmp.js';
import { ocrqueenCompleted, ocrqueenHeaders } from './webhook-helpers.js';

const VITE_NODE = path.join(REPO_ROOT, 'node_modules', 'vite-node', 'vite-node.mjs');
const SCRIPT = path.join(import.meta.dirname, 'listener-process.ts');
const SECRET = 'whsec_crash_test';

/** A POST that resolves with the status, or 0 when the connection died without an answer. */
function deliver(url: string, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'POST', headers: ocrqueenHeaders(body, SECRET), agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

describe('webhook listener killed with SIGKILL during a burst', () => {
  it('every delivery answered 2xx is in the manifest afterwards, and the manifest still parses', async () => {
    const dir = await makeTempDir('ocrq-listen-crash-');
    const manifest = path.join(dir, 'm.jsonl');
    const child = spawn(process.execPath, [VITE_NODE, '--root', REPO_ROOT, SCRIPT], {
      cwd: dir,
      env: { ...process.env, OCRQ_TEST_MANIFEST: manifest, OCRQ_TEST_SECRET: SECRET },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    onTestFinished(() => void child.kill('SIGKILL'));
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
    const url = await new Promise<string>((resolve, reject) => {
      readline.createInterface({ input: child.stdout }).on('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
      child.on('close', () => reject(new Error(`listener exited before it was ready: ${stderr}`)));
    });

    // 20 senders deliver jobs back to back until the listener dies; it is killed after the 100th 2xx, so
    // deliveries are always in flight at that moment.
    const acknowledged: string[] = [];
    let lost = 0;
    let next = 0;
    const sender = async () => {
      for (;;) {
        const jobId = `job_${String(next++).padStart(5, '0')}`;
        const status = await deliver(url, ocrqueenCompleted(jobId, `text of ${jobId} `.repeat(50)));
        if (status >= 200 && status < 300) {
          acknowledged.push(jobId);
          if (acknowledged.length === 100) child.kill('SIGKILL');
        } else if (status === 0) {
          lost += 1;
          return;
        } else {
          child.kill('SIGKILL');
          throw new Error(`unexpected answer ${status}`);
        }
      }
    };
    await Promise.all(Array.from({ length: 20 }, sender));
    expect(await exited).toBe('SIGKILL');
    expect(acknowledged.length).toBeGreaterThanOrEqual(100);
    expect(lost).toBe(20);

    // A torn last line is possible (killed mid-write); every other line parses, and no acknowledged job is missing.
    const text = await (await import('node:fs/promises')).readFile(manifest, 'utf8');
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    const rows = complete === '' ? [] : complete.trimEnd().split('\n').map((l) => JSON.parse(l) as { job_id: string; status: string });
    const stored = new Set(rows.filter((r) => r.status === 'completed').map((r) => r.job_id));
    for (const jobId of acknowledged) expect(stored.has(jobId), jobId).toBe(true);
    expect(rows.length).toBe(stored.size); // one row per job, none twice

    // The next run opens it as resume state: the dead process's lock is taken over and every acknowledged job is done.
    const warnings: string[] = [];
    const { journal, index } = await Journal.open(manifest, { onWarning: (m) => warnings.push(m) });
    await journal.close();
    expect(warnings.some((w) => /stale lock/.test(w))).toBe(true);
    for (const jobId of acknowledged) expect(index.get(jobId)?.status).toBe('completed');
  });
});
