/** qomplement (docs/providers/qomplement.md). */
import type { ProviderEntry } from '../common/types.js';

export const qomplement: ProviderEntry<'qomplement'> = {
  name: 'qomplement',
  keyEnv: 'QOMPLEMENT_API_KEY',
  // Signs nothing; `listen --require-header` covers it.
  signing: null,
  callbackPerRequest: true,
  adapter: async () => (await import('./adapter.js')).qomplement,
  webhooks: async () => (await import('./webhook.js')).webhooks,
};
