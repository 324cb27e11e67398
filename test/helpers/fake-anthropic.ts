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

/** One tool call of an agent's turn: the input as an object, or as the raw JSON the model "typed". */
export interface ScriptedCall {
  name: string;
  input?: unknown;
  json?: string;
}

export type ScriptedReply =
  /** An agent's turn: some text, then tool calls, each with its own id (several in one reply). */
  | { kind: 'turn'; text?: string; calls: ScriptedCall[]; stopReason?: 'tool_use' | 'max_tokens' | 'end_turn'; usage?: ReplyUsage; delayMs?: number }
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

/** A reply, or what to reply once the request is seen (a script that reads what the model was shown). */
export type Scripted = ScriptedReply | ((body: MessagesRequestBody | undefined) => ScriptedReply);

export interface FakeAnthropic {
  /** Base URL for the SDK (`baseURL` / ANTHROPIC_BASE_URL). */
  url: string;
  requests: RecordedRequest[];
  /** Messages requests only (POST /v1/messages). */
  messageRequests(): RecordedRequest[];
  /** Token-counting requests (POST /v1/messages/count_tokens). */
  countRequests(): RecordedRequest[];
  /** Without this, count_tokens answers 404 as a gateway without the endpoint does. */
  countTokens: boolean;
  enqueue(...replies: Scripted[]): void;
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
/** An agent's turn calling tools: `turn(['Read', {file_path: 'a.yaml'}], ['Validate', {}])`. */
export const turn = (...calls: [string, unknown][]): ScriptedReply => ({ kind: 'turn', calls: calls.map(([name, input]) => ({ name, input })) });

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
  const queue: Scripted[] = [];
  const requests: RecordedRequest[] = [];
  let ids = 0;
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
      if (req.method === 'POST' && req.url?.startsWith('/v1/messages/count_tokens')) {
        if (!fake.countTokens) return sendError(res, httpError(404, 'not_found_error', 'fake-anthropic: count_tokens is off'));
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ input_tokens: tokens(JSON.stringify([body?.tools, body?.system, body?.messages])) }));
      }
      if (req.method !== 'POST' || !isMessages(req.url)) {
        return sendError(res, httpError(404, 'not_found_error', `fake-anthropic: no route ${req.method} ${req.url}`));
      }
      // An empty queue without a responder is a test bug: answer with a non-retryable error that says so.
      const next = queue.shift();
      const reply = (typeof next === 'function' ? next(body) : next) ?? opts.respond?.(body) ?? httpError(400, 'invalid_request_error', 'fake-anthropic: no scripted reply left');
      setTimeout(() => serve(req, res, reply, record, cached, () => `toolu_fake_${++ids}`), reply.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const fake: FakeAnthropic = {
    url: `http://127.0.0.1:${port}`,
    requests,
    messageRequests: () => requests.filter((r) => r.method === 'POST' && isMessages(r.url)),
    countRequests: () => requests.filter((r) => r.method === 'POST' && r.url.startsWith('/v1/messages/count_tokens')),
    countTokens: true,
    enqueue: (...replies) => queue.push(...replies),
    pending: () => queue.length,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  return fake;
}

const isMessages = (url: string | undefined) => url === '/v1/messages' || Boolean(url?.startsWith('/v1/messages?'));

type Served = Extract<ScriptedReply, { kind: 'tool' | 'text' | 'turn' }>;
type Block = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: unknown; json: string };

/** The content blocks of a reply: what the stream sends as deltas and the JSON form as a whole. */
function blocksOf(reply: Served, body: MessagesRequestBody | undefined, nextId: () => string): Block[] {
  if (reply.kind === 'text') return [{ type: 'text', text: reply.text }];
  if (reply.kind === 'tool') {
    const name = body?.tool_choice?.name ?? body?.tools?.[0]?.name ?? 'tool';
    return [{ type: 'tool_use', id: nextId(), name, input: {}, json: reply.json }];
  }
  return [
    ...(reply.text ? [{ type: 'text' as const, text: reply.text }] : []),
    ...reply.calls.map((c) => ({ type: 'tool_use' as const, id: nextId(), name: c.name, input: {}, json: c.json ?? JSON.stringify(c.input ?? {}) })),
  ];
}

function serve(req: http.IncomingMessage, res: http.ServerResponse, reply: ScriptedReply, record: RecordedRequest, cached: Set<string>, nextId: () => string) {
  const body = record.body;
  if (reply.kind === 'error') return sendError(res, reply);
  // Without streaming there is no "mid-stream": a reset cuts the connection, a stream error is a 500.
  if (reply.kind === 'reset' && (!reply.midStream || !body?.stream)) return req.socket.destroy();
  if (reply.kind === 'stream-error' && !body?.stream) return sendError(res, httpError(500, reply.errorType, reply.message));
  const served = reply.kind === 'tool' || reply.kind === 'text' || reply.kind === 'turn' ? reply : undefined;
  const usage = usageFor(body, cached, served?.usage);
  if (served) record.usage = usage;
  const message = {
    id: `msg_fake_${Date.now()}`, type: 'message', role: 'assistant', model: body?.model ?? 'unknown',
    stop_sequence: null, container: null,
  };
  const blocks = served ? blocksOf(served, body, nextId) : [{ type: 'text' as const, text: '' }];
  const stopReason = served ? served.stopReason ?? (blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn') : null;

  if (!body?.stream) {
    // Non-streaming: the whole message as JSON (invalid tool JSON cannot be expressed; send it as a string).
    const content = blocks.map((b) => {
      if (b.type === 'text') return b;
      let input: unknown;
      try { input = JSON.parse(b.json); } catch { input = b.json; }
      return { type: 'tool_use', id: b.id, name: b.name, input };
    });
    res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_fake' });
    return res.end(JSON.stringify({ ...message, content, stop_reason: stopReason, usage }));
  }

  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': 'req_fake' });
  const send = (type: string, data: Record<string, unknown>) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  send('message_start', { message: { ...message, content: [], stop_reason: null, usage: { ...usage, output_tokens: 1 } } });
  if (!served) {
    send('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
    send('ping', {});
    if (reply.kind === 'reset') return setTimeout(() => req.socket.destroy(), 20);
    res.write(`event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: (reply as { errorType: string }).errorType, message: (reply as { message: string }).message } })}\n\n`);
    return res.end();
  }
  blocks.forEach((b, index) => {
    send('content_block_start', { index, content_block: b.type === 'text' ? { type: 'text', text: '' } : { type: 'tool_use', id: b.id, name: b.name, input: {} } });
    if (index === 0) send('ping', {});
    const text = b.type === 'text' ? b.text : b.json;
    for (let i = 0; i < text.length; i += 64) {
      const piece = text.slice(i, i + 64);
      send('content_block_delta', { index, delta: b.type === 'tool_use' ? { type: 'input_json_delta', partial_json: piece } : { type: 'text_delta', text: piece } });
    }
    send('content_block_stop', { index });
  });
  send('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
  send('message_stop', {});
  res.end();
}

function sendError(res: http.ServerResponse, reply: Extract<ScriptedReply, { kind: 'error' }>) {
  res.writeHead(reply.status, { 'content-type': 'application/json', 'request-id': 'req_fake_error', ...(reply.headers ?? {}) });
  res.end(JSON.stringify({ type: 'error', error: { type: reply.errorType, message: reply.message }, request_id: 'req_fake_error' }));
}

/**
 * Prompt caching as the API does it: the request is a sequence of blocks (tools, system blocks, each
 * message's content blocks); every block marked `cache_control` ends a prefix that is written to the
 * cache, and the longest prefix written before is read from it.
 */
function usageFor(body: MessagesRequestBody | undefined, cached: Set<string>, given: ReplyUsage | undefined) {
  const system = Array.isArray(body?.system) ? body.system : body?.system ? [{ type: 'text' as const, text: body.system }] : [];
  // The markers are not part of what is cached: a block keeps its key when its marker moves on.
  const key = (b: unknown) => JSON.stringify(b, (k, v: unknown) => (k === 'cache_control' ? undefined : v));
  const chunks: { json: string; mark: boolean }[] = [
    { json: key(body?.tools ?? []), mark: Boolean(body?.tools?.some((t) => t.cache_control)) },
    ...system.map((b) => ({ json: key(b), mark: Boolean(b.cache_control) })),
    ...(body?.messages ?? []).flatMap((m) => (typeof m.content === 'string'
      ? [{ json: key(m.content), mark: false }]
      : m.content.map((b) => ({ json: key(b), mark: Boolean(b.cache_control) })))),
  ];
  const prefix = (end: number) => chunks.slice(0, end + 1).map((c) => c.json).join('');
  const marks = chunks.flatMap((c, i) => (c.mark ? [i] : []));
  const hit = [...marks].reverse().find((i) => cached.has(prefix(i)));
  const last = marks.at(-1);
  for (const i of marks) cached.add(prefix(i));
  const all = tokens(chunks.map((c) => c.json).join(''));
  const read = hit === undefined ? 0 : tokens(prefix(hit));
  const written = last === undefined ? 0 : tokens(prefix(last));
  return {
    input_tokens: given?.input_tokens ?? all - written,
    output_tokens: given?.output_tokens ?? 50,
    cache_creation_input_tokens: given?.cache_creation_input_tokens ?? written - read,
    cache_read_input_tokens: given?.cache_read_input_tokens ?? read,
  };
}
