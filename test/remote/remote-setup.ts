import { onTestFinished } from 'vitest';
import { startFakeProvider } from '../fakes/index.js';
import { makeManyDocs } from '../helpers/remote.js';
import { makeTempDir } from '../helpers/tmp.js';

type FakeOptions = Parameters<typeof startFakeProvider<'ocrqueen'>>[1];

export async function setupMany(n: number, options: FakeOptions = {}) {
  const dir = await makeTempDir();
  const texts = await makeManyDocs(dir, n);
  const fake = await startFakeProvider('ocrqueen', { texts, firstPollSeconds: 0, progress: { polls: 0 }, ...options });
  onTestFinished(() => fake.close());
  const args = ['submit', 'many', '--provider', 'ocrqueen', '--api-key', fake.apiKey, '--base-url', fake.url, '--out', 'm.jsonl', '--json', '--poll-interval', '20ms'];
  return { dir, fake, args, texts };
}

export const summaryOf = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);
export const apiRequests = (fake: { requests: Array<{ path: string; at: number; status: number }> }) => fake.requests.filter((r) => r.path.startsWith('/v1/'));

