/**
 * A remote provider as a Target: the steps every provider shares. Before a submit the intent (with an idempotency key
 * derived from the content and target) is journaled; the provider's job id is journaled as soon as it is known, and
 * only then is the document's slot released. After a crash, a recorded job id is polled and never submitted again;
 * an intent without a job id is resent under the same key. Every line leaves out what it does not know, and the
 * intent's (or a replaced job's) last line has status `superseded`, so a plain merge of the lines by job id is the
 * folded view.
 */
import { basename } from 'node:path';
import { createPageCounter } from '../page-counter.js';
import { sha256Hex } from '../../documents/hash.js';
import { MIME_TYPES } from '../../documents/types.js';
import { ErrorCodes, InternalError, type DocumentFailure } from '../../errors.js';
import { INTENT_PREFIX, isIntentId, redoIntentId } from '../../manifest/intents.js';
import { realClock, type Clock } from '../../clock.js';
import type { DocumentOutcome, PendingOutcome, Target, TargetDocument } from '../types.js';
import type { ResultBoard } from '../../results/board.js';
import type { JobDelivery } from '../../results/payloads.js';
import type { JobState, ProviderAdapter } from '../../providers/common/adapter.js';
import { ProviderRequestError, type ProviderHttp } from '../../http/client.js';
import { jobIdProblem, quoteUntrusted } from '../../untrusted.js';

export const POLL_INITIAL_MS = 1_000;
export const POLL_FACTOR = 1.5;
export const POLL_MAX_MS = 10_000;

export interface RemoteTargetOptions {
  adapter: ProviderAdapter;
  http: ProviderHttp;
  options: Record<string, string>;
  /** Submit and record the job, then stop (`--no-wait`). */
  noWait: boolean;
  /** The callback URL for providers that take one per request (known once the listener is bound). */
  callbackUrl?: () => string | undefined;
  /** With `submit --listen`: deliveries arrive here, and polling starts only after `graceMs` without one. */
  webhooks?: { board: ResultBoard; graceMs: number };
  clock?: Clock;
  pollInitialMs?: number;
  pollMaxMs?: number;
}

/**
 * A content's tag at one target. It names the content's intent, and the key of its first submission, so a resend
 * after a crash reuses that key.
 */
function contentTag(target: string, sha256: string): string {
  return sha256Hex(Buffer.from(`${target}:${sha256}`)).slice(0, 32);
}

function idempotencyKeyFor(tag: string, redo: boolean, stamp: number): string {
  // A redo (--retry-failed, --force) must not get the old job back from a provider that honours the key.
  return redo ? `ocrq-${tag}-${stamp.toString(36)}` : `ocrq-${tag}`;
}

export function createRemoteTarget(o: RemoteTargetOptions): Target {
  const { adapter, http } = o;
  const clock = o.clock ?? realClock;
  const counter = createPageCounter();
  const countPages = (doc: TargetDocument) => counter.count(doc);
  return {
    name: adapter.name,
    countPages,
    close: async () => {
      await Promise.all([http.close(), counter.close()]);
    },
    async process(doc, ctx): Promise<DocumentOutcome | PendingOutcome> {
      if (!ctx.journal) throw new InternalError('remote targets need a journal to record submissions');
      const journal = ctx.journal;
      const tag = contentTag(adapter.name, doc.sha256);
      const prev = ctx.previous;
      const stamp = Date.now();
      // The content's own intent the first time; an intent already holding the content (resent after a crash, or
      // failed before the provider answered) is used again; a redo of a provider's job gets an intent of its own,
      // so that the content's first intent, long superseded, is never re-opened.
      const intentId = prev === undefined ? INTENT_PREFIX + tag : isIntentId(prev.jobId) ? prev.jobId : redoIntentId(tag, stamp);
      if (!adapter.accepts.has(doc.type)) {
        const error = { code: ErrorCodes.UNSUPPORTED_BY_PROVIDER, message: `${doc.source}: ${adapter.name} does not take ${doc.type.toUpperCase()} documents (use --engine local for these)`, category: 'input' as const };
        return { ok: false, jobId: intentId, error };
      }
      const pagesCounted = await countPages(doc);
      let jobId: string;
      let state: JobState | undefined;
      if (prev?.resume && !isIntentId(prev.jobId)) {
        // Submitted by an earlier run: poll it, never submit it again.
        jobId = prev.jobId;
        ctx.onSubmitted?.();
      } else {
        let key: string;
        if (prev?.resume && prev.entry.idempotencyKey) {
          key = prev.entry.idempotencyKey;
        } else {
          key = idempotencyKeyFor(tag, prev !== undefined, stamp);
          await journal.intent(intentId, key);
        }
        try {
          const submitted = await adapter.submit(
            { data: doc.data, fileName: fileNameOf(doc), mime: MIME_TYPES[doc.type], type: doc.type, idempotencyKey: key, options: o.options, callbackUrl: o.callbackUrl?.() },
            http,
            ctx.signal,
          );
          jobId = submitted.jobId;
          state = submitted.state;
          const problem = jobIdProblem(jobId);
          if (problem) {
            const message = `${doc.source}: ${adapter.name} answered the submit with a job id ocrq cannot use (${problem}): ${quoteUntrusted(jobId)}`;
            return { ok: false, jobId: intentId, error: { code: 'BAD_RESPONSE', message, category: 'provider' } };
          }
        } catch (err) {
          if (!(err instanceof ProviderRequestError)) throw err;
          return { ok: false, jobId: intentId, error: failure(err, doc) };
        }
        await journal.submitted(jobId, key, state?.providerStatus);
        await journal.superseded(intentId, jobId);
        if (prev && !prev.resume && prev.jobId !== intentId && prev.jobId !== jobId) await journal.superseded(prev.jobId, jobId);
        ctx.onSubmitted?.();
      }

      let delay = o.pollInitialMs ?? POLL_INITIAL_MS;
      const maxDelay = o.pollMaxMs ?? POLL_MAX_MS;
      // With a listener, the first wait after a submit is the callback grace: a lost webhook is then found by
      // polling. A job submitted by an earlier run may have had its webhook sent while nobody listened: poll it now.
      const resumed = prev?.resume === true && !isIntentId(prev.jobId);
      let firstWait = o.webhooks && !resumed ? o.webhooks.graceMs : resumed && o.webhooks ? 0 : undefined;
      while (!state || state.state === 'pending') {
        if (o.noWait) return { pending: true, jobId };
        const wait = firstWait ?? Math.min(maxDelay, Math.max(delay, state?.retryAfterMs ?? 0));
        firstWait = undefined;
        const stopWaiting = ctx.waitSignal ? AbortSignal.any([ctx.signal, ctx.waitSignal]) : ctx.signal;
        if (o.webhooks) {
          const delivery = await o.webhooks.board.wait(jobId, wait, stopWaiting);
          if (ctx.signal.aborted) throw ctx.signal.reason;
          if (ctx.waitSignal?.aborted) return { pending: true, jobId };
          if (delivery && delivery.status !== 'processing' && !delivery.needsResult) {
            return fromDelivery(delivery, doc, pagesCounted);
          }
          // A delivery that says "done, fetch the result" (LeapOCR) or "still working" leads to a poll now.
        } else {
          try {
            await clock.sleep(wait, stopWaiting);
          } catch (err) {
            if (ctx.signal.aborted) throw err;
            return { pending: true, jobId };
          }
        }
        delay = Math.min(maxDelay, delay * POLL_FACTOR);
        try {
          state = await adapter.poll(jobId, http, ctx.signal, o.options);
        } catch (err) {
          if (!(err instanceof ProviderRequestError)) throw err;
          // A job the provider no longer knows cannot finish; any other failure leaves it for the next run to poll.
          if (err.status === 404 || err.status === 410) return { ok: false, jobId, error: failure(err, doc) };
          return { pending: true, jobId };
        }
      }
      if (state.state === 'failed') {
        const error: DocumentFailure = { code: state.error.code, message: `${doc.source}: ${adapter.name}: ${state.error.message}`, category: 'provider' };
        return { ok: false, jobId, error, pages: pagesCounted ?? undefined };
      }
      return { ok: true, jobId, text: state.text, pages: state.pages ?? pagesCounted ?? 1, result: state.result };
    },
  };
}

/** An outcome from a stored webhook delivery; the listener has already journaled its row. */
function fromDelivery(d: JobDelivery, doc: TargetDocument, pagesCounted: number | null): DocumentOutcome {
  if (d.status === 'failed') {
    const error: DocumentFailure = { code: d.error?.code ?? 'PROVIDER_FAILED', message: `${doc.source}: ${d.provider}: ${d.error?.message ?? 'failed'}`, category: 'provider' };
    return { ok: false, jobId: d.jobId, error, pages: pagesCounted ?? undefined, recorded: true };
  }
  return { ok: true, jobId: d.jobId, text: d.text, pages: d.pages ?? pagesCounted ?? 1, result: d.result, recorded: true };
}

/** Failures about what the provider answered, rather than about reaching it. */
const ANSWER_CODES: ReadonlySet<string> = new Set(['BAD_RESPONSE', 'UNSAFE_UPLOAD_URL']);

function failure(err: ProviderRequestError, doc: TargetDocument): DocumentFailure {
  return { code: err.code, message: `${doc.source}: ${err.message}`, category: err.status === null && !ANSWER_CODES.has(err.code) ? 'network' : 'provider' };
}

/** Providers want a real file name with an extension that matches the content (OCRQueen rejects octet-stream). */
function fileNameOf(doc: TargetDocument): string {
  const inner = doc.source.slice(doc.source.lastIndexOf('!/') + 1);
  const name = basename(inner) || 'document';
  const ext = doc.type === 'jpeg' ? 'jpg' : doc.type === 'tiff' ? 'tif' : doc.type;
  return name.toLowerCase().endsWith(`.${ext}`) || (doc.type === 'jpeg' && /\.jpe?g$/i.test(name)) || (doc.type === 'tiff' && /\.tiff?$/i.test(name)) ? name : `${name}.${ext}`;
}
