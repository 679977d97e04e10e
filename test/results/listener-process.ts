/**
 * A webhook listener in its own process, for the crash test: opens the manifest in OCRQ_TEST_MANIFEST, starts the
 * receiver on 127.0.0.1:0 (auto-detected providers, OCRQueen secret in OCRQ_TEST_SECRET) and prints
 * `{"url": …}` on stdout once it is bound. It runs until killed.
 */
import { Journal } from '../../src/manifest/jsonl.js';
import { ManifestWriter } from '../../src/manifest/writer.js';
import { makeVerifier } from '../../src/results/verifier.js';
import { startWebhookServer } from '../../src/results/webhook-server.js';

const manifest = process.env.OCRQ_TEST_MANIFEST;
const secret = process.env.OCRQ_TEST_SECRET;
if (!manifest || !secret) {
  process.stderr.write('listener-process: set OCRQ_TEST_MANIFEST and OCRQ_TEST_SECRET\n');
  process.exit(2);
}

const { journal, index } = await Journal.open(manifest);
const server = await startWebhookServer({
  host: '127.0.0.1',
  port: 0,
  writer: new ManifestWriter(journal),
  index,
  provider: 'auto',
  verify: makeVerifier({ provider: 'auto', secrets: new Map([['ocrqueen', secret]]) }),
});
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
