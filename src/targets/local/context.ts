import type { PageResult } from '../../manifest/types.js';
import type { ProcessContext, TargetDocument } from '../types.js';
import type { LocalEngineOptions, LocalEngineStats } from './engine.js';
import type { OcrResult, TesseractPool } from './tesseract.js';

/** What document processing needs from a running engine. */
export interface EngineContext {
  pool: TesseractPool;
  options: LocalEngineOptions & Required<Pick<LocalEngineOptions, 'maxPages' | 'maxPixels'>>;
  stats: LocalEngineStats;
}

/** Turns an OCR result into a page result and reports it. */
export function ocrPage(
  engine: EngineContext,
  doc: TargetDocument,
  ctx: ProcessContext,
  page: number,
  r: OcrResult,
): PageResult {
  const result: PageResult = { page, source: 'ocr', confidence: r.confidence, text: r.text.trim() };
  engine.options.onRecognized?.({ source: doc.source, page, worker: r.worker });
  ctx.onPage?.(result);
  return result;
}
