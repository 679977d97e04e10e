/**
 * Hostile answers from providers and webhook senders, through the spawned CLI against real fake providers: nothing
 * they send may name a file outside the chosen folders or send a document's bytes somewhere else.
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { sha256Hex, startFakeProvider } from '../fakes/index.js';
import { fold, readRows, rowFor } from '../helpers/manifest.js';
import { spawnOcrq } from '../helpers/spawn.js';
import { FIXTURES, makeTempDir } from '../helpers/tmp.js';

/** Every path under `root`, files and folders, relative to it. */
async function tree(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      out.push(path.relative(root, full));
      if (entry.isDirectory()) await walk(full);
    }
  };
  await walk(root);
  return out.sort();
}

/** N distinct small documents named d0.png…; returns each one's bytes. */
async function makeDocs(dir: string, n: number): Promise<Buffer[]> {
  const png = await fs.readFile(path.join(FIXTURES, 'images/invoice.png'));
  await fs.mkdir(dir, { recursive: true });
  const docs: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const data = Buffer.concat([png, Buffer.from(`#doc${i}#`)]);
    await fs.writeFile(path.join(dir, `d${i}.png`), data);
    docs.push(data);
  }
  return docs;
}

const summaryOf = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);

describe('untrusted provider answers (spawned ocrq)', () => {
  it('provider job ids never become paths, and unusable ones fail their document with BAD_RESPONSE', { timeout: 60_000 }, async () => {
    const scratch = await makeTempDir();
    const run = path.join(scratch, 'run');
    await makeDocs(path.join(run, 'in'), 6);
    const ids = ['../../escaped-by-job-id', '/tmp/absolute-job-id', 'nul\u0000inside', 'line\nbreak\u001b[31m', 'x'.repeat(100_000)];
    const fake = await startFakeProvider('ocrqueen', {
      firstPollSeconds: 0,
      progress: { polls: 0 },
      // Each document's submit is answered with its own hostile id, as a job finished inline.
      inject: ids.map((id, i) => ({
        match: (r) => r.path === '/v1/extract' && r.body.includes(Buffer.from(`#doc${i}#`)),
        times: 1,
        fault: { status: 200, body: { job_id: id, status: 'completed', markdown: `text of document ${i}` } },
      })),
    });
    onTestFinished(() => fake.close());
    const before = await tree(scratch);
    const r = await spawnOcrq(
      ['submit', 'in', '--provider', 'ocrqueen', '--api-key', fake.apiKey, '--base-url', fake.url, '--out', 'm.jsonl', '--results-dir', 'results', '--results-layout', 'job', '--json', '--poll-interval', '20ms'],
      { cwd: run },
    ).exited;
    expect(r.code, r.stderr).toBe(3);
    expect(summaryOf(r.stdout)).toMatchObject({ completed: 3, failed: 3 });

    // Nothing appeared outside run/: only the manifest, its CSV-free companions and results/ inside it.
    const after = await tree(scratch);
    const added = after.filter((p) => !before.includes(p));
    for (const p of added) expect(p.startsWith(`run${path.sep}`), p).toBe(true);
    expect(added.filter((p) => !p.startsWith(path.join('run', 'results')) && !p.startsWith(path.join('run', 'm.jsonl')))).toEqual([]);

    const folded = fold(await readRows(path.join(run, 'm.jsonl')));
    const traversal = rowFor(folded, 'in/d0.png')!;
    expect(traversal).toMatchObject({ status: 'completed', job_id: '../../escaped-by-job-id', text: 'text of document 0' });
    // Renamed inside results/, with a hash that keeps it apart from any other id.
    expect(traversal.text_path).toMatch(/^.*[/\\]results[/\\]escaped-by-job-id-[0-9a-f]{16}\.txt$/);
    expect(await fs.readFile(traversal.text_path as string, 'utf8')).toBe('text of document 0');
    expect(path.dirname(rowFor(folded, 'in/d1.png')!.text_path as string)).toBe(path.join(run, 'results'));

    for (const [i, problem] of [[2, 'control characters'], [3, 'control characters'], [4, 'over 256']] as const) {
      const row = rowFor(folded, `in/d${i}.png`)!;
      expect(row, `d${i}`).toMatchObject({ status: 'failed', error: { code: 'BAD_RESPONSE', category: 'provider' } });
      expect(row.error!.message).toContain(problem);
      // Shown escaped and shortened, on one line.
      expect([...row.error!.message].some((ch) => ch.charCodeAt(0) < 0x20)).toBe(false);
      expect(row.error!.message.length).toBeLessThan(400);
    }
    expect(rowFor(folded, 'in/d5.png')).toMatchObject({ status: 'completed' });
    for (const line of r.stderr.split('\n')) expect(line).not.toContain('\u001b[31m');
  });

  it('presigned upload URLs that lead elsewhere fail their document before any byte is sent', { timeout: 60_000 }, async () => {
    const dir = await makeTempDir();
    const docs = await makeDocs(path.join(dir, 'in'), 4);
    // A listener standing for "another host": it must never receive a request.
    const elsewhere: string[] = [];
    const other = http.createServer((req, res) => {
      elsewhere.push(`${req.method} ${req.url}`);
      res.end();
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => other.close(() => resolve())));
    const otherPort = (other.address() as { port: number }).port;
    const urls = ['file:///etc/passwd', `http://localhost:${otherPort}/steal`, 'https://169.254.169.254/latest/meta-data/'];
    const fake = await startFakeProvider('leapocr', {
      progress: { polls: 1 },
      inject: urls.map((url, i) => ({
        match: (r) => r.path.endsWith('/ocr/uploads/direct') && JSON.parse(r.body.toString('utf8')).file_name === `d${i}.png`,
        times: 1,
        fault: { status: 200, body: { job_id: `job-${i}`, upload_id: `up-${i}`, parts: [{ part_number: 1, upload_url: url, start_byte: 0, end_byte: docs[i].length - 1 }] } },
      })),
    });
    onTestFinished(() => fake.close());
    const r = await spawnOcrq(['submit', 'in', '--provider', 'leapocr', '--api-key', fake.apiKey, '--base-url', fake.url, '--out', 'm.jsonl', '--json', '--poll-interval', '20ms'], { cwd: dir }).exited;
    expect(r.code, r.stderr).toBe(3);
    const folded = fold(await readRows(path.join(dir, 'm.jsonl')));
    const reasons = ['file: is not an http(s) URL', 'plain http to a host other than the API', 'a link-local address'];
    reasons.forEach((reason, i) => {
      const row = rowFor(folded, `in/d${i}.png`)!;
      expect(row, `d${i}`).toMatchObject({ status: 'failed', error: { code: 'UNSAFE_UPLOAD_URL', category: 'provider' } });
      expect(row.error!.message).toContain(reason);
    });
    expect(rowFor(folded, 'in/d3.png')).toMatchObject({ status: 'completed' });
    expect(elsewhere).toEqual([]);
    // The fake's own storage received only the good document's bytes.
    const puts = fake.requests.filter((q) => q.method === 'PUT');
    expect(puts.map((p) => sha256Hex(p.body))).toEqual([sha256Hex(docs[3])]);
  });
});
