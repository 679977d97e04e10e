/** Document types ocrq accepts, sniffed from magic bytes. */
export type DocType = 'pdf' | 'png' | 'jpeg' | 'tiff' | 'webp' | 'bmp' | 'gif';

export const MIME_TYPES: Record<DocType, string> = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpeg: 'image/jpeg',
  tiff: 'image/tiff',
  webp: 'image/webp',
  bmp: 'image/bmp',
  gif: 'image/gif',
};
