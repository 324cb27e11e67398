// One streamed Messages call, read event by event: heartbeats while the model writes, an idle
// timeout for a stream that stalls, and the tool input kept as the raw JSON the model typed.
//
// Why not `client.messages.stream()`: its accumulator parses tool JSON as it goes and throws a bare
// SyntaxError on input that is not valid JSON, losing the reply. We need that reply intact to send
// the model its own mistake back, so we read the raw events (`create({ stream: true })`) ourselves.
import Anthropic from '@anthropic-ai/sdk';
import type { LlmUsage } from '../../core/schemas';
import { traceLlmCall } from '../../runtime/telemetry';
import { StreamInterruptedError } from './errors';

export type ReplyBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; rawJson: string };

export interface Reply {
  content: ReplyBlock[];
  /** `tool_use`, `end_turn`, `max_tokens`, …; null when the stream ended without saying. */
  stopReason: string | null;
  usage: LlmUsage;
}

export interface StreamOptions {
  signal?: AbortSignal;
  /**
   * Called once for every reply the API began to serve (after `message_start`), with what it used so
   * far — on a complete reply, a cut one and one whose stream then broke alike: every token is paid.
   */
  onUsage?: (usage: LlmUsage) => Promise<void>;
  heartbeat?: (details?: unknown) => void;
  /** Abort when no event arrives for this long (a stalled connection). */
  idleTimeoutMs: number;
}

export type StreamParams = Omit<Anthropic.MessageCreateParamsStreaming, 'stream'>;

/** One call, traced (model, tokens, cost: runtime/telemetry.ts). */
export function streamReply(client: Anthropic, params: StreamParams, opts: StreamOptions): Promise<Reply> {
  return traceLlmCall(params.model, () => readReply(client, params, opts));
}

async function readReply(client: Anthropic, params: StreamParams, opts: StreamOptions): Promise<Reply> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let stalled = false;
  let idle: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      stalled = true;
      controller.abort();
    }, opts.idleTimeoutMs);
  };

  const reply: Reply = { content: [], stopReason: null, usage: { calls: 1, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 } };
  let connected = false;
  let started = false;
  let events = 0;
  arm();
  const settle = async (err?: unknown) => {
    if (!started) return;
    started = false;
    // The usage rides on the error too, so the span and the metrics count a broken reply's tokens.
    if (err && typeof err === 'object') Object.assign(err, { usage: reply.usage });
    await opts.onUsage?.(reply.usage);
  };
  try {
    const stream = await client.messages.create({ ...params, stream: true }, { signal: controller.signal });
    connected = true;
    for await (const event of stream) {
      arm();
      events++;
      opts.heartbeat?.({ llmEvents: events });
      if (event.type === 'message_start') started = true;
      accumulate(reply, event);
    }
  } catch (err) {
    const thrown = interruption(err, { aborted: opts.signal?.aborted ?? false, reason: opts.signal?.reason, stalled, connected, idleMs: opts.idleTimeoutMs });
    await settle(thrown);
    throw thrown;
  } finally {
    clearTimeout(idle);
    opts.signal?.removeEventListener('abort', onAbort);
  }
  // A stream that closes without a stop reason was cut short: never hand half a reply on.
  if (reply.stopReason === null) {
    const cut = new StreamInterruptedError('the stream ended before the reply was complete');
    await settle(cut);
    throw cut;
  }
  await settle();
  return reply;
}

function interruption(err: unknown, s: { aborted: boolean; reason: unknown; stalled: boolean; connected: boolean; idleMs: number }): unknown {
  if (s.aborted) return s.reason instanceof Error ? s.reason : err;
  if (s.stalled) return new StreamInterruptedError(`no event for ${Math.round(s.idleMs / 1000)}s; the connection stalled`);
  // Before the response, SDK errors carry the HTTP status; after it, anything that breaks the
  // stream (socket closed, malformed event) is an interruption, except the API's own `event: error`.
  if (!s.connected || err instanceof Anthropic.APIError) return err;
  return new StreamInterruptedError((err as Error).message || String(err), { cause: err });
}

function accumulate(reply: Reply, event: Anthropic.RawMessageStreamEvent): void {
  switch (event.type) {
    case 'message_start': {
      const u = event.message.usage;
      reply.usage.inputTokens = u.input_tokens;
      reply.usage.outputTokens = u.output_tokens;
      reply.usage.cacheReadTokens = u.cache_read_input_tokens ?? 0;
      reply.usage.cacheWriteTokens = u.cache_creation_input_tokens ?? 0;
      return;
    }
    case 'content_block_start': {
      const b = event.content_block;
      // Other block kinds (thinking, server tools) carry nothing we apply; keep the indexes aligned.
      reply.content[event.index] = b.type === 'tool_use' ? { type: 'tool_use', id: b.id, name: b.name, rawJson: '' } : { type: 'text', text: b.type === 'text' ? b.text : '' };
      return;
    }
    case 'content_block_delta': {
      const block = reply.content[event.index];
      if (block?.type === 'tool_use' && event.delta.type === 'input_json_delta') block.rawJson += event.delta.partial_json;
      if (block?.type === 'text' && event.delta.type === 'text_delta') block.text += event.delta.text;
      return;
    }
    case 'message_delta': {
      reply.stopReason = event.delta.stop_reason;
      // Counters in message_delta are cumulative totals: overwrite, never add.
      reply.usage.outputTokens = event.usage.output_tokens;
      if (event.usage.input_tokens != null) reply.usage.inputTokens = event.usage.input_tokens;
      if (event.usage.cache_read_input_tokens != null) reply.usage.cacheReadTokens = event.usage.cache_read_input_tokens;
      if (event.usage.cache_creation_input_tokens != null) reply.usage.cacheWriteTokens = event.usage.cache_creation_input_tokens;
      return;
    }
    default:
      return;
  }
}
