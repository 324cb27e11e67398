// How long an HTTP API asks to be left alone before the next try (Anthropic's, a forge's): the
// activity's failure carries it as the next retry delay, so Temporal, not a client library, waits.

/** A retry-after wait longer than this is capped: the retry policy's backoff takes over again. */
export const MAX_RETRY_DELAY_MS = 10 * 60_000;

/** `retry-after-ms`, or `retry-after` as seconds or an HTTP date; undefined when absent or unusable. */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  const ms = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return Math.min(ms, MAX_RETRY_DELAY_MS);
  const value = headers?.get('retry-after')?.trim();
  if (!value) return undefined;
  const seconds = /^\d+(\.\d+)?$/.test(value) ? Number.parseFloat(value) * 1000 : Date.parse(value) - now;
  if (!Number.isFinite(seconds)) return undefined;
  return Math.min(Math.max(seconds, 0), MAX_RETRY_DELAY_MS);
}
