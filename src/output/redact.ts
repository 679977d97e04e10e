/** Patterns of secrets that must never reach a terminal or a log: API keys, webhook secrets, signatures. */
const SECRET_PATTERNS: RegExp[] = [
  /\b(whsec_)[A-Za-z0-9+/=_-]{4,}/g,
  /\b(sk|pk|key|api)[-_][A-Za-z0-9]{8,}/gi,
  /\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi,
];

/** Replaces anything that looks like a secret with its first 4 characters and an ellipsis, as npm does. */
export function redact(text: string): string {
  let out = text;
  for (const re of SECRET_PATTERNS) out = out.replace(re, (m) => `${m.slice(0, Math.min(8, m.length - 4))}…`);
  return out;
}
