// A real OTLP/HTTP trace receiver for tests: POST /v1/traces with a protobuf body, decoded with the
// OpenTelemetry proto types (the generated root @opentelemetry/otlp-transformer ships), kept as spans
// with hex ids and plain attribute values, and the raw bodies kept too (to search them for secrets).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import root from '@opentelemetry/otlp-transformer/build/src/generated/root.js';

type AnyValue = { stringValue?: string; boolValue?: boolean; intValue?: number | string; doubleValue?: number; arrayValue?: { values?: AnyValue[] } };
interface ProtoSpan {
  traceId: Uint8Array; spanId: Uint8Array; parentSpanId?: Uint8Array; name: string; kind?: number;
  startTimeUnixNano: number | string | { toString(): string }; endTimeUnixNano: number | string | { toString(): string };
  attributes?: { key: string; value?: AnyValue }[];
  events?: { name: string; attributes?: { key: string; value?: AnyValue }[] }[];
  status?: { code?: number; message?: string };
}
interface ProtoRequest {
  resourceSpans?: { resource?: { attributes?: { key: string; value?: AnyValue }[] }; scopeSpans?: { scope?: { name?: string }; spans?: ProtoSpan[] }[] }[];
}

const ExportTraceServiceRequest = (root as unknown as {
  opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: { decode(b: Uint8Array): ProtoRequest } } } } } };
}).opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  scope: string;
  /** ms since the epoch */
  start: number;
  end: number;
  attributes: Record<string, unknown>;
  events: { name: string; attributes: Record<string, unknown> }[];
  status: { code: number; message?: string };
  resource: Record<string, unknown>;
}

export interface OtlpReceiver {
  /** The base endpoint, as OTEL_EXPORTER_OTLP_ENDPOINT takes it. */
  url: string;
  spans: ReceivedSpan[];
  /** Every request body as received. */
  bodies: Buffer[];
  close(): Promise<void>;
}

const hex = (b?: Uint8Array) => (b && b.length ? Buffer.from(b).toString('hex') : undefined);
const ms = (nanos: ProtoSpan['startTimeUnixNano']) => Number(BigInt(nanos.toString()) / 1_000_000n);

function plain(v?: AnyValue): unknown {
  if (!v) return undefined;
  if (v.stringValue !== undefined && v.stringValue !== null) return v.stringValue;
  if (v.boolValue !== undefined && v.boolValue !== null) return v.boolValue;
  if (v.intValue !== undefined && v.intValue !== null) return Number(v.intValue.toString());
  if (v.doubleValue !== undefined && v.doubleValue !== null) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(plain);
  return undefined;
}
const attrs = (list?: { key: string; value?: AnyValue }[]) => Object.fromEntries((list ?? []).map((a) => [a.key, plain(a.value)]));

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const bodies: Buffer[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces' || req.headers['content-type'] !== 'application/x-protobuf') {
        res.writeHead(404).end();
        return;
      }
      const body = Buffer.concat(chunks);
      bodies.push(body);
      const request = ExportTraceServiceRequest.decode(body);
      for (const rs of request.resourceSpans ?? []) {
        const resource = attrs(rs.resource?.attributes);
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            const parentSpanId = hex(s.parentSpanId);
            spans.push({
              traceId: hex(s.traceId) ?? '', spanId: hex(s.spanId) ?? '', ...(parentSpanId ? { parentSpanId } : {}),
              name: s.name, scope: ss.scope?.name ?? '', start: ms(s.startTimeUnixNano), end: ms(s.endTimeUnixNano),
              attributes: attrs(s.attributes), events: (s.events ?? []).map((e) => ({ name: e.name, attributes: attrs(e.attributes) })),
              status: { code: s.status?.code ?? 0, ...(s.status?.message ? { message: s.status.message } : {}) }, resource,
            });
          }
        }
      }
      // An empty ExportTraceServiceResponse: zero bytes of protobuf.
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, spans, bodies, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** The spans as an indented tree (children by start time), for a reader: `name  [key attributes]`. */
export function renderTree(spans: ReceivedSpan[], show: (s: ReceivedSpan) => string = () => ''): string {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string | undefined, ReceivedSpan[]>();
  for (const s of spans) {
    const parent = s.parentSpanId && ids.has(s.parentSpanId) ? s.parentSpanId : undefined;
    children.set(parent, [...(children.get(parent) ?? []), s]);
  }
  const lines: string[] = [];
  const walk = (parent: string | undefined, prefix: string) => {
    const list = (children.get(parent) ?? []).sort((a, b) => a.start - b.start || a.name.localeCompare(b.name));
    list.forEach((s, i) => {
      const last = i === list.length - 1;
      const extra = show(s);
      lines.push(`${prefix}${parent === undefined ? '' : last ? '└─ ' : '├─ '}${s.name}${extra ? `  ${extra}` : ''}`);
      walk(s.spanId, parent === undefined ? '' : `${prefix}${last ? '   ' : '│  '}`);
    });
  };
  walk(undefined, '');
  return lines.join('\n');
}
