// The feature's git steps on real repositories: scope commits (with and without a configured
// committer), the batch merge that stops at the first conflict a human must settle, and the
// clean-up that leaves no worktree or branch behind.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commitScope, createFeatureWorkspace, mergeScopes, removeFeatureWorkspace, type FeatureWorkspace } from '../runtime/git';
import { EXAMPLES, branches, git, gitCopy } from './helpers/repo';

const OVERLAY = 'infra/apps/staging/kustomization.yaml';

/** A workspace of `slugs` on a fresh copy of examples/, each scope adding `<slug>.yaml` to the staging overlay. */
async function workspace(slugs: string[]): Promise<{ repo: string; stateDir: string; ws: FeatureWorkspace }> {
  const repo = await gitCopy(EXAMPLES);
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'ii-git-state-'));
  const ws = await createFeatureWorkspace(stateDir, { infraRoot: path.join(repo, 'infra'), workflowId: `wf-${path.basename(repo)}`, slugs, branch: `infra/${path.basename(repo)}` });
  return { repo, stateDir, ws };
}

function addToOverlay(dir: string, resource: string): void {
  const file = path.join(dir, OVERLAY);
  const text = readFileSync(file, 'utf8');
  assert.match(text, /^resources:\n/m, 'the staging overlay lists resources');
  writeFileSync(file, text.replace(/^resources:\n/m, `resources:\n  - ${resource}\n`));
  writeFileSync(path.join(dir, 'infra/apps/staging', resource), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${resource.replace('.yaml', '')}\n`);
}

describe('feature git steps on real repositories', () => {
  const saved = { GIT_CONFIG_GLOBAL: process.env.GIT_CONFIG_GLOBAL, EMAIL: process.env.EMAIL };
  after(() => {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  });

  it('commits a scope as the configured committer, or as a neutral one when git has none', async () => {
    const { ws } = await workspace(['a', 'b']);
    const [a, b] = ws.scopes as [FeatureWorkspace['scopes'][number], FeatureWorkspace['scopes'][number]];
    addToOverlay(a.dir, 'a.yaml');
    const first = await commitScope({ dir: a.dir, base: ws.base, message: 'scope a\n' });
    assert.equal(first.changed, true);
    const configured = await git(a.dir, 'config', 'user.email').catch(() => '');
    if (configured) assert.equal(await git(a.dir, 'log', '-1', '--format=%ce'), configured);

    // No global config and no EMAIL: git cannot name a committer; the commit still lands, as infra-implementor.
    const empty = path.join(mkdtempSync(path.join(os.tmpdir(), 'ii-gitconfig-')), 'config');
    writeFileSync(empty, '');
    process.env.GIT_CONFIG_GLOBAL = empty;
    delete process.env.EMAIL;
    try {
      addToOverlay(b.dir, 'b.yaml');
      const second = await commitScope({ dir: b.dir, base: ws.base, message: 'scope b\n' });
      assert.equal(second.changed, true);
      assert.equal(await git(b.dir, 'log', '-1', '--format=%an <%ae>'), 'infra-implementor <infra-implementor@localhost>');
      // Nothing written: no commit, `changed` false.
      assert.deepEqual(await commitScope({ dir: ws.merge.dir, base: ws.base, message: 'nothing\n' }), { commit: ws.base, changed: false });
    } finally {
      process.env.GIT_CONFIG_GLOBAL = saved.GIT_CONFIG_GLOBAL ?? '';
      if (saved.GIT_CONFIG_GLOBAL === undefined) delete process.env.GIT_CONFIG_GLOBAL;
    }
  });

  it('merges scope branches in order, uniting additive YAML edits, and stops at a real conflict; a retry goes on from there', async () => {
    const { ws } = await workspace(['one', 'two', 'clash', 'four']);
    const [one, two, clash, four] = ws.scopes as FeatureWorkspace['scopes'];
    for (const [w, r] of [[one, 'one.yaml'], [two, 'two.yaml'], [four, 'four.yaml']] as const) {
      addToOverlay(w?.dir as string, r);
      await commitScope({ dir: w?.dir as string, base: ws.base, message: `${r}\n` });
    }
    // `clash` sets the staging replicas patch to 2, and the feature side (a person's edit in the merge
    // worktree) sets the same line to 3: no union settles that.
    const replicas = /value: \d+/;
    const overlay = path.join(clash?.dir as string, OVERLAY);
    assert.match(readFileSync(overlay, 'utf8'), replicas, 'the staging overlay patches the replicas');
    writeFileSync(overlay, readFileSync(overlay, 'utf8').replace(replicas, 'value: 2'));
    await commitScope({ dir: clash?.dir as string, base: ws.base, message: 'clash\n' });
    const mergeOverlay = path.join(ws.merge.dir, OVERLAY);
    writeFileSync(mergeOverlay, readFileSync(mergeOverlay, 'utf8').replace(replicas, 'value: 3'));
    await git(ws.merge.dir, '-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-qam', 'feature side');

    const scopes = [one, two, clash, four].map((w) => ({ branch: w?.branch as string, scope: w?.slug as string }));
    const r = await mergeScopes({ dir: ws.merge.dir, scopes });
    assert.deepEqual(r.merged, [one?.branch, two?.branch]);
    assert.equal(r.conflict?.branch, clash?.branch);
    assert.deepEqual(r.conflict?.conflicts, [OVERLAY]);
    assert.ok(existsSync(path.join(ws.merge.dir, 'infra/apps/staging/two.yaml')));
    assert.ok(!existsSync(path.join(ws.merge.dir, 'infra/apps/staging/four.yaml')), 'nothing after the conflict is merged');
    const merged = readFileSync(mergeOverlay, 'utf8');
    assert.match(merged, /- one\.yaml/);
    assert.match(merged, /- two\.yaml/);

    // Asked again (an activity retry): the merge in progress is reported again, nothing else moves.
    const again = await mergeScopes({ dir: ws.merge.dir, scopes: scopes.slice(2) });
    assert.deepEqual(again, { merged: [], conflict: { ...r.conflict, autoResolved: [] } });

    // A human settles it; the rest merges, and a repeated call merges nothing twice.
    writeFileSync(mergeOverlay, readFileSync(mergeOverlay, 'utf8').replace(/<<<<<<<[^]*?>>>>>>> [^\n]*\n/, '        value: 3\n'));
    await git(ws.merge.dir, 'add', '-A');
    await git(ws.merge.dir, '-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-q', '--no-edit');
    const rest = await mergeScopes({ dir: ws.merge.dir, scopes: scopes.slice(3) });
    assert.deepEqual(rest, { merged: [four?.branch] });
    const head = await git(ws.merge.dir, 'rev-parse', 'HEAD');
    assert.deepEqual(await mergeScopes({ dir: ws.merge.dir, scopes: scopes.slice(3) }), { merged: [four?.branch] });
    assert.equal(await git(ws.merge.dir, 'rev-parse', 'HEAD'), head, 'a merged branch is not merged again');
    const final = readFileSync(mergeOverlay, 'utf8');
    for (const r of ['one', 'two', 'four']) assert.match(final, new RegExp(`- ${r}\\.yaml`));
    assert.match(final, /value: 3/);
  });

  it('removes every worktree and scope branch, and says which', async () => {
    const { repo, stateDir, ws } = await workspace(['x', 'y']);
    const before = await branches(repo);
    assert.ok(ws.scopes.every((w) => before.includes(w.branch)));
    const r = await removeFeatureWorkspace(stateDir, { infraRoot: path.join(repo, 'infra'), workflowId: `wf-${path.basename(repo)}`, slugs: ['x', 'y'], deleteScopeBranches: true, alsoDelete: ['not-there'] });
    assert.deepEqual(r.deletedBranches.sort(), ws.scopes.map((w) => w.branch).sort());
    assert.equal(r.removed.length, 3);
    assert.ok(r.removed.every((d) => !existsSync(d)));
    assert.deepEqual(await branches(repo), ['main']);
    assert.equal((await git(repo, 'worktree', 'list', '--porcelain')).match(/^worktree /gm)?.length, 1, 'only the main checkout is left');
  });
});
