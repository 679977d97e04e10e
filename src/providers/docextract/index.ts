/** DocExtract by Adteco (docs/providers/docextract.md). */
import type { ProviderEntry } from '../common/types.js';

export const docextract: ProviderEntry<'docextract'> = {
  name: 'docextract',
  keyEnv: 'DOCEXTRACT_API_KEY',
  signing: { schemes: [{ scheme: 'hmac-sha256-hex', signatureHeader: 'x-docextract-signature' }] },
  callbackPerRequest: false,
  adapter: async () => (await import('./adapter.js')).docextract,
  webhooks: async () => (await import('./webhook.js')).webhooks,
};
