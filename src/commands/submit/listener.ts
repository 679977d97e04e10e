/**
 * `submit --listen`: the run's own webhook listener. Secrets are checked before anything starts, the socket is bound
 * before the first submit (a bind failure submits nothing), and deliveries are journaled by the listener before it
 * answers, then handed to the jobs waiting for them.
 */
import { randomBytes } from 'node:crypto';
import { PROVIDER_REGISTRY, type ProviderName } from '../../providers/registry.js';
import type { ConfigReader } from '../../config/file.js';
import { ConfigError } from '../../errors.js';
import type { ManifestWriter } from '../../manifest/writer.js';
import type { ResumeIndex } from '../../manifest/resume-index.js';
import { ResultBoard } from '../../results/board.js';
import { makeVerifier, resolveSecrets } from '../../results/verifier.js';
import { startWebhookServer, type WebhookServer } from '../../results/webhook-server.js';

export interface SubmitListenOptions {
  port: number;
  host: string;
  /** Externally reachable base URL (a tunnel); default: the listener's own address. */
  publicUrl?: string;
  webhookSecret?: string;
  callbackGraceMs: number;
}

export interface PreparedWebhooks {
  board: ResultBoard;
  /** Set once bound; read by the target at each submit. */
  callbackUrl: string | undefined;
  start(writer: ManifestWriter, index: ResumeIndex, report: (message: string) => void): Promise<{ url: string; server: WebhookServer }>;
}

/** Checks what the listener needs before anything else runs: a bad secret or URL stops the run before any submission. */
export function prepareWebhooks(provider: ProviderName, o: SubmitListenOptions, env: NodeJS.ProcessEnv, config: ConfigReader, warn: (m: string) => void): PreparedWebhooks {
  const secrets = resolveSecrets(provider, { flag: o.webhookSecret, env, configValue: (p) => config.get(`providers.${p}.webhook_secret`), configPath: config.path }, warn);
  if (o.publicUrl !== undefined && !/^https?:\/\/[^/\s]+/.test(o.publicUrl)) {
    throw new ConfigError(`--public-url ${o.publicUrl} is not an http(s) URL`, 'e.g. --public-url https://abc.trycloudflare.com');
  }
  const board = new ResultBoard();
  // An unguessable path: providers that sign nothing are told apart from strangers by it and by the job id.
  const path = `/ocrq/${randomBytes(12).toString('hex')}`;
  const prepared: PreparedWebhooks = {
    board,
    callbackUrl: undefined,
    async start(writer, index, report) {
      const server = await startWebhookServer({
        host: o.host,
        port: o.port,
        writer,
        index,
        provider,
        verify: makeVerifier({ provider, secrets }),
        // Only jobs this manifest submitted; one that arrives before its submit was recorded is answered 503 so the
        // sender comes back (and polling after the grace period finds it regardless).
        knownJob: (jobId) => index.has(jobId),
        unmatchedStatus: 503,
        onDelivery: (delivery, outcome) => {
          if (outcome === 'stored' || outcome === 'duplicate') board.put(delivery);
        },
        onEvent: (event) => report(`${provider} event ${event.type}${event.type.startsWith('credits.') ? ' — the provider is about to stop processing jobs' : ''}`),
      });
      const base = (o.publicUrl ?? server.url).replace(/\/+$/, '');
      prepared.callbackUrl = `${base}${path}`;
      // Providers without a callback per submit send to the endpoint set in their dashboard.
      if (!PROVIDER_REGISTRY[provider].callbackPerRequest) {
        report(`${provider} sends webhooks to the endpoint set in its dashboard: register ${prepared.callbackUrl} there`);
      }
      return { url: server.url, server };
    },
  };
  return prepared;
}
