import type { HeaderMap } from './types.js';

export type HeaderLookup = { kind: 'missing' } | { kind: 'repeated'; count: number } | { kind: 'value'; value: string };

/**
 * One header's single value. Names match case-insensitively and only as own properties, so a header named
 * `constructor` or `__proto__` is never read off the prototype. An array of several values is `repeated`: none of
 * the schemes defines a list spread over several header lines.
 */
export function readHeader(headers: HeaderMap, name: string): HeaderLookup {
  const raw = rawHeader(headers, name.toLowerCase());
  if (raw === undefined || raw === null) return { kind: 'missing' };
  if (Array.isArray(raw)) {
    if (raw.length === 0) return { kind: 'missing' };
    if (raw.length > 1) return { kind: 'repeated', count: raw.length };
    return typeof raw[0] === 'string' ? { kind: 'value', value: raw[0] } : { kind: 'missing' };
  }
  return typeof raw === 'string' ? { kind: 'value', value: raw } : { kind: 'missing' };
}

export function hasHeader(headers: HeaderMap, name: string): boolean {
  return readHeader(headers, name).kind !== 'missing';
}

function rawHeader(headers: HeaderMap, lower: string): unknown {
  if (Object.hasOwn(headers, lower)) return headers[lower];
  for (const key of Object.keys(headers)) if (key.toLowerCase() === lower) return headers[key];
  return undefined;
}
