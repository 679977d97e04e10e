/** Relays a verified delivery (raw body, original headers) to a local app, as the Stripe CLI's `--forward-to` does. */

export const FORWARD_TIMEOUT_MS = 10_000;

/** Headers that describe one connection, not the delivery: the relay's own connection sets its own. */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'host',
  'content-length',
]);

export type ForwardResult = { url: string; status: number } | { url: string; error: string };

/** Never throws: a relay that fails is reported, and the delivery it carried stays stored and answered. */
export async function forwardDelivery(url: string, body: Buffer, rawHeaders: string[], timeoutMs = FORWARD_TIMEOUT_MS): Promise<ForwardResult> {
  const headers: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (!HOP_BY_HOP.has(rawHeaders[i].toLowerCase())) headers.push(rawHeaders[i], rawHeaders[i + 1]);
  }
  try {
    const { request } = await import('undici');
    const res = await request(url, { method: 'POST', headers, body, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    await res.body.dump();
    return { url, status: res.statusCode };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { url, error: code ?? (error instanceof Error ? error.message : String(error)) };
  }
}
