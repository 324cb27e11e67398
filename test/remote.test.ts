// Runs from a Git remote: a bare repository on this machine is the remote; the worker clones it into
// a workspace of its own, the result is pushed on a branch, and everything that can go wrong on the
// way (a moved branch, a refused push, an unreachable remote, a wrong base, credentials in the URL)
// ends with a clear message and nothing half-pushed. Real server, real git, real CLI process.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import type { Worker } from '@temporalio/worker';
import type { FeatureReport } from '../core/feature';
import type { ImplementorReport } from '../core/schemas';
import { statusQuery } from '../workflows/messages';
import { ImplementorClient } from '../client/client';
import { featureInput } from '../client/inputs';
import { recordHistory } from './helpers/histories';
import { EXAMPLES, PROJECT_ROOT, git, gitCopy, specFile } from './helpers/repo';
import { startTestServer, type TestServer } from './helpers/temporal';

const BIN = path.join(PROJECT_ROOT, 'bin/infra-implementor.js');
const SPEC = path.join(EXAMPLES, 'orders.spec.yaml');

/** A bare repository holding examples/ on main: the remote. */
async function bareRemote(): Promise<{ url: string; dir: string; main: string }> {
  const work = await gitCopy(EXAMPLES);
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'ii-remote-')), 'infra.git');
  await git(path.dirname(dir), 'clone', '-q', '--bare', work, dir);
  return { url: `file://${dir}`, dir, main: await git(dir, 'rev-parse', 'refs/heads/main') };
}

const refs = async (bare: string) => (await git(bare, 'for-each-ref', '--format=%(refname) %(objectname)')).split('\n').filter(Boolean).sort();

describe('runs from a Git remote', () => {
  let server: TestServer;
  let worker: Worker;
  let taskQueue: string;
  let stateDir: string;
  let running: Promise<void>;
  const cli = (args: string[], env: Record<string, string> = {}) => execa('node', [BIN, ...args], {
    reject: false,
    env: { TEMPORAL_ADDRESS: server.env.connection.options.address ?? '', TEMPORAL_TASK_QUEUE: taskQueue, ANTHROPIC_API_KEY: '', ...env },
  });
  const implement = (url: string, extra: string[] = []) => cli(['implement', '--feature', 'Add orders', '--scope', 'orders service', '--repo', url, '--subdir', 'infra', '--spec', SPEC, ...extra]);

  before(async () => {
    server = await startTestServer();
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'ii-state-'));
    ({ worker, taskQueue } = await server.worker({ stateDir }));
    running = worker.run();
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await server?.stop();
  });

  it('clones the remote on the worker, pushes exactly the change on infra/orders, every overlay on the branch builds, and the workspace is gone', async () => {
    const remote = await bareRemote();
    const r = await implement(remote.url, ['--wait', '--json']);
    assert.equal(r.exitCode, 0, String(r.stderr));
    const report = JSON.parse(String(r.stdout)) as ImplementorReport;
    await recordHistory(server.env.client.workflow.getHandle(report.workflowId), 'implementor-remote');
    assert.equal(report.status, 'succeeded', report.summary);
    assert.equal(report.remote, remote.url);
    assert.equal(report.branch, 'infra/orders');
    assert.equal(report.pushed, true);
    assert.match(report.compare ?? '', /git fetch .* infra\/orders && git diff/);
    assert.equal(await git(remote.dir, 'rev-parse', 'refs/heads/infra/orders'), report.commit);
    assert.equal(await git(remote.dir, 'rev-parse', 'refs/heads/main'), remote.main, 'main is untouched');
    assert.equal(await git(remote.dir, 'rev-parse', `${report.commit}^`), remote.main, 'one commit on top of the base');
    const changed = (await git(remote.dir, 'diff', '--name-only', remote.main, 'refs/heads/infra/orders')).split('\n').sort();
    assert.deepEqual(changed, [...report.filesCreated, ...report.filesModified].map((f) => `infra/${f}`).sort(), 'the branch holds exactly the run\'s files');
    const checkout = path.join(mkdtempSync(path.join(os.tmpdir(), 'ii-check-')), 'c');
    await git(path.dirname(checkout), 'clone', '-q', '-b', 'infra/orders', remote.dir, checkout);
    for (const overlay of ['infra/apps/staging', 'infra/apps/production']) {
      const built = await execa('kubectl', ['kustomize', path.join(checkout, overlay)], { reject: false });
      assert.equal(built.exitCode, 0, `${overlay}: ${built.stderr}`);
      assert.match(String(built.stdout), /name: orders/);
    }
    assert.deepEqual(readdirSync(path.join(stateDir, 'workspaces')).filter((n) => !n.endsWith('.lock')), [], 'the workspace was removed when the run closed');
  });

  it('--no-push commits in the workspace and pushes nothing; a second run reuses the cached clone', async () => {
    const remote = await bareRemote();
    const before = await refs(remote.dir);
    const r = await implement(remote.url, ['--no-push', '--branch', 'infra/try', '--wait', '--json']);
    assert.equal(r.exitCode, 0, String(r.stderr));
    const report = JSON.parse(String(r.stdout)) as ImplementorReport;
    assert.equal(report.pushed, false);
    assert.match(report.commit ?? '', /^[0-9a-f]{40}$/);
    assert.match(report.summary, /not pushed/);
    assert.deepEqual(await refs(remote.dir), before, 'the remote is untouched');
  });

  it('a branch that moved on the remote becomes a question; abort pushes nothing and leaves the remote as it was', async () => {
    const remote = await bareRemote();
    const other = await gitCopy(EXAMPLES);
    writeFileSync(path.join(other, 'README.md'), 'someone else\n');
    await git(other, 'add', '-A');
    await git(other, '-c', 'user.name=o', '-c', 'user.email=o@e', 'commit', '-qm', 'other work');
    await git(other, 'push', '-q', remote.dir, 'HEAD:refs/heads/infra/orders');
    const before = await refs(remote.dir);
    const started = await implement(remote.url);
    assert.equal(started.exitCode, 0, String(started.stderr));
    const id = String(started.stdout).trim();
    const handle = server.env.client.workflow.getHandle(id);
    let status = await handle.query(statusQuery);
    for (let i = 0; i < 300 && !status.pending; i++) { await sleep(100); status = await handle.query(statusQuery); }
    assert.equal(status.pending?.kind, 'delivery');
    assert.match(status.pending?.question ?? '', /branch infra\/orders of file:.* moved to [0-9a-f]{12} \(not this run's work\): nothing was pushed/);
    assert.deepEqual(status.pending?.options.map((o) => o.action), ['retry', 'abort']);
    const accepted = await cli(['answer', id, '--action', 'accept']);
    assert.equal(accepted.exitCode, 1);
    assert.match(String(accepted.stderr), /accept is not an answer to q1: answer retry or abort/);
    assert.equal((await cli(['answer', id, '--action', 'abort'])).exitCode, 0);
    const report = await handle.result() as ImplementorReport;
    assert.equal(report.status, 'aborted');
    assert.match(report.summary, /nothing was pushed/);
    assert.deepEqual(await refs(remote.dir), before, 'nothing was pushed');
  });

  it('a push the remote refuses (a pre-receive hook) is a question; retry after the hook is gone pushes', async () => {
    const remote = await bareRemote();
    const hook = path.join(remote.dir, 'hooks', 'pre-receive');
    writeFileSync(hook, '#!/bin/sh\necho "pushes to infra/ need a review ticket" >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    const id = String((await implement(remote.url)).stdout).trim();
    const handle = server.env.client.workflow.getHandle(id);
    let status = await handle.query(statusQuery);
    for (let i = 0; i < 300 && !status.pending; i++) { await sleep(100); status = await handle.query(statusQuery); }
    assert.match(status.pending?.question ?? '', /refused the push of infra\/orders: .*pushes to infra\/ need a review ticket/);
    assert.deepEqual((await refs(remote.dir)).filter((r) => r.includes('infra/')), [], 'nothing half-pushed');
    writeFileSync(hook, '#!/bin/sh\nexit 0\n');
    assert.equal((await cli(['answer', id, '--action', 'retry', '--question', 'q1'])).exitCode, 0);
    const report = await handle.result() as ImplementorReport;
    assert.equal(report.status, 'succeeded', report.summary);
    assert.equal(await git(remote.dir, 'rev-parse', 'refs/heads/infra/orders'), report.commit);
  });

  it('an unreachable remote and a wrong base fail the run with a message naming them, and push nothing', async () => {
    const missing = await implement(`file://${path.join(os.tmpdir(), 'no-such-remote.git')}`, ['--wait', '--json']);
    assert.equal(missing.exitCode, 1);
    const failed = JSON.parse(String(missing.stdout)) as ImplementorReport;
    assert.equal(failed.status, 'failed');
    assert.match(failed.summary, /cannot fetch file:.*no-such-remote\.git: .*(does not appear to be a git repository|not found)/i);
    const remote = await bareRemote();
    const before = await refs(remote.dir);
    const wrongBase = await implement(remote.url, ['--base', 'release-9', '--wait', '--json']);
    assert.equal(wrongBase.exitCode, 1);
    assert.match((JSON.parse(String(wrongBase.stdout)) as ImplementorReport).summary, /has no branch release-9 \(it has: main\)/);
    const wrongDir = await implement(remote.url, ['--subdir', 'nope', '--wait', '--json']);
    assert.match((JSON.parse(String(wrongDir.stdout)) as ImplementorReport).summary, /has no folder nope at main/);
    assert.deepEqual(await refs(remote.dir), before);
  });

  it('a feature from the remote: each scope a run of its own, merged, validated once and pushed as one commit on the feature branch', async () => {
    const remote = await bareRemote();
    const spec = specFile({
      feature: 'Add orders and payments',
      repo: { url: remote.url, subdir: 'infra' },
      scopes: [
        { scope: 'orders service', spec: { service: 'orders', image: 'ghcr.io/acme/orders:1.0.0', port: 8080 } },
        { scope: 'payments service', spec: { service: 'payments', image: 'ghcr.io/acme/payments:1.0.0', port: 9090, sensitive: true } },
      ],
    });
    // Started through the client with the recording's name as id: replay derives the children's ids from it.
    const client = new ImplementorClient(server.env.client, taskQueue);
    const id = await client.startFeature(featureInput({ spec }), 'feature-remote');
    const report = await client.result<FeatureReport>(id);
    await recordHistory(server.env.client.workflow.getHandle(id), 'feature-remote');
    assert.equal(report.status, 'succeeded', report.summary);
    assert.equal(report.branch, 'infra/add-orders-and-payments');
    assert.equal(report.pushed, true);
    assert.equal(report.base, remote.main);
    assert.equal(await git(remote.dir, 'rev-parse', 'refs/heads/infra/add-orders-and-payments'), report.commit);
    assert.equal(await git(remote.dir, 'rev-parse', `${report.commit}^`), remote.main, 'one commit on the base');
    assert.deepEqual((await refs(remote.dir)).map((l) => l.split(' ')[0]), ['refs/heads/infra/add-orders-and-payments', 'refs/heads/main'], 'no scope branch reached the remote');
    const files = await git(remote.dir, 'ls-tree', '-r', '--name-only', 'refs/heads/infra/add-orders-and-payments');
    assert.match(files, /infra\/apps\/base\/orders\/deployment\.yaml/);
    assert.match(files, /infra\/apps\/base\/payments\/networkpolicy\.yaml/);
    const checkout = path.join(mkdtempSync(path.join(os.tmpdir(), 'ii-check-')), 'c');
    await git(path.dirname(checkout), 'clone', '-q', '-b', 'infra/add-orders-and-payments', remote.dir, checkout);
    for (const overlay of ['infra/apps/staging', 'infra/apps/production']) {
      const built = await execa('kubectl', ['kustomize', path.join(checkout, overlay)], { reject: false });
      assert.equal(built.exitCode, 0, `${overlay}: ${built.stderr}`);
      assert.match(String(built.stdout), /name: orders/);
      assert.match(String(built.stdout), /name: payments/);
    }
    for (const c of report.children) assert.equal(c.merged, true, c.scope);
    const left = readdirSync(path.join(stateDir, 'workspaces')).filter((n) => n.endsWith('.run.json')).map((n) => readFileSync(path.join(stateDir, 'workspaces', n), 'utf8'));
    assert.deepEqual(left, [], 'every workspace was removed');
  });

  it('credentials in the URL, --infra-root against a remote Temporal, and both sources at once are refused with exit 2', async () => {
    const cases: [string[], RegExp, Record<string, string>?][] = [
      [['--repo', 'https://alice:s3cret@git.example.com/acme/infra.git'], /--repo: must not carry credentials: give the worker INFRA_IMPLEMENTOR_GIT_TOKEN or an SSH key/],
      [['--repo', 'https://ghp_abc123@github.com/acme/infra.git'], /must not carry credentials/],
      [['--repo', 'https://github.com/acme/infra.git', '--infra-root', EXAMPLES], /give either --infra-root DIR or --repo URL, not both/],
      [[], /--infra-root DIR or --repo URL is required/],
      [['--infra-root', EXAMPLES], /Temporal is at temporal\.example\.com:7233, whose workers cannot see this machine's folders; use --repo URL, or --shared-path/, { TEMPORAL_ADDRESS: 'temporal.example.com:7233' }],
      [['--repo', 'https://github.com/acme/infra.git', '--base', 'a b'], /--base: must be a branch name or a commit/],
      [['--infra-root', EXAMPLES, '--branch', 'x'], /--branch goes with --repo/],
    ];
    for (const [args, message, env] of cases) {
      const r = await cli(['implement', '--feature', 'f', '--scope', 's', '--spec', SPEC, ...args], env);
      assert.equal(r.exitCode, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(String(r.stderr).trim(), message);
      assert.equal(String(r.stderr).trim().split('\n').length, 1, 'one line');
      assert.doesNotMatch(String(r.stderr), /s3cret|ghp_abc123/, 'the secret is not echoed');
    }
    assert.ok(!existsSync(path.join(stateDir, 'workspaces', 'x')));
  });
});
