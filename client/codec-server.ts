// The codec endpoint of the Temporal UI protocol (POST /encode, POST /decode), so that people who
// hold the keys can read encrypted payloads in the Web UI: `temporal server start-dev
// --ui-codec-endpoint http://127.0.0.1:8888` or the UI's "Data Encoder" setting. Over HTTPS with a
// certificate and key: a UI served over https may only call an https endpoint.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';

interface JSONPayload {
  metadata?: Record<string, string> | null;
  data?: string | null;
}

const fromJSON = (p: JSONPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJSON = (p: Payload): JSONPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

export interface CodecServer {
  url: string;
  close(): Promise<void>;
}

export async function startCodecServer(codec: PayloadCodec, opts: { port?: number; host?: string; allowOrigin?: string; tls?: { cert: string | Buffer; key: string | Buffer } } = {}): Promise<CodecServer> {
  const allowOrigin = opts.allowOrigin ?? 'http://localhost:8233';
  const handle: http.RequestListener = (req, res) => {
    res.setHeader('Access-Control-Allow-Origin', allowOrigin);
    res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'content-type, x-namespace, authorization');
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    const route = /\/(encode|decode)$/.exec(req.url ?? '')?.[1];
    if (req.method !== 'POST' || !route) return void res.writeHead(404).end();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { payloads?: JSONPayload[] };
          const input = (body.payloads ?? []).map(fromJSON);
          const out = route === 'encode' ? await codec.encode(input) : await codec.decode(input);
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ payloads: out.map(toJSON) }));
        } catch (e) {
          res.writeHead(400, { 'content-type': 'text/plain' }).end((e as Error).message);
        }
      })();
    });
  };
  const server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, handle) : http.createServer(handle);
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve));
  const { port, address } = server.address() as AddressInfo;
  return { url: `${opts.tls ? 'https' : 'http'}://${address}:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}
