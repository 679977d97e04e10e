/**
 * `ocrq listen`'s options: what the command takes, and how parsed flags become them (cli.ts parses the flags and
 * hands them here). Light on imports: loaded on every run of the CLI, before the command itself.
 */
import type { ProviderName } from '../../providers/registry.js';
import { UsageError } from '../../errors.js';
import type { WebhookServerLimits } from '../../results/webhook-server.js';
import type { CommandDeps } from '../deps.js';
import { secretOption } from '../secret-flags.js';

export interface ListenOptions {
  port: number;
  host: string;
  provider: ProviderName | 'auto';
  secret?: string;
  /** `"Name: value"`: the header a provider that signs nothing must send. */
  requireHeader?: string;
  /** Accept unsigned deliveries on an address other machines can reach, without --require-header. */
  allowUnsigned?: boolean;
  out: string;
  forwardTo?: string;
  untilDone?: string;
  timeoutMs?: number;
  json: boolean;
  quiet: boolean;
  /** Tests only: smaller timeouts and caps. */
  serverLimits?: Partial<WebhookServerLimits>;
  closeGraceMs?: number;
}

/** Listen's flags as commander parses them. */
export interface ListenFlags {
  port: number;
  host: string;
  provider: string;
  secret?: string;
  secretFile?: string;
  requireHeader?: string;
  allowUnsigned?: boolean;
  out: string;
  forwardTo?: string;
  untilDone?: string;
  timeout?: number;
  json?: boolean;
  quiet?: boolean;
}

/** The options of a listener: --json and --quiet exclude each other; the secret is read from its file if given. */
export async function listenOptions(flags: ListenFlags, deps: CommandDeps): Promise<ListenOptions> {
  if (flags.json && flags.quiet) throw new UsageError('--json and --quiet cannot be combined', 'use one of them');
  const secret = await secretOption(flags.secret, flags.secretFile, '--secret', deps, Boolean(flags.quiet));
  return {
    port: flags.port,
    host: flags.host,
    provider: flags.provider as ListenOptions['provider'],
    secret,
    requireHeader: flags.requireHeader,
    allowUnsigned: Boolean(flags.allowUnsigned),
    out: flags.out,
    forwardTo: flags.forwardTo,
    untilDone: flags.untilDone,
    timeoutMs: flags.timeout,
    json: Boolean(flags.json),
    quiet: Boolean(flags.quiet),
  };
}
