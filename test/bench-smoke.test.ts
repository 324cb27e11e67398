// The benchmarks' stand-in model must keep producing a real change: if the prompts drift (the task
// block, the tools), its turns would fail and every ratio would measure
// nothing. One direct run of the agent through the activities, no Temporal, no latency.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { benchDeps, workspace } from '../bench/harness';
import { startFixedLatencyLlm } from '../bench/llm';
import { runDirect } from '../bench/overhead';
import { fanoutFeature, runDirectFeature } from '../bench/fanout';
import { git } from '../runtime/git-cli';
import { measureReplay } from '../bench/replay';
import { measureSpawn } from '../bench/spawn';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { workflowBundleOptions } from '../worker/worker';
import { isOlderRecording } from './helpers/histories';

describe('bench smoke', () => {
  it('the fixed-latency model adds a service that every validator passes, wired into both overlays', async () => {
    const llm = await startFixedLatencyLlm(0);
    try {
      const ws = await workspace('smoke');
      const { validations, changed } = await runDirect(benchDeps(llm.url), ws, 'smoke');
      assert.deepEqual(changed, [
        'apps/base/smoke/deployment.yaml', 'apps/base/smoke/kustomization.yaml', 'apps/base/smoke/service.yaml',
        'apps/production/kustomization.yaml', 'apps/staging/kustomization.yaml',
      ]);
      assert.deepEqual(validations.filter((v) => v.status === 'fail'), []);
      assert.ok(validations.some((v) => v.validator === 'kustomize' && v.status === 'pass'), 'the overlays were really built');
      for (const env of ['staging', 'production']) {
        assert.match(readFileSync(path.join(ws.infraRoot, 'apps', env, 'kustomization.yaml'), 'utf8'), /- \.\.\/base\/smoke\n/);
      }
    } finally {
      await llm.close();
    }
  });

  it('the fan-out\'s feature without Temporal does the feature\'s work: both scopes merged (their overlay lines united), one commit on the branch, the worktrees gone', async () => {
    const llm = await startFixedLatencyLlm(0);
    try {
      const input = await fanoutFeature('smoke', ['smoke-a', 'smoke-b']);
      await runDirectFeature(benchDeps(llm.url), input, 'smoke-feature');
      const gitRoot = input.reposRoot as string;
      const tree = await git(gitRoot, ['ls-tree', '-r', '--name-only', input.branch]);
      assert.ok(tree.ok, tree.err);
      for (const s of ['smoke-a', 'smoke-b']) assert.ok(tree.out.split('\n').includes(`infra/apps/base/${s}/deployment.yaml`), `${s} is on ${input.branch}`);
      const overlay = await git(gitRoot, ['show', `${input.branch}:infra/apps/staging/kustomization.yaml`]);
      assert.match(overlay.out, /- \.\.\/base\/smoke-a\n[\s\S]*- \.\.\/base\/smoke-b\n|- \.\.\/base\/smoke-b\n[\s\S]*- \.\.\/base\/smoke-a\n/);
      assert.equal((await git(gitRoot, ['rev-list', '--count', `HEAD..${input.branch}`])).out, '1', 'one commit on the feature branch');
      assert.deepEqual((await git(gitRoot, ['worktree', 'list', '--porcelain'])).out.match(/^worktree /gm)?.length, 1, 'only the main worktree is left');
    } finally {
      await llm.close();
    }
  });

  it('the replay figure replays the longest history today\'s code records', async () => {
    const bundle = await bundleWorkflowCode({ ...workflowBundleOptions(), logger: new DefaultLogger('WARN') });
    const r = await measureReplay({ bundle }, { reps: 1 });
    assert.ok(!isOlderRecording(r.history), `${r.history} is a recording kept for older runs`);
    assert.ok(r.events > 100, `${r.history}: ${r.events} events`);
    assert.ok(r.medianMs > 0);
  });

  it('the launcher figure measures both ways of starting a command', async () => {
    const r = await measureSpawn({ rssMb: 0, commands: 3, rounds: 1 });
    assert.ok(r.inlineBlockedMs > 0 && r.launcherBlockedMs > 0, JSON.stringify(r));
    assert.ok(r.inlineWallMs > 0 && r.launcherWallMs > 0);
    // The ratio is of the unrounded medians; the figures beside it are rounded to 0.01 ms.
    assert.ok(Math.abs(r.launcherRatio - r.launcherBlockedMs / r.inlineBlockedMs) < 0.01 / r.inlineBlockedMs + 0.002, JSON.stringify(r));
  });
});
