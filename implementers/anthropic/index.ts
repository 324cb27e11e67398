// The `anthropic` implementer: Claude as an agent (implementers/agent/). This module is its model:
// one streamed Messages call per turn, from inside an activity, with Temporal owning retries (the
// SDK's are off), and the count of a request's tokens for the budget.
import Anthropic from '@anthropic-ai/sdk';
import { ApplicationFailure } from '@temporalio/common';
import type { AgentModel } from '../agent/model';
import { AnthropicFailure, toActivityFailure } from './errors';
import { streamReply } from './stream';

export { NON_RETRYABLE_ANTHROPIC_TYPES, AnthropicFailure } from './errors';

export const DEFAULT_MODEL = 'claude-sonnet-5-5';

/** Output budget of one turn: tool calls are short; a Write of a large file that does not fit is asked again, shorter. */
export const DEFAULT_MAX_TOKENS = 16_384;

export interface AnthropicAgentOptions {
  apiKey: string;
  /** A gateway or another region; the SDK's default (or ANTHROPIC_BASE_URL) when unset. */
  baseURL?: string;
  model?: string;
  maxTokens?: number;
  heartbeat?: (details?: unknown) => void;
  signal?: AbortSignal;
  /** Time to the response headers (SDK timeout) and the longest silence inside a stream. */
  timeoutMs?: number;
  idleTimeoutMs?: number;
}

export function createAnthropicAgent(opts: AnthropicAgentOptions): AgentModel {
  const model = opts.model ?? DEFAULT_MODEL;
  const client = new Anthropic({
    apiKey: opts.apiKey,
    ...(opts.baseURL ? { baseURL: opts.baseURL } : {}),
    maxRetries: 0,
    timeout: opts.timeoutMs ?? 5 * 60_000,
    // The SDK's own span of each call, metadata only whatever ANTHROPIC_OPEN_TELEMETRY_TRACES_CONTENT_MODE
    // says: prompts and replies never go into a trace (a given option is complete: the environment is not read).
    openTelemetry: { traces: { enabled: true, contentMode: 'metadata_only' } },
  });
  const signal = opts.signal ? { signal: opts.signal } : {};
  return {
    model,
    maxTokens: opts.maxTokens ?? DEFAULT_MAX_TOKENS,
    async call(request, onUsage) {
      try {
        return await streamReply(client, { ...request, model }, {
          idleTimeoutMs: opts.idleTimeoutMs ?? 90_000, onUsage, ...signal, ...(opts.heartbeat ? { heartbeat: opts.heartbeat } : {}),
        });
      } catch (err) {
        throw toActivityFailure(err, { model });
      }
    },
    async countTokens(request) {
      const { system, tools, messages } = request;
      try {
        const counted = await client.messages.countTokens({ model, messages, ...(system ? { system } : {}), ...(tools ? { tools } : {}) }, signal);
        return counted.input_tokens;
      } catch (err) {
        // A gateway without the endpoint (or a passing fault): the caller estimates from characters.
        if (err instanceof Anthropic.APIError || err instanceof Anthropic.APIConnectionError) return undefined;
        throw err;
      }
    },
  };
}

/** The worker's environment, as validated by worker/config.ts. */
export interface AnthropicEnv {
  ANTHROPIC_API_KEY?: string | undefined;
  ANTHROPIC_BASE_URL?: string | undefined;
  ANTHROPIC_MODEL?: string | undefined;
}

/**
 * The registry entry for activities: the key is read from the worker's environment here, never
 * from workflow input, so it never enters history. Without a key, each call fails non-retryably.
 */
export function anthropicAgentFactory(env: AnthropicEnv, extra: Partial<AnthropicAgentOptions> = {}) {
  return (tools: { heartbeat: (details?: unknown) => void; signal: AbortSignal }): AgentModel => {
    if (!env.ANTHROPIC_API_KEY) {
      throw ApplicationFailure.nonRetryable(
        'ANTHROPIC_API_KEY is not set in the worker\'s environment: set it and restart the worker to use the anthropic implementer',
        AnthropicFailure.AuthError,
      );
    }
    return createAnthropicAgent({
      ...extra,
      apiKey: env.ANTHROPIC_API_KEY,
      ...(env.ANTHROPIC_BASE_URL ? { baseURL: env.ANTHROPIC_BASE_URL } : {}),
      ...(env.ANTHROPIC_MODEL ? { model: env.ANTHROPIC_MODEL } : {}),
      heartbeat: tools.heartbeat,
      signal: tools.signal,
    });
  };
}
