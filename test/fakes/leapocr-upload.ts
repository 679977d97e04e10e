/**
 * LeapOCR's upload side: the 3-step presigned direct upload (initiate → PUT parts to storage → complete)
 * and the one-step remote-URL upload. The presigned storage lives on the same fake under /storage/.
 */
import { createHash, randomUUID } from 'node:crypto';
import { header, isRecord, json, randomHex, readJson } from './helpers.js';
import type { FakeContext, Route } from './server.js';
import type { FakeOptions, FakeRequest, FakeResponse } from './types.js';

export interface LeapOcrOptions extends FakeOptions {
  /** Bytes per presigned part (assumed: the API splits only at ≥ 50 MB); default 50 MiB. */
  partSizeBytes?: number;
  /** Refuse uploads that carry neither `format` nor `template_slug` (assumed, per the generated docs); default true. */
  requireFormat?: boolean;
  /** Bytes the fake "downloads" for POST /ocr/uploads/url; default the URL's own UTF-8 bytes (no network). */
  remoteFiles?: Map<string, Buffer>;
}

export const LEAPOCR_MAX_FILE_SIZE = 1_073_741_824;
export const LEAPOCR_DEFAULT_PART_SIZE = 50 * 1024 * 1024;
export const STORAGE_PREFIX = '/storage/leapocr-uploads/';
const OPTION_FIELDS = ['model', 'format', 'schema', 'instructions', 'template_slug', 'extract_bounding_boxes', 'save_as_template'];

export interface PendingUpload {
  jobId: string;
  uploadId: string;
  token: string;
  fileName: string;
  fileSize: number;
  contentType: string;
  partSize: number;
  partCount: number;
  parts: Map<number, { data: Buffer; etag: string }>;
  params: Record<string, unknown>;
  createdAt: Date;
  /** The complete answer, replayed when /complete is called again (assumed idempotent). */
  completedBody?: Record<string, unknown>;
  idempotencyKey?: string;
}

type Fail = (status: number, code: string, message: string, field?: string) => FakeResponse;

export function uploadRoutes(ctx: FakeContext<LeapOcrOptions>, uploads: Map<string, PendingUpload>, fail: Fail): Route[] {
  const { store } = ctx;
  const byUploadId = new Map<string, PendingUpload>();

  function initiate(req: FakeRequest): FakeResponse {
    const body = readJson(req);
    if (!isRecord(body)) return fail(400, 'BAD_REQUEST', 'Expected a JSON object body');
    const { file_name: fileName, file_size: fileSize, content_type: contentType } = body;
    if (typeof fileName !== 'string' || fileName.length < 1 || fileName.length > 255) {
      return fail(400, 'VALIDATION_ERROR', 'file_name must be 1-255 characters', 'file_name');
    }
    if (!Number.isInteger(fileSize) || (fileSize as number) < 1 || (fileSize as number) > LEAPOCR_MAX_FILE_SIZE) {
      return fail(400, 'VALIDATION_ERROR', `file_size must be 1-${LEAPOCR_MAX_FILE_SIZE}`, 'file_size');
    }
    if (typeof contentType !== 'string' || contentType === '') {
      return fail(400, 'VALIDATION_ERROR', 'content_type is required', 'content_type');
    }
    const invalid = checkOptions(body, ctx.options().requireFormat ?? true);
    if (invalid) return fail(400, 'VALIDATION_ERROR', invalid.message, invalid.field);

    const size = fileSize as number;
    const partSize = Math.max(1, ctx.options().partSizeBytes ?? LEAPOCR_DEFAULT_PART_SIZE);
    const upload: PendingUpload = {
      jobId: randomUUID(),
      uploadId: randomHex(16),
      token: randomHex(16),
      fileName,
      fileSize: size,
      contentType,
      partSize,
      partCount: Math.ceil(size / partSize),
      parts: new Map(),
      params: pickOptions(body),
      createdAt: new Date(),
      idempotencyKey: header(req.headers, 'idempotency-key'),
    };
    uploads.set(upload.jobId, upload);
    byUploadId.set(upload.uploadId, upload);
    const parts = Array.from({ length: upload.partCount }, (_, i) => ({
      part_number: i + 1,
      upload_url: `${ctx.origin()}${STORAGE_PREFIX}${upload.uploadId}/${i + 1}?X-Amz-Expires=3600&X-Amz-Signature=${upload.token}`,
      start_byte: i * partSize,
      end_byte: Math.min(size, (i + 1) * partSize) - 1,
    }));
    return json(200, {
      job_id: upload.jobId,
      upload_id: upload.uploadId,
      upload_type: 'multipart',
      parts,
      chunk_size: partSize,
      total_chunks: upload.partCount,
      complete_url: `${ctx.baseUrl()}/ocr/uploads/${upload.jobId}/complete`,
      expires_at: new Date(Date.now() + 3_600_000).toISOString(),
    });
  }

  /** The presigned PUT: no API key, a signature in the query, and an ETag in the answer (S3 style). */
  function putPart(req: FakeRequest, [uploadId, partText]: string[]): FakeResponse {
    const upload = byUploadId.get(uploadId);
    const partNumber = Number(partText);
    if (!upload || req.query.get('X-Amz-Signature') !== upload.token) {
      return storageError(403, 'SignatureDoesNotMatch', 'The request signature does not match');
    }
    if (upload.completedBody) return storageError(404, 'NoSuchUpload', 'The upload was already completed');
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > upload.partCount) {
      return storageError(400, 'InvalidPart', `Part ${partText} is not part of this upload`);
    }
    const etag = createHash('md5').update(req.body).digest('hex');
    upload.parts.set(partNumber, { data: req.body, etag });
    return { status: 200, headers: { ETag: `"${etag}"` } };
  }

  function complete(req: FakeRequest, [jobId]: string[]): FakeResponse {
    const upload = uploads.get(jobId);
    if (!upload) return fail(404, 'NOT_FOUND', `Job ${jobId} not found`);
    if (upload.completedBody) return json(200, upload.completedBody);
    const body = readJson(req);
    const listed = isRecord(body) && Array.isArray(body.parts) ? body.parts : undefined;
    if (!listed || listed.length < 1) return fail(400, 'VALIDATION_ERROR', 'parts must list at least one part', 'parts');
    const etags = new Map<number, string>();
    for (const p of listed) {
      if (!isRecord(p) || !Number.isInteger(p.part_number) || (p.part_number as number) < 1) {
        return fail(400, 'VALIDATION_ERROR', 'part_number must be an integer ≥ 1', 'parts');
      }
      if (typeof p.etag !== 'string' || p.etag === '') return fail(400, 'VALIDATION_ERROR', 'etag must not be empty', 'parts');
      etags.set(p.part_number as number, p.etag.replace(/"/g, ''));
    }
    const chunks: Buffer[] = [];
    for (let n = 1; n <= upload.partCount; n++) {
      const stored = upload.parts.get(n);
      if (!stored) return fail(400, 'VALIDATION_ERROR', `Part ${n} was not uploaded`, 'parts');
      if (etags.get(n) !== stored.etag) return fail(400, 'VALIDATION_ERROR', `Part ${n}: etag does not match`, 'parts');
      chunks.push(stored.data);
    }
    const data = Buffer.concat(chunks);
    if (data.length !== upload.fileSize) {
      return fail(400, 'VALIDATION_ERROR', `Uploaded ${data.length} bytes, declared ${upload.fileSize}`, 'file_size');
    }
    const job = store.create({
      id: upload.jobId,
      files: [{ data, filename: upload.fileName, mimeType: upload.contentType }],
      idempotencyKey: upload.idempotencyKey,
      params: upload.params,
    });
    upload.parts.clear();
    upload.completedBody = {
      job_id: job.id,
      status: job.status,
      message: 'Upload completed; processing started',
      created_at: job.createdAt.toISOString(),
    };
    return json(200, upload.completedBody);
  }

  function uploadUrl(req: FakeRequest): FakeResponse {
    const body = readJson(req);
    if (!isRecord(body)) return fail(400, 'BAD_REQUEST', 'Expected a JSON object body');
    const { url, file_name: fileName } = body;
    if (typeof url !== 'string' || url.length > 2000 || !/^https?:\/\//.test(url)) {
      return fail(400, 'VALIDATION_ERROR', 'url must be an http(s) URL of at most 2000 characters', 'url');
    }
    if (fileName !== undefined && (typeof fileName !== 'string' || fileName.length < 1 || fileName.length > 255)) {
      return fail(400, 'VALIDATION_ERROR', 'file_name must be 1-255 characters', 'file_name');
    }
    const invalid = checkOptions(body, ctx.options().requireFormat ?? true);
    if (invalid) return fail(400, 'VALIDATION_ERROR', invalid.message, invalid.field);
    const data = ctx.options().remoteFiles?.get(url) ?? Buffer.from(url);
    const name = typeof fileName === 'string' ? fileName : (new URL(url).pathname.split('/').pop() ?? 'document');
    const job = store.create({
      files: [{ data, filename: name }],
      idempotencyKey: header(req.headers, 'idempotency-key'),
      params: { ...pickOptions(body), source_url: url },
    });
    return json(200, { job_id: job.id, status: job.status, source_url: url, created_at: job.createdAt.toISOString() });
  }

  return [
    { method: 'POST', pattern: /^\/ocr\/uploads\/direct$/, handle: initiate },
    { method: 'POST', pattern: /^\/ocr\/uploads\/url$/, handle: uploadUrl },
    { method: 'POST', pattern: /^\/ocr\/uploads\/([^/]+)\/complete$/, handle: complete },
    { method: 'PUT', pattern: /^\/storage\/leapocr-uploads\/([^/]+)\/([^/]+)$/, absolute: true, handle: putPart },
  ];
}

function storageError(status: number, code: string, message: string): FakeResponse {
  const xml = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  return { status, body: Buffer.from(xml), headers: { 'Content-Type': 'application/xml' } };
}

function pickOptions(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(OPTION_FIELDS.filter((k) => body[k] !== undefined).map((k) => [k, body[k]]));
}

/** The rules the SDK and the generated endpoint docs state for format / model / schema / template. */
function checkOptions(body: Record<string, unknown>, requireFormat: boolean): { message: string; field: string } | null {
  const { format, model, schema, instructions, template_slug: slug } = body;
  if (slug !== undefined) {
    const clash = ['format', 'model', 'instructions', 'schema', 'save_as_template'].find((k) => body[k] !== undefined);
    if (clash) return { message: `template_slug cannot be combined with ${clash}`, field: clash };
    return typeof slug === 'string' && slug !== '' ? null : { message: 'template_slug must be a string', field: 'template_slug' };
  }
  if (format === undefined) {
    return requireFormat ? { message: 'either format or template_slug is required', field: 'format' } : null;
  }
  if (format !== 'markdown' && format !== 'structured') return { message: 'format must be markdown or structured', field: 'format' };
  if (typeof model !== 'string' || model === '') return { message: 'model is required with format', field: 'model' };
  if (format === 'structured' && !(isRecord(schema) && Object.keys(schema).length > 0)) {
    return { message: 'schema is required for structured format', field: 'schema' };
  }
  if (format === 'markdown' && (schema !== undefined || instructions !== undefined)) {
    return { message: 'schema and instructions need format=structured', field: schema !== undefined ? 'schema' : 'instructions' };
  }
  if (instructions !== undefined && (typeof instructions !== 'string' || instructions.length > 100)) {
    return { message: 'instructions must be at most 100 characters', field: 'instructions' };
  }
  return null;
}
