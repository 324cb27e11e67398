// The production tier: the same runs on the Temporal platform teams deploy — the Temporal server
// 1.29.1 on PostgreSQL 15 with SQL visibility, its frontend behind mTLS — with every worker and
// CLI call configured by the standard TEMPORAL_* variables. A worker killed mid-run, the server
// killed and started again on the same database, a question found through SQL visibility and the
// inbox, and a run from a Git remote spread over two workers.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { execa } from 'execa';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { dataConverterFromEnv } from '../core/payload-codec';
import { ImplementorInput, ServiceSpec } from '../core/schemas';
import { answerUpdate, IMPLEMENTOR_WORKFLOW, statusQuery } from '../workflows/messages';
import { BIN, startCli } from './helpers/cli-process';
import { comparable, contents, scenarioAnswer, scenarioInput, waitForQuestion, type Implementor, type Scenario } from './helpers/crash-run';
import { serverTools, startPostgres, startProductionTemporal, type ProductionTemporal } from './helpers/production-temporal';
import { EXAMPLES, PROJECT_ROOT, git, gitCopy, snapshot } from './helpers/repo';
import { locateTemporalCli } from '../worker/temporal-server';
import { bareRemote } from './helpers/scale';
import { until } from './helpers/until';
import { bundleCrashWorkflows, startWorkerProcess, type WorkerProcess } from './helpers/worker-process';

describe('on the Temporal users deploy: PostgreSQL, SQL visibility, mTLS', { concurrency: 1 }, () => {
  let prod: ProductionTemporal;
  let client: Client;
  let bundle: string;
  const workers: WorkerProcess[] = [];
  before(async () => {
    [prod, bundle] = await Promise.all([startProductionTemporal(), bundleCrashWorkflows()]);
    client = await prod.client();
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await prod?.stop();
  });

  /** A scenario on a fresh copy of examples/, its worker processes connected with the mTLS variables. */
  function newRun(scenario: Scenario) {
    const events: string[] = [];
    const taskQueue = `production-${randomUUID()}`;
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'ii-state-'));
    return gitCopy(EXAMPLES).then((repo) => {
      const infraRoot = path.join(repo, 'infra');
      const worker = async (holdAt?: string) => {
        const w = await startWorkerProcess({ address: prod.address, env: prod.env, taskQueue, stateDir, bundle, watchRoot: infraRoot, events, ...(holdAt ? { holdAt } : {}) });
        workers.push(w);
        return w;
      };
      const start = (): Promise<WorkflowHandle<Implementor>> => client.workflow.start(IMPLEMENTOR_WORKFLOW, { taskQueue, workflowId: `production-${scenario}-${randomUUID()}`, args: [scenarioInput(scenario, infraRoot)] });
      return { repo, events, taskQueue, worker, start };
    });
  }

  /** The scenario undisturbed, answered when it asks. */
  async function reference(scenario: Scenario) {
    const run = await newRun(scenario);
    const w = await run.worker();
    const handle = await run.start();
    const answer = scenarioAnswer(scenario);
    if (answer) {
      await waitForQuestion(handle);
      await handle.executeUpdate(answerUpdate, { args: [answer] });
    }
    const report = await handle.result();
    await w.kill();
    assert.equal(report.status, 'succeeded', report.summary);
    return { ...run, report };
  }

  it('a run survives its worker SIGKILLed as a proposal starts and after a change set was written: the same end as an undisturbed run', { timeout: 240_000 }, async () => {
    const ref = await reference('scaffold');
    const run = await newRun('scaffold');
    let worker = await run.worker('start:proposePhase');
    const handle = await run.start();
    for (const next of ['end:applyChangeSet', undefined]) {
      await worker.waitFor('hold ');
      await worker.kill();
      worker = await run.worker(next);
    }
    const report = await handle.result();
    await worker.kill();
    assert.deepEqual(comparable(report, run.repo), comparable(ref.report, ref.repo));
    assert.deepEqual(snapshot(run.repo), snapshot(ref.repo), 'the tree equals the undisturbed run\'s');
    assert.deepEqual(contents(run.events), contents(ref.events), 'each file went through the same contents');
  });

  it('a run survives the server SIGKILLed mid-activity and again while it waits for a human, started again on the same database', { timeout: 240_000 }, async () => {
    const ref = await reference('human');
    const run = await newRun('human');
    let worker = await run.worker('end:applyChangeSet');
    const { workflowId } = await run.start();
    await worker.waitFor('hold end:applyChangeSet');
    await prod.killServer();
    await prod.startServer();
    await worker.kill(); // its activity dies with it; the restarted server hands the step to the next worker
    worker = await run.worker();
    const handle: WorkflowHandle<Implementor> = client.workflow.getHandle(workflowId);
    await waitForQuestion(handle);
    await prod.killServer();
    await prod.startServer();
    const status = await handle.query(statusQuery);
    assert.equal(status.phase, 'awaiting-human', 'the question survived the restart, in PostgreSQL');
    await handle.executeUpdate(answerUpdate, { args: [scenarioAnswer('human') as NonNullable<ReturnType<typeof scenarioAnswer>>] });
    const report = await handle.result();
    await worker.kill();
    assert.deepEqual(comparable(report, run.repo), comparable(ref.report, ref.repo));
    assert.deepEqual(snapshot(run.repo), snapshot(ref.repo), 'the tree equals the undisturbed run\'s');
  });

  it('an escalated run is found by AwaitingHuman = true in SQL visibility and by `inbox`, and answered with `answer`, over mTLS', { timeout: 180_000 }, async () => {
    const run = await newRun('human');
    const worker = await run.worker();
    const report = await (async () => {
      const handle = await run.start();
      await waitForQuestion(handle);
      const found = await until('the run in SQL visibility', async () => {
        const ids: string[] = [];
        for await (const w of client.workflow.list({ query: `AwaitingHuman = true AND TaskQueue = '${run.taskQueue}'` })) ids.push(w.workflowId);
        return ids.length ? ids : undefined;
      }, 60_000);
      assert.deepEqual(found, [handle.workflowId]);
      const cliEnv = { ...prod.env, TEMPORAL_TASK_QUEUE: run.taskQueue, ANTHROPIC_API_KEY: '' };
      const inbox = await execa('node', [BIN, 'inbox', '--json'], { env: cliEnv, reject: false });
      assert.equal(inbox.exitCode, 0, String(inbox.stderr));
      const questions = (JSON.parse(String(inbox.stdout)) as { questions: { run: string; id: string }[] }).questions;
      assert.deepEqual(questions.map((q) => [q.run, q.id]), [[handle.workflowId, 'q1']]);
      const answered = await execa('node', [BIN, 'answer', handle.workflowId, '--question', 'q1', '--action', 'retry', '--guidance', 'write the config map the scaffold writes'], { env: cliEnv, reject: false });
      assert.equal(answered.exitCode, 0, String(answered.stderr));
      return handle.result();
    })();
    await worker.kill();
    assert.equal(report.status, 'succeeded', report.summary);
    assert.deepEqual(report.audit.map((a) => a.answer?.action), ['retry']);
  });

  it('a run from a Git remote on two workers with state dirs of their own ends as a pushed branch', { timeout: 180_000 }, async () => {
    const remote = await bareRemote();
    const taskQueue = `production-remote-${randomUUID()}`;
    const two = await Promise.all([0, 1].map(() => startWorkerProcess({ address: prod.address, env: prod.env, taskQueue, bundle, stateDir: mkdtempSync(path.join(os.tmpdir(), 'ii-state-')) })));
    workers.push(...two);
    const spec = ServiceSpec.parse(parse(readFileSync(path.join(EXAMPLES, 'orders.spec.yaml'), 'utf8')));
    const input = ImplementorInput.parse({ featureDescription: 'Add orders', scope: 'orders service', repo: { url: remote.url, subdir: 'infra', branch: 'infra/orders' }, spec });
    const report = await (await client.workflow.start(IMPLEMENTOR_WORKFLOW, { taskQueue, workflowId: `production-remote-${randomUUID()}`, args: [input] }) as WorkflowHandle<Implementor>).result();
    assert.equal(report.status, 'succeeded', report.summary);
    assert.equal(report.pushed, true);
    assert.match(await git(remote.dir, 'ls-tree', '-r', '--name-only', 'infra/orders'), /infra\/apps\/base\/orders\/deployment\.yaml/);
  });

  it('docker-compose.yml\'s two admin jobs, run as written: the schema job on a fresh PostgreSQL, twice; the namespace job on the running server, twice', { timeout: 120_000 }, async () => {
    const compose = parse(readFileSync(path.join(PROJECT_ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { command: string[]; environment: Record<string, string> }> };
    const { sqlTool, schema } = serverTools();
    const bin = mkdtempSync(path.join(os.tmpdir(), 'ii-admin-tools-'));
    symlinkSync(sqlTool, path.join(bin, 'temporal-sql-tool'));
    const fresh = await startPostgres(mkdtempSync(path.join(os.tmpdir(), 'ii-compose-pg-')));
    try {
      // The admin-tools image's paths and the compose network's host names, mapped to this machine's.
      const job = (name: string) => (compose.services[name]?.command[0] ?? '').replaceAll('/etc/temporal/schema', schema);
      const schemaEnv = { ...compose.services['temporal-schema']?.environment, SQL_HOST: '127.0.0.1', SQL_PORT: String(fresh.port), SQL_PASSWORD: '', PATH: `${bin}:${process.env.PATH}` };
      for (let i = 0; i < 2; i++) {
        const r = await execa('sh', ['-c', job('temporal-schema')], { env: schemaEnv, reject: false });
        assert.equal(r.exitCode, 0, `schema job, run ${i + 1}: ${r.stderr}`);
      }
      for (const db of ['temporal', 'temporal_visibility']) {
        const version = await execa('/usr/lib/postgresql/15/bin/psql', ['-h', '127.0.0.1', '-p', String(fresh.port), '-U', 'temporal', '-d', db, '-Atc', 'select curr_version from schema_version']);
        assert.match(String(version.stdout), /^\d+\.\d+$/, `${db} has a schema version`);
      }
      const cli = await locateTemporalCli();
      assert.equal(cli.type, 'existing-path');
      symlinkSync((cli as { path: string }).path, path.join(bin, 'temporal'));
      for (let i = 0; i < 2; i++) {
        const r = await execa('sh', ['-c', job('temporal-setup')], { env: { ...prod.env, PATH: `${bin}:${process.env.PATH}` }, reject: false });
        assert.equal(r.exitCode, 0, `namespace job, run ${i + 1}: ${r.stderr}`);
      }
    } finally {
      await fresh.stop();
    }
  });

  it('the codec server serves the Web UI over HTTPS with the same certificates: a payload encoded by the worker\'s codec decodes through it', { timeout: 60_000 }, async () => {
    const key = `k1:${Buffer.alloc(32, 7).toString('base64')}`;
    const { proc, stderr } = startCli(['codec-server', '--port', '0', '--tls-cert', prod.tls.serverCert, '--tls-key', prod.tls.serverKey, '--ui-origin', 'https://temporal.example.com'], {
      ...process.env as Record<string, string>, INFRA_IMPLEMENTOR_CODEC_KEYS: key,
    });
    try {
      const url = (await stderr.waitFor(/codec endpoint at (https:\/\/\S+) /, 30_000)).match[1] as string;
      const codec = dataConverterFromEnv({ INFRA_IMPLEMENTOR_CODEC_KEYS: key })?.payloadCodecs[0];
      assert.ok(codec);
      const [encoded] = await codec.encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"a secret in history"') }]);
      const body = JSON.stringify({ payloads: [{ metadata: Object.fromEntries(Object.entries(encoded?.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(encoded?.data ?? new Uint8Array()).toString('base64') }] });
      const answer = await new Promise<{ status: number; text: string; cors: string }>((resolve, reject) => {
        const req = https.request(`${url}/decode`, { method: 'POST', ca: readFileSync(prod.tls.ca), headers: { 'content-type': 'application/json' } }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => { text += c.toString(); });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text, cors: String(res.headers['access-control-allow-origin']) }));
        });
        req.on('error', reject);
        req.end(body);
      });
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.cors, 'https://temporal.example.com');
      const decoded = (JSON.parse(answer.text) as { payloads: { data: string }[] }).payloads[0];
      assert.equal(Buffer.from(decoded?.data ?? '', 'base64').toString(), '"a secret in history"');
    } finally {
      proc.kill('SIGTERM');
      await proc;
    }
  });
});
