// The worker's probe endpoint: liveness follows the worker's state, readiness only while it polls.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { State } from '@temporalio/worker';
import { healthPortFromEnv, startHealthServer } from '../worker/health';

async function probe(state: State, path: string): Promise<{ status: number; body: unknown }> {
  const server = await startHealthServer({ getState: () => state }, { port: 0, host: '127.0.0.1' });
  try {
    const res = await fetch(`http://127.0.0.1:${server.port}${path}`);
    return { status: res.status, body: await res.json() };
  } finally {
    await server.close();
  }
}

describe('worker health endpoint', () => {
  it('a running worker is alive and ready', async () => {
    assert.deepEqual(await probe('RUNNING', '/healthz'), { status: 200, body: { state: 'RUNNING' } });
    assert.deepEqual(await probe('RUNNING', '/readyz'), { status: 200, body: { state: 'RUNNING' } });
  });

  it('a starting or draining worker is alive but not ready', async () => {
    for (const state of ['INITIALIZED', 'DRAINING'] as const) {
      assert.equal((await probe(state, '/healthz')).status, 200, state);
      assert.equal((await probe(state, '/readyz')).status, 503, state);
    }
  });

  it('a failed or stopped worker fails liveness, so the container is restarted', async () => {
    for (const state of ['FAILED', 'STOPPED'] as const) {
      assert.deepEqual(await probe(state, '/healthz'), { status: 503, body: { state } });
    }
  });

  it('reports how long the event loop stalled, a blocking stretch included, until reset', async () => {
    const server = await startHealthServer({ getState: () => 'RUNNING' }, { port: 0, host: '127.0.0.1' });
    try {
      const read = async (q = '') => (await fetch(`http://127.0.0.1:${server.port}/debug/event-loop${q}`)).json() as Promise<{ maxMs: number; p99Ms: number; meanMs: number }>;
      await read('?reset');
      await new Promise((r) => setTimeout(r, 50)); // the histogram drops its first sample after a reset
      const until = performance.now() + 300;
      while (performance.now() < until) { /* a stall of the worker's event loop */ }
      await new Promise((r) => setTimeout(r, 50));
      const stalled = await read('?reset');
      assert.ok(stalled.maxMs >= 250 && stalled.p99Ms <= stalled.maxMs, JSON.stringify(stalled));
      await new Promise((r) => setTimeout(r, 50));
      assert.ok((await read()).maxMs < stalled.maxMs, 'the stall is gone after the reset');
    } finally {
      await server.close();
    }
  });

  it('other paths are 404', async () => {
    assert.equal((await probe('RUNNING', '/')).status, 404);
  });

  it('the port comes from INFRA_IMPLEMENTOR_HEALTH_PORT, validated', () => {
    assert.equal(healthPortFromEnv({}), undefined);
    assert.equal(healthPortFromEnv({ INFRA_IMPLEMENTOR_HEALTH_PORT: '' }), undefined);
    assert.equal(healthPortFromEnv({ INFRA_IMPLEMENTOR_HEALTH_PORT: '8081' }), 8081);
    assert.throws(() => healthPortFromEnv({ INFRA_IMPLEMENTOR_HEALTH_PORT: 'http' }), /INFRA_IMPLEMENTOR_HEALTH_PORT: must be a port/);
  });
});
