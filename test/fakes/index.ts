/**
 * Fake remote providers for tests: real node:http servers on 127.0.0.1 that follow the providers' published APIs
 * (summarised in docs/providers/*.md). `startFakeProvider(name, options)` → `{ url, apiKey, requests, jobs,
 * submissionsByContent, deliveries, setOptions(), webhooksIdle(), sendEvent(), close() }`. With
 * `webhooks: {...}` the fakes deliver signed webhooks. See README.md beside this file.
 */
import { docextract, type DocExtractOptions } from './docextract.js';
import { leapocr, type LeapOcrOptions } from './leapocr.js';
import { ocrqueen, type OcrQueenOptions } from './ocrqueen.js';
import { processJob, type ProcessJobOptions } from './process-job.js';
import { qomplement, type QomplementOptions } from './qomplement.js';
import { startFakeServer, type FakeProvider, type ProviderDefinition } from './server.js';
import type { ProviderName } from './types.js';
import { WEBHOOK_PROFILES } from './webhook-profiles.js';

export interface ProviderOptionsMap {
  ocrqueen: OcrQueenOptions;
  leapocr: LeapOcrOptions;
  docextract: DocExtractOptions;
  qomplement: QomplementOptions;
  'process-job': ProcessJobOptions;
}

const DEFINITIONS: { [N in ProviderName]: ProviderDefinition<ProviderOptionsMap[N]> } = {
  ocrqueen: { ...ocrqueen, webhooks: WEBHOOK_PROFILES.ocrqueen },
  leapocr: { ...leapocr, webhooks: WEBHOOK_PROFILES.leapocr },
  docextract: { ...docextract, webhooks: WEBHOOK_PROFILES.docextract },
  qomplement: { ...qomplement, webhooks: WEBHOOK_PROFILES.qomplement },
  'process-job': { ...processJob, webhooks: WEBHOOK_PROFILES['process-job'] },
};

export const PROVIDER_NAMES = Object.keys(DEFINITIONS) as ProviderName[];

export function startFakeProvider<N extends ProviderName>(
  name: N,
  options: ProviderOptionsMap[N] = {},
): Promise<FakeProvider<ProviderOptionsMap[N]>> {
  return startFakeServer(DEFINITIONS[name] as ProviderDefinition<ProviderOptionsMap[N]>, options);
}

export type { FakeProvider } from './server.js';
export type { DocExtractOptions, LeapOcrOptions, OcrQueenOptions, ProcessJobOptions, QomplementOptions };
export type * from './types.js';
export { maxRequestsInWindow } from './rate-limit.js';
export { sha256Hex } from './job-store.js';
export { WEBHOOK_DEFAULT_SECRET, type SendEventOptions } from './webhooks.js';
export * from './webhook-signing.js';
export {
  DOCEXTRACT_WEBHOOK_SCHEDULE,
  LEAPOCR_WEBHOOK_SCHEDULE,
  OCRQUEEN_WEBHOOK_SCHEDULE,
  PROCESS_JOB_WEBHOOK_SCHEDULE,
  QOMPLEMENT_WEBHOOK_SCHEDULE,
} from './webhook-profiles.js';
