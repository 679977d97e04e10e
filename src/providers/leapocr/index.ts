/** LeapOCR (docs/providers/leapocr.md). */
import type { ProviderEntry } from '../common/types.js';

export const leapocr: ProviderEntry<'leapocr'> = {
  name: 'leapocr',
  keyEnv: 'LEAPOCR_API_KEY',
  /**
   * LeapOCR's documentation and SDK disagree (docs/providers/leapocr.md, "Webhooks"): X-Webhook-Signature over
   * `<timestamp>.<body>` when X-Webhook-Timestamp is sent, over the body alone otherwise, and the older
   * X-R2-Signature over the body.
   */
  signing: {
    schemes: [
      { scheme: 'hmac-sha256-hex-timestamped', signatureHeader: 'x-webhook-signature', timestampHeader: 'x-webhook-timestamp' },
      { scheme: 'hmac-sha256-hex', signatureHeader: 'x-webhook-signature' },
      { scheme: 'hmac-sha256-hex', signatureHeader: 'x-r2-signature' },
    ],
  },
  callbackPerRequest: false,
  adapter: async () => (await import('./adapter.js')).leapocr,
  webhooks: async () => (await import('./webhook.js')).webhooks,
};
