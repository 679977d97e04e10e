/** process-job, DocuProx's API (docs/providers/process-job.md). */
import type { ProviderEntry } from '../common/types.js';

export const processJob: ProviderEntry<'process-job'> = {
  name: 'process-job',
  keyEnv: 'DOCUPROX_API_KEY',
  // Signs nothing; `listen --require-header` covers it.
  signing: null,
  callbackPerRequest: false,
  adapter: async () => (await import('./adapter.js')).processJob,
  webhooks: async () => (await import('./webhook.js')).webhooks,
};
