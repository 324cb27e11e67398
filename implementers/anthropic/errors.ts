// Anthropic failures mapped once to Temporal failures: what a retry can fix is retryable (honouring
// retry-after), what it cannot is non-retryable with a message that says what to fix. The SDK's own
// retries are off, so every attempt is a Temporal activity attempt, visible in history.
import Anthropic from '@anthropic-ai/sdk';
import { ApplicationFailure } from '@temporalio/common';
import { AnthropicFailure } from '../../core/failures';
import { retryAfterMs } from '../../core/retry-after';

export { retryAfterMs } from '../../core/retry-after';

export { AnthropicFailure, NON_RETRYABLE_ANTHROPIC_TYPES } from '../../core/failures';

/** The stream broke after the request was accepted (socket closed, malformed event, stall). */
export class StreamInterruptedError extends Error {
  override readonly name = 'StreamInterruptedError';
}

function causeMessage(err: Error): string {
  return err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message;
}

function retryable(message: string, type: string, cause: Error, delayMs?: number): ApplicationFailure {
  return ApplicationFailure.create({ message, type, nonRetryable: false, cause, ...(delayMs !== undefined ? { nextRetryDelay: delayMs } : {}) });
}

function final(message: string, type: string, cause: Error): ApplicationFailure {
  return ApplicationFailure.create({ message, type, nonRetryable: true, cause });
}

/**
 * Maps any error from a Messages call to what the activity should throw. Temporal failures and
 * cancellations pass through unchanged; unknown errors stay retryable under their own name.
 */
export function toActivityFailure(err: unknown, ctx: { model: string }): unknown {
  if (err instanceof ApplicationFailure || !(err instanceof Error)) return err;
  if (err instanceof Anthropic.APIUserAbortError) return err;
  if (err instanceof StreamInterruptedError) return retryable(`the reply stream from the Anthropic API broke: ${err.message}`, AnthropicFailure.ConnectionError, err);
  if (err instanceof Anthropic.APIConnectionTimeoutError) return retryable('the Anthropic API did not answer in time', AnthropicFailure.Timeout, err);
  if (err instanceof Anthropic.APIConnectionError) return retryable(`could not reach the Anthropic API (${causeMessage(err)}); check ANTHROPIC_BASE_URL and the network`, AnthropicFailure.ConnectionError, err);
  if (!(err instanceof Anthropic.APIError)) return err;
  if (err.status === undefined) return midStreamFailure(err);

  const what = err.apiMessage ?? err.message;
  const delay = retryAfterMs(err.headers);
  switch (err.status) {
    case 400: return final(`the Anthropic API rejected the request as invalid: ${what}`, AnthropicFailure.BadRequest, err);
    case 401: return final(`ANTHROPIC_API_KEY was rejected by the Anthropic API (${what}): set a valid key in the worker's environment and restart the worker`, AnthropicFailure.AuthError, err);
    case 402: return final(`the Anthropic account cannot pay for this request (${what}): check billing for the key in ANTHROPIC_API_KEY`, AnthropicFailure.Billing, err);
    case 403: return final(`the key in ANTHROPIC_API_KEY may not use this model or feature (${what}): check its permissions or choose another ANTHROPIC_MODEL`, AnthropicFailure.PermissionDenied, err);
    case 404: return final(`model "${ctx.model}" was not found (${what}): set ANTHROPIC_MODEL to a model your key can use, or check ANTHROPIC_BASE_URL`, AnthropicFailure.NotFound, err);
    case 413: return final(`the prompt is too large for the Anthropic API (${what}): narrow the scope or lower the knowledge budget`, AnthropicFailure.RequestTooLarge, err);
    case 408: return retryable(`the Anthropic API timed out the request: ${what}`, AnthropicFailure.Timeout, err, delay);
    case 429: return retryable(`rate limited by the Anthropic API: ${what}`, AnthropicFailure.RateLimited, err, delay);
    case 529: return retryable(`the Anthropic API is overloaded: ${what}`, AnthropicFailure.Overloaded, err, delay);
  }
  if (err.status >= 500) return retryable(`the Anthropic API failed (HTTP ${err.status}): ${what}`, AnthropicFailure.ServerError, err, delay);
  // 409 (lock timeout) is the one other status the API asks clients to retry.
  if (err.status === 409) return retryable(`the Anthropic API asked to retry (HTTP 409): ${what}`, AnthropicFailure.ServerError, err, delay);
  return final(`the Anthropic API rejected the request (HTTP ${err.status}): ${what}`, AnthropicFailure.RequestRejected, err);
}

/** An `event: error` inside an accepted stream: the server gave up mid-reply, so a retry may succeed. */
function midStreamFailure(err: InstanceType<typeof Anthropic.APIError>): ApplicationFailure {
  const what = err.apiMessage ?? err.message;
  if (err.type === 'overloaded_error') return retryable(`the Anthropic API is overloaded: ${what}`, AnthropicFailure.Overloaded, err);
  if (err.type === 'rate_limit_error') return retryable(`rate limited by the Anthropic API: ${what}`, AnthropicFailure.RateLimited, err);
  return retryable(`the Anthropic API failed while streaming (${err.type ?? 'unknown error'}): ${what}`, AnthropicFailure.ServerError, err);
}
