/**
 * `ocrq submit --provider NAME` end to end against each provider's fake server (real HTTP on 127.0.0.1): the rows,
 * texts and job ids, the provider's failure codes, and a rejected key.
 */
import { describe, expect, it } from 'vitest';
import { hasAdapter } from '../../src/providers/registry.js';
import { run } from '../../src/main.js';
import { startFakeProvider } from '../fakes/index.js';
import { captureIo } from '../helpers/io.js';
import { fold, readRows } from '../helpers/manifest.js';
import { makeRemoteCorpus } from '../helpers/remote.js';
import { CASES } from './cases.js';
import { makeTempDir } from '../helpers/tmp.js';
import path from 'node:path';
import { onTestFinished } from 'vitest';

const available = CASES.filter((c) => hasAdapter(c.name));

describe.each(available)('ocrq submit --provider $name', (pc) => {
  async function setup() {
    const dir = await makeTempDir();
    const corpus = await makeRemoteCorpus(dir, pc.files);
    const fake = await startFakeProvider(pc.name, { texts: corpus.texts, failures: corpus.failures, progress: { polls: 1 }, firstPollSeconds: 0 } as never);
    onTestFinished(() => fake.close());
    const args = ['submit', 'docs', '--provider', pc.name, '--api-key', fake.apiKey, '--base-url', fake.url, '--rps', '200', '--poll-interval', '50ms', ...pc.options.flatMap((o) => ['--option', o])];
    return { dir, corpus, fake, args };
  }

  it('completes every document with its text and the provider job id; failures keep the provider code', async () => {
    const { dir, corpus, fake, args } = await setup();
    const io = captureIo(dir);
    const code = await run([...args, '--out', 'm.jsonl', '--json'], io.deps);
    expect(code, io.stderr()).toBe(3);
    const folded = fold(await readRows(path.join(dir, 'm.jsonl')));
    expect(folded.size).toBe(pc.files.length);
    for (const [source, sha] of corpus.bySource) {
      const row = [...folded.values()].find((r) => r.source === source)!;
      expect(row, source).toBeDefined();
      expect(row.target).toBe(pc.name);
      expect(fake.jobs.has(row.job_id), `${row.job_id} is a job of the fake`).toBe(true);
      const text = corpus.texts.get(sha);
      if (text) {
        expect(row.status, source).toBe('completed');
        const expected = pc.expectedText(text.pages);
        if (expected !== null) expect(row.text).toBe(expected);
        expect(row.pages).toBe(text.pages.length);
      } else {
        expect(row).toMatchObject({ status: 'failed', error: { code: pc.failureCode ?? 'PDF_PASSWORD_PROTECTED', category: 'provider' } });
      }
    }
    for (const [, n] of fake.submissionsByContent) expect(n).toBe(1);
    // A re-run finds everything done and sends nothing.
    const before = fake.requests.length;
    const again = captureIo(dir);
    expect(await run([...args, '--out', 'm.jsonl', '--json'], again.deps)).toBe(3);
    expect(fake.requests.length).toBe(before);
  });

  it('a rejected key stops the run after one request with exit 5, naming where the key came from, never the key', async () => {
    const { dir, fake, args } = await setup();
    const io = captureIo(dir);
    const bad = `${fake.apiKey.slice(0, 8)}WRONGWRONGWRONGWRONG`;
    const argv = args.map((a) => (a === fake.apiKey ? bad : a));
    const code = await run([...argv, '--out', 'm.jsonl'], io.deps);
    expect(code).toBe(5);
    expect(fake.requests.length).toBe(1);
    const err = io.stderr();
    expect(err).toMatch(new RegExp(`^ocrq: error: ${pc.name} rejected the API key from --api-key \\(HTTP 401`, 'm'));
    expect(err.split('\n').filter((l) => l.startsWith('ocrq: error')).length).toBe(1);
    expect(err + io.stdout()).not.toContain(bad);
  });
});
