// `npm start` on this machine: the demo runs a two-scope feature end to end on a throw-away copy of
// examples/, prints progress (plain lines when not on a terminal, one per phase of every scope, from
// the runs' events), the report and the UI address.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execa } from 'execa';
import { PHASES } from '../core/phases';
import { freePort } from './helpers/net';
import { PROJECT_ROOT, gitStatus } from './helpers/repo';


describe('the demo', () => {
  it('implements two scopes in parallel, commits them on a branch and exits 0', async () => {
    const uiPort = await freePort();
    const r = await execa('node', [path.join(PROJECT_ROOT, 'bin/infra-implementor.js'), 'demo', '--ui-port', String(uiPort)], { reject: false, env: { TEMPORAL_TASK_QUEUE: `demo-${Date.now()}` } });
    assert.equal(r.exitCode, 0, String(r.stderr));
    const out = String(r.stdout);
    const err = String(r.stderr);
    assert.match(out, /\*\*succeeded\*\* — 2 of 2 scope\(s\) committed on infra\/add-the-orders-and-payments-services/);
    // Progress comes from each run's events: every phase of both scopes, in order, none missed.
    const every = ['queued', 'patterns', ...PHASES.map((p) => `implement:${p}`), 'validate', 'compliance', 'done', 'succeeded'];
    for (const scope of ['orders service', 'payments service']) {
      const phases = [...err.matchAll(new RegExp(`^[…✔✖⏸] ${scope} +(\\S+)`, 'gm'))].map((m) => m[1]);
      assert.deepEqual(phases, every, `${scope}: plain progress lines per phase`);
    }
    assert.match(err, /^… orders service +implement:base$/m);
    assert.match(err, /^… payments service +validate \(attempt 1\)$/m);
    const feature = [...err.matchAll(/^[…✔✖⏸] \(feature\) +(\S+)/gm)].map((m) => m[1]);
    assert.deepEqual(feature, ['queued', 'workspace', 'implementing', 'merging', 'validating', 'committing', 'done', 'succeeded']);
    assert.match(err, new RegExp(`Web UI: http://localhost:${uiPort}/namespaces/default/workflows/feature-`));
    const repo = /the result: (\S+), branch/.exec(err)?.[1];
    assert.ok(repo, 'names the repository');
    assert.equal(await gitStatus(repo), '', 'the checkout of the copy is untouched; the work is on the branch');
    const files = (await execa('git', ['ls-tree', '-r', '--name-only', 'infra/add-the-orders-and-payments-services'], { cwd: repo })).stdout;
    assert.match(files, /infra\/apps\/base\/orders\/deployment\.yaml/);
    assert.match(files, /infra\/apps\/base\/payments\/networkpolicy\.yaml/);
  });
});
