// `npm start` on this machine: the demo runs a two-scope feature end to end on a throw-away copy of
// examples/, prints progress (plain lines when not on a terminal), the report and the UI address.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execa } from 'execa';
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
    assert.match(err, /^… orders service +implement:base$/m, 'plain progress lines per scope and phase');
    assert.match(err, /^… payments service +validate/m);
    assert.match(err, new RegExp(`Web UI: http://localhost:${uiPort}/namespaces/default/workflows/feature-`));
    const repo = /the result: (\S+), branch/.exec(err)?.[1];
    assert.ok(repo, 'names the repository');
    assert.equal(await gitStatus(repo), '', 'the checkout of the copy is untouched; the work is on the branch');
    const files = (await execa('git', ['ls-tree', '-r', '--name-only', 'infra/add-the-orders-and-payments-services'], { cwd: repo })).stdout;
    assert.match(files, /infra\/apps\/base\/orders\/deployment\.yaml/);
    assert.match(files, /infra\/apps\/base\/payments\/networkpolicy\.yaml/);
  });
});
