// The workflow cache a worker keeps (worker/workflow-cache.ts): sized from the heap limit and the
// measured heap of a cached run, set on every worker createWorkers makes, and overridden by
// INFRA_IMPLEMENTOR_MAX_CACHED_WORKFLOWS, which a bad value names in one line.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../worker/config';
import { defaultMaxCachedWorkflows, HEAP_PER_CACHED_RUN_MB, WORKFLOW_THREAD_BASE_MB } from '../worker/workflow-cache';
import { workerOptionsFromConfig } from '../worker/worker';
import { startTestServer, type TestServer } from './helpers/temporal';

describe('workflow cache', () => {
  it('fills at most half of the heap limit with cached runs, and keeps at least 2', () => {
    // The image's 256 MB old space: V8 reports ~262 MB with the young generation.
    const cache = defaultMaxCachedWorkflows(262);
    assert.equal(cache, 176);
    assert.ok(WORKFLOW_THREAD_BASE_MB + cache * HEAP_PER_CACHED_RUN_MB <= 262 / 2);
    assert.ok(cache >= 100, 'the throughput bench\'s 100 concurrent runs stay cached');
    assert.equal(defaultMaxCachedWorkflows(40), 2);
  });

  it('INFRA_IMPLEMENTOR_MAX_CACHED_WORKFLOWS overrides it; a bad value is refused naming the variable', () => {
    assert.deepEqual(workerOptionsFromConfig(loadConfig({ INFRA_IMPLEMENTOR_MAX_CACHED_WORKFLOWS: '150' })), { maxCachedWorkflows: 150 });
    assert.deepEqual(workerOptionsFromConfig(loadConfig({})), {});
    for (const bad of ['1', 'many', '2.5']) {
      assert.throws(() => loadConfig({ INFRA_IMPLEMENTOR_MAX_CACHED_WORKFLOWS: bad }),
        (e) => e instanceof ConfigError && /^INFRA_IMPLEMENTOR_MAX_CACHED_WORKFLOWS: must be a whole number of runs, 2 or more$/.test(e.message), bad);
    }
  });

  describe('on the workers createWorkers makes', () => {
    let server: TestServer;
    before(async () => { server = await startTestServer(); });
    after(async () => { await server.stop(); });

    it('the shared worker caches defaultMaxCachedWorkflows() runs', async () => {
      const { workers } = await server.workers();
      // Run and stopped again: a worker created but never run keeps the process alive.
      await workers.runUntil(async () => assert.equal(workers.shared.options.maxCachedWorkflows, defaultMaxCachedWorkflows()));
    });
  });
});
