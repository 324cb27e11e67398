// A local Messages API server for tests: scripted replies (tool use streamed as SSE, HTTP errors,
// connection resets, delays) served to the real @anthropic-ai/sdk over real HTTP on 127.0.0.1, and
// optionally a responder for every unscripted request (the benchmarks' fixed-latency model).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReplyUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

export type ScriptedReply =
  /** A tool_use reply; `json` is the tool input exactly as the model "typed" it (may be invalid). */
  | { kind: 'tool'; json: string; stopReason?: 'tool_use' | 'max_tokens' | 'end_turn'; usage?: ReplyUsage; delayMs?: number }
  /** A plain text reply without any tool call. */
  | { kind: 'text'; text: string; stopReason?: 'end_turn' | 'max_tokens'; usage?: ReplyUsage; delayMs?: number }
  | { kind: 'error'; status: number; errorType: string; message: string; headers?: Record<string, string>; delayMs?: number }
  /** Destroys the socket: before any byte, or after the stream has started (`midStream`). */
  | { kind: 'reset'; midStream?: boolean; delayMs?: number }
  /** An `event: error` after the stream has started, as the API sends when it gives up mid-reply. */
  | { kind: 'stream-error'; errorType: string; message: string; delayMs?: number };

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body (undefined when the body is not JSON). */
  body: MessagesRequestBody | undefined;
  rawBody: string;
  /** Arrival time, ms since the epoch. */
  at: number;
  /** The usage this server reported for the reply, when it sent one. */
  usage?: Required<ReplyUsage>;
}

/** The parts of a Messages request the tests look at. */
export interface MessagesRequestBody {
  model: string;
  max_tokens: number;
  stream?: boolean;
  system?: { type: 'text'; text: string; cache_control?: { type: string } }[] | string;
  messages: { role: 'user' | 'assistant'; content: string | Record<string, unknown>[] }[];
  tools?: { name: string; input_schema: Record<string, unknown>; cache_control?: { type: string } }[];
  tool_choice?: { type: string; name?: string };
}

export interface FakeAnthropic {
  /** Base URL for the SDK (`baseURL` / ANTHROPIC_BASE_URL). */
  url: string;
  requests: RecordedRequest[];
  /** Messages requests only (POST /v1/messages). */
  messageRequests(): RecordedRequest[];
  enqueue(...replies: ScriptedReply[]): void;
  /** Replies not served yet. */
  pending(): number;
  close(): Promise<void>;
}

// Builders, so that tests read as a script.
export const toolReply = (input: unknown, opts: Omit<Extract<ScriptedReply, { kind: 'tool' }>, 'kind' | 'json'> = {}): ScriptedReply => ({ kind: 'tool', json: JSON.stringify(input), ...opts });
export const rawToolReply = (json: string, opts: Omit<Extract<ScriptedReply, { kind: 'tool' }>, 'kind' | 'json'> = {}): ScriptedReply => ({ kind: 'tool', json, ...opts });
export const textReply = (text: string, opts: Omit<Extract<ScriptedReply, { kind: 'text' }>, 'kind' | 'text'> = {}): ScriptedReply => ({ kind: 'text', text, ...opts });
export const httpError = (status: number, errorType: string, message: string, headers?: Record<string, string>): Extract<ScriptedReply, { kind: 'error' }> => ({
  kind: 'error', status, errorType, message, ...(headers ? { headers } : {}),
});
export const rateLimited = (retryAfter?: string) => httpError(429, 'rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit', retryAfter ? { 'retry-after': retryAfter } : undefined);
export const overloaded = () => httpError(529, 'overloaded_error', 'Overloaded');
export const serverError = () => httpError(500, 'api_error', 'Internal server error');
export const unauthorized = () => httpError(401, 'authentication_error', 'invalid x-api-key');
export const connectionReset = (midStream = false): ScriptedReply => ({ kind: 'reset', midStream });
export const streamError = (errorType = 'overloaded_error', message = 'Overloaded'): ScriptedReply => ({ kind: 'stream-error', errorType, message });

/** A rough token count, so usage numbers move with the prompt like the real API's do. */
const tokens = (s: string) => Math.ceil(s.length / 4);

export interface FakeAnthropicOptions {
  /**
   * Answers every request the script does not cover (empty queue), e.g. a fixed-latency mode for
   * benchmarks: `(body) => toolReply(changeSetFor(body), { delayMs: 1000 })`.
   */
  respond?: (body: MessagesRequestBody | undefined) => ScriptedReply;
  /** Keep every request in `requests` (default true); off for long benchmark runs. */
  record?: boolean;
}

export async function startFakeAnthropic(opts: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const queue: ScriptedReply[] = [];
  const requests: RecordedRequest[] = [];
  // Prompt-cache simulation: a prefix (tools + system up to the last cache_control) is written on
  // first sight and read afterwards, as the real API does within the cache's lifetime.
  const cached = new Set<string>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: MessagesRequestBody | undefined;
      try {
        body = JSON.parse(rawBody) as MessagesRequestBody;
      } catch {
        body = undefined;
      }
      const record: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, rawBody, at: Date.now() };
      if (opts.record !== false) requests.push(record);
      if (req.method !== 'POST' || !req.url?.startsWith('/v1/messages')) {
        return sendError(res, httpError(404, 'not_found_error', `fake-anthropic: no route ${req.method} ${req.url}`));
      }
      // An empty queue without a responder is a test bug: answer with a non-retryable error that says so.
      const reply = queue.shift() ?? opts.respond?.(body) ?? httpError(400, 'invalid_request_error', 'fake-anthropic: no scripted reply left');
      setTimeout(() => serve(req, res, reply, record, cached), reply.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    messageRequests: () => requests.filter((r) => r.method === 'POST' && r.url.startsWith('/v1/messages')),
    enqueue: (...replies) => queue.push(...replies),
    pending: () => queue.length,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function serve(req: http.IncomingMessage, res: http.ServerResponse, reply: ScriptedReply, record: RecordedRequest, cached: Set<string>) {
  const body = record.body;
  if (reply.kind === 'error') return sendError(res, reply);
  // Without streaming there is no "mid-stream": a reset cuts the connection, a stream error is a 500.
  if (reply.kind === 'reset' && (!reply.midStream || !body?.stream)) return req.socket.destroy();
  if (reply.kind === 'stream-error' && !body?.stream) return sendError(res, httpError(500, reply.errorType, reply.message));
  const usage = usageFor(body, cached, reply.kind === 'tool' || reply.kind === 'text' ? reply.usage : undefined);
  if (reply.kind === 'tool' || reply.kind === 'text') record.usage = usage;
  const toolName = body?.tool_choice?.name ?? body?.tools?.[0]?.name ?? 'tool';
  const message = {
    id: `msg_fake_${Date.now()}`, type: 'message', role: 'assistant', model: body?.model ?? 'unknown',
    stop_sequence: null, container: null,
  };
  const block = reply.kind === 'text'
    ? { type: 'text', text: reply.text }
    : { type: 'tool_use', id: `toolu_fake_${Date.now()}`, name: toolName, input: {} };
  const stopReason = reply.kind === 'tool' || reply.kind === 'text' ? reply.stopReason ?? (reply.kind === 'tool' ? 'tool_use' : 'end_turn') : null;

  if (!body?.stream) {
    // Non-streaming: the whole message as JSON (invalid tool JSON cannot be expressed; send it as a string).
    let input: unknown = {};
    if (reply.kind === 'tool') {
      try { input = JSON.parse(reply.json); } catch { input = reply.json; }
    }
    const content = reply.kind === 'tool' ? [{ ...block, input }] : [block];
    res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_fake' });
    return res.end(JSON.stringify({ ...message, content, stop_reason: stopReason, usage }));
  }

  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': 'req_fake' });
  const send = (type: string, data: Record<string, unknown>) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  send('message_start', { message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } } });
  send('content_block_start', { index: 0, content_block: reply.kind === 'text' ? { type: 'text', text: '' } : block });
  send('ping', {});
  if (reply.kind === 'reset') {
    // Let the headers and first events reach the client, then cut the connection.
    return setTimeout(() => req.socket.destroy(), 20);
  }
  if (reply.kind === 'stream-error') {
    res.write(`event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: reply.errorType, message: reply.message } })}\n\n`);
    return res.end();
  }
  const text = reply.kind === 'tool' ? reply.json : reply.text;
  for (let i = 0; i < text.length; i += 64) {
    const piece = text.slice(i, i + 64);
    send('content_block_delta', { index: 0, delta: reply.kind === 'tool' ? { type: 'input_json_delta', partial_json: piece } : { type: 'text_delta', text: piece } });
  }
  send('content_block_stop', { index: 0 });
  send('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
  send('message_stop', {});
  res.end();
}

function sendError(res: http.ServerResponse, reply: Extract<ScriptedReply, { kind: 'error' }>) {
  res.writeHead(reply.status, { 'content-type': 'application/json', 'request-id': 'req_fake_error', ...(reply.headers ?? {}) });
  res.end(JSON.stringify({ type: 'error', error: { type: reply.errorType, message: reply.message }, request_id: 'req_fake_error' }));
}

function usageFor(body: MessagesRequestBody | undefined, cached: Set<string>, given: ReplyUsage | undefined) {
  const system = Array.isArray(body?.system) ? body.system : [];
  const lastMark = system.map((b) => Boolean(b.cache_control)).lastIndexOf(true);
  const prefix = lastMark >= 0 ? JSON.stringify({ tools: body?.tools, system: system.slice(0, lastMark + 1) }) : '';
  const rest = JSON.stringify({ system: system.slice(lastMark + 1), messages: body?.messages ?? [] });
  const hit = prefix !== '' && cached.has(prefix);
  if (prefix) cached.add(prefix);
  return {
    input_tokens: given?.input_tokens ?? tokens(rest),
    output_tokens: given?.output_tokens ?? 50,
    cache_creation_input_tokens: given?.cache_creation_input_tokens ?? (prefix && !hit ? tokens(prefix) : 0),
    cache_read_input_tokens: given?.cache_read_input_tokens ?? (hit ? tokens(prefix) : 0),
  };
}
