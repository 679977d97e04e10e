/**
 * The shared base of the fake providers: a node:http server on 127.0.0.1:0 that records every request,
 * then applies, in order: forced Retry-After answers, injected faults, the provider's auth check, the
 * sliding-window rate limit, and the provider's routes. Providers supply only their wire format.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { JobStore, type JobStateSpec } from './job-store.js';
import { allowedPerWindow, SlidingWindowLimiter, type RateInfo } from './rate-limit.js';
import { WebhookSender, type SendEventOptions, type WebhookProfile } from './webhooks.js';
import type {
  DeliveryRecord,
  FakeJob,
  FakeOptions,
  FakeRequest,
  FakeResponse,
  FaultKind,
  FaultRule,
  ForceRetryAfterOptions,
  ProviderName,
  RequestRecord,
  WebhookDelivery,
} from './types.js';

export const DEFAULT_MAX_BODY_BYTES = 128 * 1024 * 1024;
export const DEFAULT_SLOW_BODY = { chunkBytes: 1, intervalMs: 100 };

export interface Route {
  method: string;
  /** Matched against the path below the provider's base path (the full path when `absolute`); groups become `params`. */
  pattern: RegExp;
  absolute?: boolean;
  handle: (req: FakeRequest, params: string[]) => FakeResponse | Promise<FakeResponse>;
}

export interface ProviderHandlers {
  /** null when the key is the valid one; otherwise the provider's 401. */
  authenticate: (req: FakeRequest, apiKey: string) => FakeResponse | null;
  forbidden: (req: FakeRequest) => FakeResponse;
  /** The provider's error body for a status (404 route, 413, 500, 503...). */
  error: (status: number, message: string) => FakeResponse;
  rateLimited: (info: RateInfo) => FakeResponse;
  rateHeaders?: (info: RateInfo, status: number) => Record<string, string>;
  /** Requests outside the API key and rate limit (LeapOCR's presigned storage). */
  isPublic?: (req: FakeRequest) => boolean;
  routes: Route[];
}

export interface FakeContext<O extends FakeOptions> {
  store: JobStore;
  options: () => O;
  /** http://127.0.0.1:PORT */
  origin: () => string;
  /** The base URL as the contract gives it (origin + base path). */
  baseUrl: () => string;
  /** Sends a non-job webhook event (DocExtract's `POST /v1/webhooks/test`). */
  sendEvent: (event: string, options?: SendEventOptions) => WebhookDelivery;
}

export interface ProviderDefinition<O extends FakeOptions> {
  name: ProviderName;
  basePath: string;
  defaultApiKey: string;
  states: JobStateSpec;
  newJobId: () => string;
  build: (ctx: FakeContext<O>) => ProviderHandlers;
  /** How the provider delivers webhooks; without it the fake sends none. */
  webhooks?: WebhookProfile;
}

export interface FakeProvider<O extends FakeOptions = FakeOptions> {
  name: ProviderName;
  /** The API base URL exactly as the contract gives it. */
  url: string;
  origin: string;
  apiKey: string;
  requests: RequestRecord[];
  jobs: Map<string, FakeJob>;
  submissionsByContent: Map<string, number>;
  options: () => O;
  setOptions: (patch: Partial<O>) => void;
  /** Every webhook attempt, in the order made (see webhooks.ts). */
  deliveries: DeliveryRecord[];
  /** Resolves when no webhook is in flight or scheduled and no job still waits on its `progress.ms` timer. */
  webhooksIdle: () => Promise<void>;
  /** Sends a non-job event (`webhook.test`; DocExtract `credits.*`) to `options.url` or `webhooks.url`. */
  sendEvent: (event: string, options?: SendEventOptions) => WebhookDelivery;
  /** Stops the server and cancels every pending webhook. */
  close: () => Promise<void>;
}

export async function startFakeServer<O extends FakeOptions>(def: ProviderDefinition<O>, initial: O): Promise<FakeProvider<O>> {
  const opts: O = { ...initial };
  let faults: FaultRule[] = copyFaults(opts.inject);
  let forced: ForceRetryAfterOptions | undefined = opts.forceRetryAfter && { ...opts.forceRetryAfter };
  const limiter = new SlidingWindowLimiter();
  const requests: RequestRecord[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const apiKey = () => opts.apiKey ?? def.defaultApiKey;
  let origin = '';
  const sender = new WebhookSender(def.webhooks, () => opts.webhooks, () => origin + def.basePath);
  const store = new JobStore(def.states, def.newJobId, () => opts, (job) => sender.jobFinished(job));
  const sendEvent = (event: string, options?: SendEventOptions) => sender.sendEvent(event, options);
  const handlers = def.build({ store, options: () => opts, origin: () => origin, baseUrl: () => origin + def.basePath, sendEvent });

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  function takeFault(req: FakeRequest): FaultKind | undefined {
    const rule = faults.find((r) => r.times > 0 && r.match(req));
    if (!rule) return undefined;
    rule.times--;
    return rule.fault;
  }

  function forcedAnswer(): FakeResponse | undefined {
    if (!forced || forced.count <= 0) return undefined;
    forced.count--;
    const retryAfter = forced.httpDate
      ? new Date(Date.now() + forced.seconds * 1000).toUTCString()
      : String(forced.seconds);
    const base =
      forced.status === 503
        ? handlers.error(503, 'Service temporarily unavailable')
        : handlers.rateLimited({
            limit: opts.rateLimit ? allowedPerWindow(opts.rateLimit) : 0,
            remaining: 0,
            windowMs: opts.rateLimit?.windowMs ?? 1000,
            resetSeconds: forced.seconds,
          });
    return { ...base, headers: { ...base.headers, 'Retry-After': retryAfter } };
  }

  async function route(req: FakeRequest): Promise<FakeResponse> {
    let rate: RateInfo | undefined;
    if (!handlers.isPublic?.(req)) {
      const denied = handlers.authenticate(req, apiKey());
      if (denied) return denied;
      if (opts.forbidden) return handlers.forbidden(req);
      if (opts.rateLimit) {
        const decision = limiter.check(performance.now(), opts.rateLimit);
        if (!decision.ok) {
          const base = handlers.rateLimited(decision.info);
          return { ...base, headers: { ...base.headers, 'Retry-After': String(decision.retryAfterSeconds) } };
        }
        rate = decision.info;
      }
    }
    const response = await dispatch(req);
    if (rate && handlers.rateHeaders) {
      response.headers = { ...handlers.rateHeaders(rate, response.status), ...response.headers };
    }
    return response;
  }

  async function dispatch(req: FakeRequest): Promise<FakeResponse> {
    const rel = req.path.startsWith(def.basePath + '/') ? req.path.slice(def.basePath.length) : undefined;
    let pathMatched = false;
    for (const r of handlers.routes) {
      const target = r.absolute ? req.path : rel;
      const m = target === undefined ? null : r.pattern.exec(target);
      if (!m) continue;
      pathMatched = true;
      if (r.method === req.method) return r.handle(req, m.slice(1).map((p) => decodeURIComponent(p)));
    }
    return pathMatched
      ? handlers.error(405, `Method ${req.method} not allowed`)
      : handlers.error(404, `No route for ${req.method} ${req.path}`);
  }

  function send(res: http.ServerResponse, record: RequestRecord, response: FakeResponse, slow = false): void {
    const { status, body } = response;
    const raw = Buffer.isBuffer(body) ? body : body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { ...response.headers };
    if (!Buffer.isBuffer(body) && body !== undefined) headers['Content-Type'] ??= 'application/json';
    if (status !== 204 && status !== 304) headers['Content-Length'] = String(raw.length);
    record.status = status;
    if (res.destroyed) return;
    res.writeHead(status, headers);
    if (!slow || raw.length === 0) {
      res.end(status === 204 || status === 304 ? undefined : raw);
      return;
    }
    const { chunkBytes, intervalMs } = opts.slowBody ?? DEFAULT_SLOW_BODY;
    res.flushHeaders();
    let offset = 0;
    const tick = async () => {
      await sleep(intervalMs);
      if (res.destroyed) return;
      const chunk = raw.subarray(offset, offset + Math.max(1, chunkBytes));
      offset += chunk.length;
      if (offset >= raw.length) res.end(chunk);
      else res.write(chunk, () => void tick());
    };
    void tick();
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const idempotencyKey = typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : undefined;
    const record: RequestRecord = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search,
      headers: req.headers,
      body: Buffer.alloc(0),
      at: performance.now(),
      status: 0,
      ...(idempotencyKey !== undefined && { idempotencyKey }),
    };
    requests.push(record);
    const { body, tooLarge } = await readBody(req, opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
    record.body = body;
    const freq: FakeRequest = { method: record.method, path: url.pathname, query: url.searchParams, headers: req.headers, body };
    if (tooLarge) return send(res, record, handlers.error(413, 'Request body too large'));

    // Forced 429s model the API's limiter, so presigned storage uploads are left alone.
    let response = handlers.isPublic?.(freq) ? undefined : forcedAnswer();
    const fault = response ? undefined : takeFault(freq);
    if (fault !== undefined) record.fault = typeof fault === 'string' ? fault : `status ${fault.status}`;
    if (fault === 'reset') return void req.socket.destroy();
    if (fault === 'hang') return;
    if (fault === '500' || fault === '503') response = handlers.error(Number(fault), 'Injected server error');
    else if (typeof fault === 'object') response = { status: fault.status, body: fault.body, headers: fault.headers };
    if (!response) {
      try {
        response = await route(freq);
      } catch (err) {
        response = handlers.error(500, `Fake ${def.name} failed: ${(err as Error).message}`);
      }
    }
    if (opts.latencyMs) await sleep(opts.latencyMs);
    if (fault === 'reset-after-handling') {
      record.status = 0;
      return void req.socket.destroy();
    }
    send(res, record, response, fault === 'slow-body');
  }

  const server = http.createServer((req, res) => {
    req.on('error', () => res.destroy());
    res.on('error', () => undefined);
    handle(req, res).catch(() => res.destroy());
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    name: def.name,
    url: origin + def.basePath,
    origin,
    get apiKey() {
      return apiKey();
    },
    requests,
    jobs: store.jobs,
    submissionsByContent: store.submissionsByContent,
    options: () => opts,
    setOptions(patch) {
      Object.assign(opts, patch);
      if ('inject' in patch) faults = copyFaults(opts.inject);
      if ('forceRetryAfter' in patch) forced = opts.forceRetryAfter && { ...opts.forceRetryAfter };
      if ('rateLimit' in patch) limiter.reset();
    },
    deliveries: sender.deliveries,
    async webhooksIdle() {
      // A job on a timer will still finish and queue its webhook, so wait for both.
      while (store.pendingTimers > 0 || sender.busy) {
        await store.timersSettled();
        await sender.idle();
      }
    },
    sendEvent,
    async close() {
      sender.close();
      store.close();
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Rules are copied so counting down `times` never mutates the caller's objects. */
function copyFaults(rules: FaultRule[] | undefined): FaultRule[] {
  return (rules ?? []).map((r) => ({ ...r }));
}

/** Reads the whole body; past `max` bytes it keeps draining but stops storing, and reports tooLarge. */
function readBody(req: http.IncomingMessage, max: number): Promise<{ body: Buffer; tooLarge: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve({ body: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks), tooLarge }));
    req.on('error', () => resolve({ body: Buffer.concat(chunks), tooLarge }));
  });
}
