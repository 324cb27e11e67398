// The CLI as a user runs it: a real process against a real dev server and real repositories.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { appendFileSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { execa } from 'execa';
import type { Worker } from '@temporalio/worker';
import { EXAMPLES, PROJECT_ROOT, gitCopy, gitStatus, git } from './helpers/repo';
import { startTestServer, type TestServer } from './helpers/temporal';

const BIN = path.join(PROJECT_ROOT, 'bin/infra-implementor.js');
const SPEC = path.join(EXAMPLES, 'orders.spec.yaml');

describe('infra-implementor CLI', () => {
  let server: TestServer;
  let worker: Worker;
  let taskQueue: string;
  let running: Promise<void>;
  const cli = (args: string[], env: Record<string, string> = {}) =>
    execa('node', [BIN, ...args], {
      reject: false,
      env: { TEMPORAL_ADDRESS: server.env.connection.options.address ?? '', TEMPORAL_TASK_QUEUE: taskQueue, ANTHROPIC_API_KEY: '', ...env },
    });
  const workflowCount = async () => {
    let n = 0;
    for await (const _ of server.env.client.workflow.list({ query: `TaskQueue = "${taskQueue}"` })) n++;
    return n;
  };

  before(async () => {
    server = await startTestServer();
    ({ worker, taskQueue } = await server.worker());
    running = worker.run();
  });
  after(async () => {
    worker?.shutdown();
    await running;
    await server?.stop();
  });

  it('bad input exits 2 with one line naming the problem, writes nothing and starts no workflow', async () => {
    const repo = await gitCopy(EXAMPLES);
    const infra = path.join(repo, 'infra');
    const outside = mkdtempSync(path.join(os.tmpdir(), 'ii-outside-'));
    symlinkSync(outside, path.join(infra, 'escape'));
    await git(repo, 'add', '-A');
    await git(repo, '-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-qm', 'symlink');
    const badSpec = path.join(outside, 'bad.yaml');
    writeFileSync(badSpec, 'service: Orders_Service\nimage: x\n');
    const unknownField = path.join(outside, 'unknown.yaml');
    writeFileSync(unknownField, 'service: orders\nimage: ghcr.io/acme/orders:1\nreplica: 3\n');
    const base = ['implement', '--feature', 'Add orders', '--scope', 'orders'];
    const cases: [string, string[], RegExp, Record<string, string>?][] = [
      ['missing infra root', [...base, '--infra-root', path.join(repo, 'nope'), '--spec', SPEC], /--infra-root .*nope: no such folder/],
      ['infra root is a file', [...base, '--infra-root', SPEC, '--spec', SPEC], /not a folder/],
      ['file outside with ..', [...base, '--infra-root', infra, '--spec', SPEC, '--files', '../secrets.yaml'], /--files \.\.\/secrets\.yaml: must not contain "\.\." segments/],
      ['absolute file', [...base, '--infra-root', infra, '--spec', SPEC, '--files', '/etc/passwd'], /must be relative to the infra root/],
      ['file into .git', [...base, '--infra-root', infra, '--spec', SPEC, '--files', '.git/config'], /must not point into \.git/],
      ['file through a symlink out', [...base, '--infra-root', infra, '--spec', SPEC, '--files', 'escape/x.yaml'], /leads outside the infra root through a symlink/],
      ['invalid spec', [...base, '--infra-root', infra, '--spec', badSpec], /--spec .*bad\.yaml: service: must be a DNS-1123 name/],
      ['spec with an unknown field', [...base, '--infra-root', infra, '--spec', unknownField], /Unrecognized key.*replica/i],
      ['missing spec file', [...base, '--infra-root', infra, '--spec', path.join(outside, 'none.yaml')], /--spec .*none\.yaml: file not found/],
      ['scaffold without spec', [...base, '--infra-root', infra], /needs --spec FILE/],
      ['anthropic without a key', [...base, '--infra-root', infra, '--implementer', 'anthropic'], /ANTHROPIC_API_KEY/],
      ['unknown implementer', [...base, '--infra-root', infra, '--implementer', 'magic'], /Allowed choices are scaffold, anthropic/],
      ['missing --feature', ['implement', '--scope', 's', '--infra-root', infra], /--feature/],
      ['bad max attempts', [...base, '--infra-root', infra, '--spec', SPEC, '--max-attempts', '0'], /maxAttempts/],
      ['bad deadline', [...base, '--infra-root', infra, '--spec', SPEC, '--human-deadline', 'tomorrow'], /humanDeadline: must be a duration/],
      ['bad run timeout', [...base, '--infra-root', infra, '--spec', SPEC, '--run-timeout', 'soon'], /--run-timeout soon: must be a duration/],
      ['run timeout within the human deadline', [...base, '--infra-root', infra, '--spec', SPEC, '--run-timeout', '1h'], /must be longer than the human deadline \(24h\)/],
      ['bad TEMPORAL_ADDRESS', [...base, '--infra-root', infra, '--spec', SPEC], /TEMPORAL_ADDRESS: must be host:port/, { TEMPORAL_ADDRESS: 'not an address' }],
    ];
    for (const [name, args, message, env] of cases) {
      const r = await cli(args, env);
      assert.equal(r.exitCode, 2, `${name}: exit code (stderr: ${r.stderr})`);
      const lines = String(r.stderr).trim().split('\n').filter((l) => !/^\(run with --help/.test(l));
      assert.equal(lines.length, 1, `${name}: one line, got ${JSON.stringify(r.stderr)}`);
      assert.match(lines[0] ?? '', message, name);
    }
    assert.equal(await gitStatus(repo), '', 'nothing written');
    assert.equal(await workflowCount(), 0, 'no workflow started');
  });

  it('implement --wait --json prints the report object and exits 0', async () => {
    const repo = await gitCopy(EXAMPLES);
    const r = await cli(['implement', '--feature', 'Add orders', '--scope', 'orders service', '--infra-root', path.join(repo, 'infra'), '--repos-root', repo, '--spec', SPEC, '--run-timeout', '2d', '--wait', '--json']);
    assert.equal(r.exitCode, 0, String(r.stderr));
    const report = JSON.parse(String(r.stdout));
    for (const key of ['workflowId', 'status', 'filesCreated', 'filesModified', 'assumptions', 'dependencies', 'validations', 'findings']) assert.ok(key in report, key);
    assert.equal(report.status, 'succeeded');
    assert.ok(report.dependencies.some((d: { kind: string }) => d.kind === 'image'));
    const described = await server.env.client.workflow.getHandle(report.workflowId).describe();
    assert.equal(String(described.raw.executionConfig?.workflowRunTimeout?.seconds), String(2 * 86400), 'the run timeout reached the server');
    const result = await cli(['result', report.workflowId, '--json']);
    assert.equal(result.exitCode, 0);
    assert.deepEqual(JSON.parse(String(result.stdout)), report);
  });

  it('a stuck run: status shows the question, answer abort restores, a second answer is refused', async () => {
    const repo = await gitCopy(EXAMPLES);
    // A staging overlay that is already broken: adding a service to it cannot validate.
    appendFileSync(path.join(repo, 'infra/apps/staging/kustomization.yaml'), 'configMapGenerator:\n  - name: broken\n    files: [missing.properties]\n');
    await git(repo, '-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-qam', 'broken staging');
    const start = await cli(['implement', '--feature', 'Add orders', '--scope', 'orders service', '--infra-root', path.join(repo, 'infra'), '--spec', SPEC, '--json']);
    assert.equal(start.exitCode, 0, String(start.stderr));
    const { workflowId } = JSON.parse(String(start.stdout));
    let status = '';
    for (let i = 0; i < 100 && !/pending\s+Validation still fails/.test(status); i++) {
      status = String((await cli(['status', workflowId])).stdout);
    }
    assert.match(status, /phase\s+awaiting-human/);
    assert.match(status, /failed\s+kustomize apps\/staging/);
    const json = JSON.parse(String((await cli(['status', workflowId, '--json'])).stdout));
    assert.equal(json.pending.failures[0].validator, 'kustomize');
    const answer = await cli(['answer', workflowId, '--action', 'abort']);
    assert.equal(answer.exitCode, 0, String(answer.stderr));
    const result = await cli(['result', workflowId, '--json']);
    assert.equal(result.exitCode, 1, 'aborted is not success');
    assert.equal(JSON.parse(String(result.stdout)).status, 'aborted');
    assert.equal(await gitStatus(repo), '');
    const again = await cli(['answer', workflowId, '--action', 'accept']);
    assert.equal(again.exitCode, 1);
    assert.match(String(again.stderr), /^error: .*(nothing is pending|completed|closed)/i);
  });

  it('--help on every command shows examples', async () => {
    for (const cmd of ['check', 'implement', 'feature', 'status', 'answer', 'inbox', 'result', 'worker', 'dev', 'demo', 'codec-server']) {
      const r = await cli([cmd, '--help']);
      assert.equal(r.exitCode, 0);
      assert.match(String(r.stdout), /Examples?:/);
    }
  });
});
