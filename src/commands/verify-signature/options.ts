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
}

/** The body may come from standard input, so the secret file may not; the secret is read from its file if given. */
export async function verifySignatureOptions(file: string | undefined, flags: VerifySignatureFlags, deps: CommandDeps): Promise<VerifySignatureOptions> {
  if (flags.secretFile === '-' && (file === undefined || file === '-')) throw new UsageError('standard input holds the body; the secret cannot come from it too', 'pass the secret in a file');
  const secret = await secretOption(flags.secret, flags.secretFile, '--secret', deps);
  return {
    secret,
    provider: flags.provider as VerifySignatureOptions['provider'],
    scheme: flags.scheme as VerifySignatureOptions['scheme'],
    signature: flags.signature,
    headers: flags.header,
    toleranceSeconds: flags.tolerance,
    file,
  };
}
