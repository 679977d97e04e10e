/**
 * Fake remote providers for tests: real node:http servers on 127.0.0.1 that follow the contracts in
 * shared/providers/*.md. `startFakeProvider(name, options)` → `{ url, apiKey, requests, jobs,
 * submissionsByContent, setOptions(), close() }`. See README.md beside this file.
 */
import { docextract, type DocExtractOptions } from './docextract.js';
import { leapocr, type LeapOcrOptions } from './leapocr.js';
import { ocrqueen, type OcrQueenOptions } from './ocrqueen.js';
import { processJob, type ProcessJobOptions } from './process-job.js';
import { qomplement, type QomplementOptions } from './qomplement.js';
import { startFakeServer, type FakeProvider, type ProviderDefinition } from './server.js';
import type { ProviderName } from './types.js';

export interface ProviderOptionsMap {
  ocrqueen: OcrQueenOptions;
  leapocr: LeapOcrOptions;
  docextract: DocExtractOptions;
  qomplement: QomplementOptions;
  'process-job': ProcessJobOptions;
}

const DEFINITIONS: { [N in ProviderName]: ProviderDefinition<ProviderOptionsMap[N]> } = {
  ocrqueen,
  leapocr,
  docextract,
  qomplement,
  'process-job': processJob,
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
