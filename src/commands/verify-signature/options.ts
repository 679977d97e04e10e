/**
 * `ocrq verify-signature`'s options: what the command takes, and how parsed flags become them (cli.ts parses the
 * flags and hands them here). Light on imports: loaded on every run of the CLI, before the command itself.
 */
import type { ProviderName } from '../../providers/registry.js';
import { UsageError } from '../../errors.js';
import type { Scheme } from '../../signature/index.js';
import type { CommandDeps } from '../deps.js';
import { secretOption } from '../secret-flags.js';

export interface VerifySignatureOptions {
  secret?: string;
  provider?: ProviderName;
  scheme?: Scheme;
  signature?: string;
  /** "Name: value", as given to --header (repeatable). */
  headers: string[];
  toleranceSeconds?: number;
  /** A path, '-' or undefined for stdin. */
  file?: string;
  /** The result as one JSON object on stdout: {"valid":true} or {"valid":false,"reason":…}. */
  json?: boolean;
  /** Nothing on stdout or stderr but errors: the exit code (0 or 6) is the answer. */
  quiet?: boolean;
}

/** Verify-signature's flags as commander parses them. */
export interface VerifySignatureFlags {
  secret?: string;
  secretFile?: string;
  provider?: string;
  scheme?: string;
  signature?: string;
  header: string[];
  tolerance?: number;
  json?: boolean;
  quiet?: boolean;
}

/** The body may come from standard input, so the secret file may not; the secret is read from its file if given. */
export async function verifySignatureOptions(file: string | undefined, flags: VerifySignatureFlags, deps: CommandDeps): Promise<VerifySignatureOptions> {
  if (flags.secretFile === '-' && (file === undefined || file === '-')) throw new UsageError('standard input holds the body; the secret cannot come from it too', 'pass the secret in a file');
  if (flags.json && flags.quiet) throw new UsageError('--json and --quiet cannot be combined', 'use one of them');
  const secret = await secretOption(flags.secret, flags.secretFile, '--secret', deps, Boolean(flags.quiet));
  return {
    secret,
    provider: flags.provider as VerifySignatureOptions['provider'],
    scheme: flags.scheme as VerifySignatureOptions['scheme'],
    signature: flags.signature,
    headers: flags.header,
    toleranceSeconds: flags.tolerance,
    file,
    ...(flags.json ? { json: true } : {}),
    ...(flags.quiet ? { quiet: true } : {}),
  };
}
