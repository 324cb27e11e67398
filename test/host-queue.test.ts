// The host task queue a feature's worktree activities go to: the same for a restarted worker with
// the same state dir on the same host, different for another state dir, set explicitly when the
// host name does not survive a restart.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { ConfigError, loadConfig } from '../worker/config';
import { activityDeps, hostTaskQueueFor } from '../worker/worker';

describe('host task queue', () => {
  it('is <queue>@<host>-<hash of the resolved state dir>, stable across restarts', () => {
    const q = hostTaskQueueFor('infra-implementor', '/var/lib/infra-implementor');
    assert.match(q, new RegExp(`^infra-implementor@${os.hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-[0-9a-f]{8}$`));
    assert.equal(hostTaskQueueFor('infra-implementor', '/var/lib/infra-implementor/'), q, 'the same folder, spelled differently');
    assert.notEqual(hostTaskQueueFor('infra-implementor', '/var/lib/other'), q, 'another state dir, another queue');
    assert.notEqual(hostTaskQueueFor('other-queue', '/var/lib/infra-implementor'), q.replace(/^infra-implementor/, 'other'));
  });

  it('INFRA_IMPLEMENTOR_HOST_QUEUE overrides it, and a name with spaces is refused naming the variable', () => {
    const config = loadConfig({ INFRA_IMPLEMENTOR_HOST_QUEUE: 'infra-implementor@worker-0', INFRA_IMPLEMENTOR_STATE_DIR: '/tmp/x' });
    assert.equal(activityDeps(config).hostTaskQueue, 'infra-implementor@worker-0');
    assert.equal(activityDeps(loadConfig({})).hostTaskQueue, undefined, 'unset: derived from the state dir by createWorkers');
    assert.throws(() => loadConfig({ INFRA_IMPLEMENTOR_HOST_QUEUE: 'a queue' }), (e) => e instanceof ConfigError && /^INFRA_IMPLEMENTOR_HOST_QUEUE: must be a task queue name without spaces/.test(e.message));
  });
});
