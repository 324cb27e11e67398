// With encryption keys configured, every payload in history is ciphertext; the codec endpoint
// decodes it for people who hold the key; a rotated key still decrypts older payloads.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation';
import { parse } from 'yaml';
import { defaultImplementers } from '../activities';
import { EncryptionCodec, parseCodecKeys, dataConverterFromEnv, CODEC_KEYS_ENV } from '../core/payload-codec';
import { ImplementorInput, ServiceSpec } from '../core/schemas';
import { RUN_CONTEXT_HEADER } from '../core/telemetry';
import { startCodecServer } from '../client/codec-server';
import { createWorker } from '../worker/worker';
import { FEWER_STEPS, FINDINGS_DRIVE_LOOP, MODEL_CALLS_ANYWHERE, OPEN_AND_LOAD, RUN_WORKSPACE, UNVALIDATED_STATUS } from '../workflows/implementor';
import { IMPLEMENTOR_WORKFLOW } from '../workflows/messages';
import { EXAMPLES, gitCopy } from './helpers/repo';
import { startTestServer, type TestServer } from './helpers/temporal';

const key = () => randomBytes(32).toString('base64');

describe('payload encryption', () => {
  let server: TestServer;
  before(async () => { server = await startTestServer(); });
  after(async () => { await server?.stop(); });

  it('with a key set, history payloads are ciphertext and the run still completes', async () => {
    const dataConverter = dataConverterFromEnv({ [CODEC_KEYS_ENV]: `k1:${key()}` });
    assert.ok(dataConverter);
    const taskQueue = `codec-${Date.now()}`;
    const worker = await createWorker({
      connection: server.env.nativeConnection, namespace: 'default', taskQueue,
      deps: { stateDir: mkdtempSync(path.join(os.tmpdir(), 'ii-state-')), implementers: defaultImplementers },
      workerOptions: { dataConverter, shutdownGraceTime: '1s' },
    });
    const client = new Client({ connection: server.env.connection, namespace: 'default', dataConverter });
    const repo = await gitCopy(EXAMPLES);
    const spec = ServiceSpec.parse(parse(readFileSync(path.join(EXAMPLES, 'orders.spec.yaml'), 'utf8')));
    const input = ImplementorInput.parse({ featureDescription: 'Add orders', scope: 'orders service', infraRoot: path.join(repo, 'infra'), spec });
    const workflowId = `codec-${Date.now()}`;
    const report = await worker.runUntil(client.workflow.execute(IMPLEMENTOR_WORKFLOW, { taskQueue, workflowId, args: [input] }));
    assert.equal(report.status, 'succeeded', report.summary);

    // Read the raw history with a client that has no key, and look inside every payload.
    const history = await server.env.client.workflow.getHandle(workflowId).fetchHistory();
    const payloads: { encoding: string; text: string; searchAttribute: boolean; patchMarker: boolean; header: boolean }[] = [];
    const walk = (v: unknown, key = '', patchMarker = false): void => {
      if (!v || typeof v !== 'object') return;
      const o = v as Record<string, unknown>;
      if (o.metadata && typeof o.metadata === 'object' && 'data' in o) {
        const meta = o.metadata as Record<string, Uint8Array>;
        payloads.push({
          encoding: Buffer.from(meta.encoding ?? []).toString(),
          text: Buffer.from((o.data as Uint8Array | null) ?? []).toString('latin1'),
          // Search attributes are indexed, so plain: ours, and TemporalChangeVersion, which the SDK sets for patched().
          searchAttribute: key === 'ImplementorPhase' || key === 'AwaitingHuman' || key === 'TemporalChangeVersion',
          patchMarker,
          // Headers: the SDK does not pass them through the codec. Ours hold trace context and ids.
          header: key === TRACE_HEADER || key === RUN_CONTEXT_HEADER,
        });
        return;
      }
      for (const [k, x] of Object.entries(o)) walk(x, k, patchMarker || k === 'patch-data');
    };
    walk(history);
    // The SDK core writes a version marker (workflow.patched) itself, outside the data converter: it
    // holds the patch id and nothing of the run's.
    const markers = payloads.filter((p) => p.patchMarker);
    assert.deepEqual(markers.map((p) => JSON.parse(p.text)), [FEWER_STEPS, RUN_WORKSPACE, FINDINGS_DRIVE_LOOP, MODEL_CALLS_ANYWHERE, OPEN_AND_LOAD, UNVALIDATED_STATUS].map((id) => ({ id, deprecated: false })));
    const headers = payloads.filter((p) => p.header);
    assert.ok(headers.length > 0, 'activities carry trace and run headers');
    for (const h of headers) {
      assert.deepEqual(Object.keys(JSON.parse(h.text) as object).filter((k) => !['traceparent', 'tracestate', 'parentId', 'phase'].includes(k)), [], `a header holds only ids: ${h.text}`);
      assert.ok(!h.text.includes('orders'), `a header holds nothing the user wrote: ${h.text}`);
    }
    const data = payloads.filter((p) => !p.searchAttribute && !p.patchMarker && !p.header);
    assert.ok(data.length > 20, `found ${data.length} payloads`);
    for (const p of data) assert.equal(p.encoding, 'binary/encrypted', `a plain payload in history: ${p.text.slice(0, 120)}`);
    for (const plain of ['ghcr.io/acme/orders', 'Add orders', 'apps/base/orders', 'DATABASE_URL', 'kind: Deployment']) {
      assert.ok(!data.some((p) => p.text.includes(plain)), `"${plain}" must not appear in history`);
    }
    // Control: the same decoding does read plain payloads (search attributes are indexed, so plain).
    assert.ok(payloads.some((p) => p.searchAttribute && p.text.includes('"implement:base"')));
  });

  it('a rotated key set decrypts payloads written with the old key; an unknown key id is a clear error', async () => {
    const old = `old:${key()}`;
    const encoded = await new EncryptionCodec(parseCodecKeys(old)).encode([defaultPayloadConverter.toPayload({ secret: 'value' })]);
    const rotated = new EncryptionCodec(parseCodecKeys(`new:${key()},${old}`));
    const [decoded] = await rotated.decode(encoded);
    assert.deepEqual(defaultPayloadConverter.fromPayload(decoded as never), { secret: 'value' });
    const [reencoded] = await rotated.encode([decoded as never]);
    assert.equal(Buffer.from(reencoded?.metadata?.['encryption-key-id'] ?? []).toString(), 'new', 'the newest key encrypts');
    await assert.rejects(new EncryptionCodec(parseCodecKeys(`other:${key()}`)).decode(encoded), /key "old", which is not configured/);
    assert.throws(() => parseCodecKeys('k1:c2hvcnQ='), /must be 32 bytes/);
  });

  it('the codec endpoint decodes for the UI and answers CORS pre-flight', async () => {
    const codec = new EncryptionCodec(parseCodecKeys(`k1:${key()}`));
    const endpoint = await startCodecServer(codec, { allowOrigin: 'http://localhost:8233' });
    try {
      const [enc] = await codec.encode([defaultPayloadConverter.toPayload('hello')]);
      const json = { metadata: Object.fromEntries(Object.entries(enc?.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(enc?.data ?? []).toString('base64') };
      const pre = await fetch(`${endpoint.url}/decode`, { method: 'OPTIONS' });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers.get('access-control-allow-origin'), 'http://localhost:8233');
      const res = await fetch(`${endpoint.url}/decode`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-namespace': 'default' }, body: JSON.stringify({ payloads: [json] }) });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { payloads: { data: string }[] };
      assert.equal(Buffer.from(body.payloads[0]?.data ?? '', 'base64').toString(), '"hello"');
    } finally {
      await endpoint.close();
    }
  });
});
