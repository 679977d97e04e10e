/**
 * The fakes' webhook sender. When a job ends (or a test asks for an event), the provider's profile turns it
 * into bytes and headers; the sender POSTs them with node:http, one fresh connection per attempt, and follows
 * the provider's retry schedule (each delay × `scheduleScale`) until the receiver answers what the profile
 * counts as delivered, the profile says the answer is final, or the attempts run out. Every attempt, dropped
 * and duplicate ones included, is appended to `deliveries`.
 */
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { randomHex } from './helpers.js';
import type { DeliveryRecord, FakeJob, WebhookDelivery, WebhookOptions } from './types.js';

export const WEBHOOK_DEFAULT_SECRET = 'whsec_fake0webhook0secret';
export const WEBHOOK_DEFAULT_TIMEOUT_MS = 10_000;

/** A webhook as a provider's profile renders it. */
export interface WebhookMessage {
  event: string;
  jobId?: string;
  /** Undefined when the provider has nowhere to send it (no callback and no dashboard URL). */
  url?: string;
  body: Buffer;
  /** The provider's headers for one attempt (signature, attempt number, timestamp...). */
  headers: (attempt: number, deliveryId: string) => Record<string, string>;
}

export interface WebhookContext {
  options: WebhookOptions;
  secret: string;
  /** The fake's API base URL (status URLs inside payloads). */
  baseUrl: string;
}

/** What one provider sends, where, and how it retries. */
export interface WebhookProfile {
  /** Delay before each attempt in ms, the first try's included; the length is the number of attempts. */
  schedule: readonly number[];
  timeoutMs: number;
  delivered: (status: number) => boolean;
  /** Whether a failed attempt is tried again; null = transport error or timeout. */
  retryable: (status: number | null) => boolean;
  /** The webhook for a job that just reached a terminal state, or undefined when none is sent. */
  forJob: (job: FakeJob, ctx: WebhookContext) => WebhookMessage | undefined;
  /** Events not about a job, by event type; `data` overrides fields of the event's data. */
  events: Record<string, (ctx: WebhookContext, data: Record<string, unknown>) => WebhookMessage>;
}

export interface SendEventOptions {
  /** Target; default `webhooks.url`. */
  url?: string;
  data?: Record<string, unknown>;
}

export const is2xx = (status: number): boolean => status >= 200 && status < 300;

type PostResult = { status: number | null; error?: string };

export class WebhookSender {
  readonly deliveries: DeliveryRecord[] = [];
  private pending = 0;
  private closed = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly requests = new Set<http.ClientRequest>();
  private waiters: Array<() => void> = [];

  constructor(
    private readonly profile: WebhookProfile | undefined,
    private readonly options: () => WebhookOptions | undefined,
    private readonly baseUrl: () => string,
  ) {}

  get busy(): boolean {
    return this.pending > 0;
  }

  /** Job webhooks go out only when the fake was given a `webhooks` option. */
  jobFinished(job: FakeJob): void {
    const options = this.options();
    if (!this.profile || !options || this.closed || job.deleted) return;
    const message = this.profile.forJob(job, this.context(options));
    if (message?.url !== undefined) this.enqueue(message, message.url);
  }

  /** Sends a non-job event at once (it needs no `webhooks` option); throws when the provider has no such event. */
  sendEvent(event: string, { url, data = {} }: SendEventOptions = {}): WebhookDelivery {
    const make = this.profile?.events[event];
    if (!make) throw new Error(`this provider sends no "${event}" event`);
    const options = this.options() ?? {};
    const target = url ?? options.url;
    if (target === undefined) throw new Error(`no URL for "${event}": pass one or set webhooks.url`);
    return this.enqueue(make(this.context(options), data), target);
  }

  /** Resolves when no delivery is under way or scheduled (at once when none is). */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Cancels every scheduled attempt and aborts the ones in flight. */
  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const req of this.requests) req.destroy();
    this.requests.clear();
    this.pending = 0;
    this.wake();
  }

  private context(options: WebhookOptions): WebhookContext {
    return { options, secret: options.secret ?? WEBHOOK_DEFAULT_SECRET, baseUrl: this.baseUrl() };
  }

  private enqueue(message: WebhookMessage, url: string): WebhookDelivery {
    const delivery: WebhookDelivery = { id: `d_${randomHex(12)}`, event: message.event, url, body: message.body };
    if (message.jobId !== undefined) delivery.jobId = message.jobId;
    this.pending++;
    this.schedule(delivery, message, 1);
    return delivery;
  }

  private schedule(delivery: WebhookDelivery, message: WebhookMessage, attempt: number): void {
    const scale = this.options()?.scheduleScale ?? 1;
    const delay = Math.max(0, Math.round((this.profile?.schedule[attempt - 1] ?? 0) * scale));
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.attempt(delivery, message, attempt).catch(() => this.finish());
    }, delay);
    this.timers.add(timer);
  }

  private async attempt(delivery: WebhookDelivery, message: WebhookMessage, attempt: number): Promise<void> {
    const profile = this.profile;
    if (this.closed || !profile) return;
    const options = this.options() ?? {};
    const record: DeliveryRecord = {
      deliveryId: delivery.id,
      event: delivery.event,
      ...(delivery.jobId !== undefined && { jobId: delivery.jobId }),
      url: delivery.url,
      attempt,
      status: null,
      at: performance.now(),
      body: delivery.body,
      headers: mergeHeaders(message.headers(attempt, delivery.id), options.headers),
    };
    this.deliveries.push(record);
    if (options.drop?.(delivery, attempt)) {
      record.dropped = true;
      record.error = 'dropped';
    } else {
      const result = await this.post(record, options.timeoutMs ?? profile.timeoutMs);
      record.status = result.status;
      if (result.error !== undefined) record.error = result.error;
    }
    if (this.closed) return;
    if (record.status !== null && profile.delivered(record.status)) {
      await this.sendDuplicates(record, options);
      return this.finish();
    }
    const retry = record.dropped || profile.retryable(record.status);
    if (retry && attempt < profile.schedule.length) this.schedule(delivery, message, attempt + 1);
    else this.finish();
  }

  /** Redelivers a delivered webhook byte for byte, as an at-least-once sender may. */
  private async sendDuplicates(original: DeliveryRecord, options: WebhookOptions): Promise<void> {
    for (let i = 0; i < (options.duplicate ?? 0) && !this.closed; i++) {
      const copy: DeliveryRecord = { ...original, status: null, at: performance.now(), duplicate: true };
      delete copy.error;
      this.deliveries.push(copy);
      const result = await this.post(copy, options.timeoutMs ?? this.profile?.timeoutMs ?? WEBHOOK_DEFAULT_TIMEOUT_MS);
      copy.status = result.status;
      if (result.error !== undefined) copy.error = result.error;
    }
  }

  private post(record: DeliveryRecord, timeoutMs: number): Promise<PostResult> {
    return new Promise((resolve) => {
      let req: http.ClientRequest;
      try {
        const target = new URL(record.url);
        const request = target.protocol === 'https:' ? https.request : http.request;
        const headers = { ...record.headers, 'Content-Length': String(record.body.length) };
        req = request(target, { method: 'POST', headers, agent: false }, (res) => {
          res.on('error', () => undefined);
          res.resume();
          resolve({ status: res.statusCode ?? null });
        });
      } catch (err) {
        return resolve({ status: null, error: (err as Error).message });
      }
      this.requests.add(req);
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', (err) => resolve({ status: null, error: err.message || 'connection failed' }));
      req.on('close', () => {
        this.requests.delete(req);
        resolve({ status: null, error: 'connection closed' });
      });
      req.end(record.body);
    });
  }

  private finish(): void {
    if (this.pending > 0) this.pending--;
    if (this.pending === 0) this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** Test headers replace the provider's own of the same name, whatever the case. */
function mergeHeaders(own: Record<string, string>, extra: Record<string, string> | undefined): Record<string, string> {
  if (!extra) return own;
  const names = new Set(Object.keys(extra).map((k) => k.toLowerCase()));
  const kept = Object.entries(own).filter(([k]) => !names.has(k.toLowerCase()));
  return { ...Object.fromEntries(kept), ...extra };
}
