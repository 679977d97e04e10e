/**
 * A remote job's result delivered by webhook carries no settings of its own: those the job was submitted with are on
 * its `submitted` row, so a re-run with another provider option still knows the result was made with other settings.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { run } from '../../src/main.js';
import { startFakeProvider } from '../fakes/index.js';
import { captureIo } from '../helpers/io.js';
import { freePort } from '../helpers/net.js';
import { makeRemoteCorpus } from '../helpers/remote.js';
import { makeTempDir } from '../helpers/tmp.js';

const SECRET = 'whsec_settings_webhook_secret_1234';

describe('settings of a result delivered by webhook (submit --listen)', () => {
  it('are those of the submit, so a changed --option processes the documents again', async () => {
    const dir = await makeTempDir();
    const corpus = await makeRemoteCorpus(dir, ['images/invoice.png', 'images/receipt.jpg']);
    const port = await freePort();
    const fake = await startFakeProvider('ocrqueen', {
      texts: corpus.texts,
      firstPollSeconds: 0,
      progress: { ms: 100 },
      webhooks: { url: `http://127.0.0.1:${port}/provider-hooks`, secret: SECRET, scheduleScale: 0.001 },
    } as never);
    onTestFinished(() => fake.close());
    // A long grace: every result comes by webhook, none by polling.
    const args = ['submit', 'docs', '--provider', 'ocrqueen', '--api-key', fake.apiKey, '--base-url', fake.url, '--out', 'm.jsonl'];
    const listen = ['--listen', String(port), '--webhook-secret', SECRET, '--callback-grace', '60s'];
    const submit = async (extra: string[]) => {
      const io = captureIo(dir);
      const code = await run([...args, ...extra], io.deps);
      expect(code, io.stderr()).toBe(0);
      return io.stderr();
    };

    await submit([...listen, '--option', 'include_layout=false']);
    const rows = (await fs.readFile(path.join(dir, 'm.jsonl'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const completed = rows.filter((r) => r.status === 'completed');
    expect(completed).toHaveLength(2);
    // Delivered by the listener: no settings on the outcome line itself ...
    expect(completed.every((r) => r.settings === undefined)).toBe(true);
    // ... but on the line that submitted the job.
    const submitted = rows.filter((r) => r.status === 'submitted' && !String(r.job_id).startsWith('intent_'));
    expect(submitted.map((r) => r.settings)).toEqual([
      { provider: 'ocrqueen', 'option.include_layout': 'false' },
      { provider: 'ocrqueen', 'option.include_layout': 'false' },
    ]);
    expect(await submit([...listen, '--option', 'include_layout=false', '--dry-run'])).toContain('(would process 0, 2 already done)');
    expect(await submit([...listen, '--option', 'include_layout=true', '--dry-run'])).toContain(
      'ocrq: 2 documents done with other settings (option.include-layout false -> true): would be processed again',
    );
  }, 60_000);
});
