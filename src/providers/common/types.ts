/**
 * What one provider's folder (`src/providers/<name>/`) tells the rest of ocrq. Its `index.ts` exports one
 * `ProviderEntry`: plain data plus loaders, so reading the registry loads neither an HTTP adapter nor a webhook reader.
 */
import type { Scheme } from '../../signature/types.js';
import type { ProviderAdapter } from './adapter.js';
import type { ProviderWebhooks } from './webhook.js';

/** One way a provider signs a delivery. Header names are lower case, as Node gives them. */
export interface SigningScheme {
  scheme: Scheme;
  signatureHeader: string;
  /** The entry applies only when this header is present. */
  timestampHeader?: string;
}

/** A provider's signature schemes, tried in order; the first entry that applies to a header wins. */
export interface ProviderSigning {
  schemes: SigningScheme[];
}

export interface ProviderEntry<N extends string = string> {
  /** The name on the command line and in the config file (`providers.<name>.…`). */
  readonly name: N;
  /** The provider's own API key variable; it wins over `OCRQ_API_KEY`, which covers every provider. */
  readonly keyEnv: string;
  /** How its webhook deliveries are signed; null when they are not (`listen --require-header` covers those). */
  readonly signing: ProviderSigning | null;
  /** True when it takes a callback URL with each submit; otherwise it delivers to the endpoint set in its dashboard. */
  readonly callbackPerRequest: boolean;
  /** Its HTTP adapter (`adapter.ts`), loaded on first use. */
  adapter(): Promise<ProviderAdapter>;
  /** Its webhook reader (`webhook.ts`), loaded on first use. */
  webhooks(): Promise<ProviderWebhooks>;
}
