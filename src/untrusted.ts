/**
 * Checks on values a provider chooses: every field of an answer or a webhook body may come from someone else (a
 * compromised account, a proxy, a bug on their side). docs/trust.md lists what is trusted and what is checked.
 */
import net from 'node:net';
import { escapeForDisplay } from './output/display.js';

/** Longest job id accepted from a submit answer or a webhook. */
export const MAX_JOB_ID_LENGTH = 256;
/** Longest part of an unusable value quoted in a message. */
const QUOTE_CHARS = 80;

/** C0 and C1 controls, DEL, and lone surrogates: nothing a job id needs, and all of them dangerous somewhere. */
function hasControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

/** Why a job id cannot be used, or null when it can. */
export function jobIdProblem(value: string): string | null {
  if (value.trim() === '') return 'it is empty';
  if (/^\.+$/u.test(value)) return 'it is only dots';
  if (value.length > MAX_JOB_ID_LENGTH) return `it is ${value.length} characters long, over ${MAX_JOB_ID_LENGTH}`;
  if (hasControl(value)) return 'it contains control characters';
  return null;
}

/** An untrusted value for a one-line message: escaped, and shortened when long. */
export function quoteUntrusted(value: string): string {
  const shown = value.length > QUOTE_CHARS ? `${value.slice(0, QUOTE_CHARS)}… (${value.length} characters)` : value;
  return JSON.stringify(escapeForDisplay(shown));
}

/**
 * Why ocrq must not send a document's bytes to `url`, a URL the provider handed out (a presigned upload URL), or
 * null when it may. Allowed: the API's own origin, and https elsewhere, except to a link-local address (a cloud
 * metadata service is never storage) or, unless the API itself is on this machine, to a loopback address.
 */
export function uploadUrlProblem(url: URL, base: URL): string | null {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `${url.protocol} is not an http(s) URL`;
  if (url.origin === base.origin) return null;
  if (url.protocol !== 'https:') return 'plain http to a host other than the API';
  const kind = addressKind(url.hostname);
  if (kind === 'link-local') return 'a link-local address';
  if (kind === 'loopback' && addressKind(base.hostname) !== 'loopback') return 'a loopback address';
  return null;
}

/** Loopback (`localhost` names and unspecified addresses too), link-local, or anything else. */
export function addressKind(hostname: string): 'loopback' | 'link-local' | 'other' {
  const host = hostname.replace(/^\[|\]$/gu, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return 'loopback';
  const version = net.isIP(host);
  if (version === 4) return v4Kind(host);
  if (version !== 6) return 'other';
  if (host === '::' || host === '::1') return 'loopback';
  if (/^fe[89ab][0-9a-f]:/u.test(host)) return 'link-local';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/u.exec(host);
  if (mapped) return v4Kind(mapped[1]);
  const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/u.exec(host);
  if (hexMapped) {
    const hi = parseInt(hexMapped[1], 16);
    return v4Kind(`${hi >> 8}.${hi & 255}.0.0`);
  }
  return 'other';
}

function v4Kind(host: string): 'loopback' | 'link-local' | 'other' {
  const [a, b] = host.split('.').map(Number);
  if (a === 127 || a === 0) return 'loopback';
  return a === 169 && b === 254 ? 'link-local' : 'other';
}
