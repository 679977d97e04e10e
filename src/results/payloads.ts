/**
 * Reads a webhook body with its provider's reader (`src/providers/<name>/webhook.ts`), and tells which provider a
 * delivery comes from when the listener serves them all. The readers are loaded with this module (it is imported only
 * by the listeners), not at start-up.
 */
import { providerFromHeaders } from '../providers/signing.js';
import { PROVIDER_REGISTRY, PROVIDERS, type ProviderName } from '../providers/registry.js';
import { isObject, type BodyShape, type Delivery, type DeliveryHeaders, type ProviderWebhooks } from '../providers/common/webhook.js';

export {
  LOW_CREDIT_EVENTS,
  MAX_ID_LENGTH,
  type Delivery,
  type DeliveryHeaders,
  type EventDelivery,
  type JobDelivery,
} from '../providers/common/webhook.js';

const READERS = new Map<ProviderName, ProviderWebhooks>(
  await Promise.all(PROVIDERS.map(async (name) => [name, await PROVIDER_REGISTRY[name].webhooks()] as const)),
);

/** Every provider's body shapes, in the order they are tried. */
const SHAPES: Array<BodyShape & { provider: ProviderName }> = [...READERS]
  .flatMap(([provider, reader]) => reader.shapes.map((shape) => ({ ...shape, provider })))
  .sort((a, b) => a.rank - b.rank);

/** What the body says, in ocrq's terms; null when it is neither a job outcome nor an account event. */
export function parseDelivery(provider: ProviderName, json: unknown, headers: DeliveryHeaders = {}): Delivery | null {
  if (!isObject(json)) return null;
  return READERS.get(provider)?.parse(json, headers) ?? null;
}

/** The provider a delivery comes from: its signature header first, then the shape of its body. */
export function detectProvider(json: unknown, headers: DeliveryHeaders): ProviderName | null {
  const byHeader = providerFromHeaders(headers);
  if (byHeader) return byHeader;
  if (!isObject(json)) return null;
  return SHAPES.find((shape) => shape.matches(json))?.provider ?? null;
}
