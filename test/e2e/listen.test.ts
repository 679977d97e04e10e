import { createHmac } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRows } from '../helpers/manifest.js';
import { spawnOcrq } from '../helpers/spawn.js';
import { makeTempDir } from '../helpers/tmp.js';

describe('ocrq listen (spawned)', () => {
  it('prints the ready event once bound, stores a signed delivery before answering 2xx, refuses a bad one, exits 143 on SIGTERM', async () => {
    const dir = await makeTempDir();
    const secret = 'whsec_e2e_secret';
    const listener = spawnOcrq(['listen', '--port', '0', '--provider', 'ocrqueen', '--out', 'm.jsonl', '--json'], { cwd: dir, env: { OCRQ_WEBHOOK_SECRET: secret } });
    const url = await new Promise<string>((resolve) => {
      listener.onLine((line) => {
        const e = JSON.parse(line);
        if (e.type === 'ready') resolve(e.url);
      });
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const body = JSON.stringify({ data: { document: { markdown: 'hello' } }, event_id: 'evt_1', event_type: 'extraction.completed', job_id: 'job_1', timestamp: '2026-05-14T12:00:08Z' });
    const sign = (s: string) => `sha256=${createHmac('sha256', s).update(body).digest('hex')}`;
    const post = (signature: string) => fetch(`${url}/hooks/ocrq`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'ocrqueen-signature': signature, 'ocrqueen-event': 'extraction.completed' } });
    expect((await post(sign('wrong-secret'))).status).toBe(401);
    expect((await post(sign(secret))).status).toBeLessThan(300);
    // Acknowledged means on disk: the row is there while the listener still runs.
    const rows = await readRows(path.join(dir, 'm.jsonl'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ job_id: 'job_1', status: 'completed', event_id: 'evt_1', target: 'ocrqueen' });
    listener.child.kill('SIGTERM');
    const r = await listener.exited;
    expect(r.code, r.stderr).toBe(143);
    expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it('answers 400 to a signed delivery whose job id is unusable, and journals nothing for it', async () => {
    const dir = await makeTempDir();
    const secret = 'whsec_e2e_secret';
    const listener = spawnOcrq(['listen', '--port', '0', '--provider', 'ocrqueen', '--out', 'm.jsonl', '--json'], { cwd: dir, env: { OCRQ_WEBHOOK_SECRET: secret } });
    const url = await new Promise<string>((resolve) => listener.onLine((l) => JSON.parse(l).type === 'ready' && resolve(JSON.parse(l).url)));
    const deliver = (jobId: string) => {
      const body = JSON.stringify({ data: { document: { markdown: 'forged' } }, event_type: 'extraction.completed', job_id: jobId, timestamp: '2026-05-14T12:00:08Z' });
      const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
      return fetch(`${url}/hooks/ocrq`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'ocrqueen-signature': signature, 'ocrqueen-event': 'extraction.completed' } });
    };
    for (const jobId of ['nul\u0000id', 'new\nline', 'x'.repeat(100_000), '..']) expect((await deliver(jobId)).status, JSON.stringify(jobId.slice(0, 20))).toBe(400);
    expect((await deliver('../../still-just-an-id')).status).toBeLessThan(300);
    listener.child.kill('SIGTERM');
    const r = await listener.exited;
    expect(r.code, r.stderr).toBe(143);
    const rows = await readRows(path.join(dir, 'm.jsonl'));
    expect(rows.map((row) => row.job_id)).toEqual(['../../still-just-an-id']);
  });

  it('on SIGINT, ends with one line: how it stopped, what it stored, and the manifest', async () => {
    const dir = await makeTempDir();
    const secret = 'whsec_e2e_secret';
    const listener = spawnOcrq(['listen', '--port', '0', '--provider', 'ocrqueen', '--out', 'run.jsonl'], { cwd: dir, env: { OCRQ_WEBHOOK_SECRET: secret } });
    let seen = '';
    const url = await new Promise<string>((resolve) =>
      listener.child.stderr!.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        const m = /listening on (http:\/\/\S+)/u.exec(seen);
        if (m) resolve(m[1]);
      }),
    );
    const body = JSON.stringify({ data: { document: { markdown: 'hello' } }, event_id: 'evt_1', event_type: 'extraction.completed', job_id: 'job_1', timestamp: '2026-05-14T12:00:08Z' });
    const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    const headers = { 'content-type': 'application/json', 'ocrqueen-signature': signature, 'ocrqueen-event': 'extraction.completed' };
    expect((await fetch(`${url}/hooks/ocrq`, { method: 'POST', body, headers })).status).toBeLessThan(300);
    expect((await fetch(`${url}/hooks/ocrq`, { method: 'POST', body: '{}', headers })).status).toBe(401);
    listener.child.kill('SIGINT');
    const r = await listener.exited;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe('ocrq: listen: stopped on SIGINT; 1 delivery stored of 2 received (1 rejected); manifest run.jsonl');
  });

  it('exits 2 when the port is taken', async () => {
    const dir = await makeTempDir();
    const first = spawnOcrq(['listen', '--port', '0', '--provider', 'ocrqueen', '--secret', 's3cret-value', '--out', 'a.jsonl', '--json'], { cwd: dir });
    const url = await new Promise<string>((resolve) => first.onLine((l) => JSON.parse(l).type === 'ready' && resolve(JSON.parse(l).url)));
    const port = new URL(url).port;
    const second = await spawnOcrq(['listen', '--port', port, '--provider', 'ocrqueen', '--secret', 's3cret-value', '--out', 'b.jsonl'], { cwd: dir }).exited;
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/port|address/i);
    first.child.kill('SIGINT');
    expect((await first.exited).code).toBe(130);
  });
});
