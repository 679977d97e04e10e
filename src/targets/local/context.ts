import type { PageResult } from '../../manifest/types.js';
import type { IsolatedPool } from '../../isolate/pool.js';
import type { PageReply } from '../../isolate/protocol.js';
import type { ProcessContext, TargetDocument } from '../types.js';
import { isLowConfidence } from './confidence.js';
import type { LocalEngineOptions, LocalEngineStats } from './engine.js';

/** What document processing needs from a running engine. */
export interface EngineContext {
  pool: IsolatedPool;
  options: LocalEngineOptions & Required<Pick<LocalEngineOptions, 'maxPages' | 'maxPixels' | 'minConfidence'>>;
  stats: LocalEngineStats;
}

/** Turns a worker's answer for one page into a page result, counts it and reports it. */
export function pageResult(
  engine: EngineContext,
  doc: TargetDocument,
  ctx: ProcessContext,
  page: number,
  reply: { value: PageReply; worker: number },
): PageResult {
  const { value, worker } = reply;
  const result: PageResult = { page, source: value.source, confidence: value.confidence, text: value.text };
  if (value.dpi !== undefined) result.dpi = value.dpi;
  if (value.rotation !== undefined) result.rotation = value.rotation;
  if (isLowConfidence(result, engine.options.minConfidence)) result.low_confidence = true;
  if (value.source === 'text-layer') {
    engine.stats.textLayerPages++;
  } else {
    engine.stats.recognized++;
    engine.stats.byWorker[worker]++;
    if (value.image === 'scanned' || value.image === 'jpeg') engine.stats.scannedImagePages++;
    if (value.image === 'jpeg') engine.stats.scanJpegPages++;
    engine.options.onRecognized?.({ source: doc.source, page, worker });
  }
  ctx.onPage?.(result);
  return result;
}
