import type { PageResult } from '../../manifest/types.js';

/**
 * Mean word confidence (0-100) below which an OCRed page is marked `low_confidence`. On the quality benchmark
 * (`npm run bench -- quality`, README "Quality") pages read well came out at 92-95, and pages read badly (sideways,
 * upside down, skewed, noisy) or text made of scribbles and noise at 16-60: every threshold from 65 to 90 tells them
 * apart, and this is the middle of that range. At 50, three of those bad pages (51, 58, 60) went unmarked.
 */
export const DEFAULT_MIN_CONFIDENCE = 75;

/**
 * Whether an OCRed page is low confidence: it has text, and its mean word confidence is below `threshold`. A page
 * with no text (a blank one) is not: there is nothing to doubt.
 */
export function isLowConfidence(page: Pick<PageResult, 'source' | 'confidence' | 'text'>, threshold: number): boolean {
  return page.source === 'ocr' && page.confidence !== null && page.confidence < threshold && page.text.trim() !== '';
}
