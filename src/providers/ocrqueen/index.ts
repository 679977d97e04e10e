/** OCRQueen (docs/providers/ocrqueen.md). */
import type { ProviderEntry } from '../common/types.js';

export const ocrqueen: ProviderEntry<'ocrqueen'> = {
  name: 'ocrqueen',
  keyEnv: 'OCRQUEEN_API_KEY',
  signing: { schemes: [{ scheme: 'hmac-sha256-hex', signatureHeader: 'ocrqueen-signature' }] },
  callbackPerRequest: true,
  adapter: async () => (await import('./adapter.js')).ocrqueen,
  webhooks: async () => (await import('./webhook.js')).webhooks,
};
