// `inbox` lists every open question across runs, oldest first, each once (a feature's children and
// the feature itself all carry AwaitingHuman), with what failed, the deadline and the answer command;
// a feature's `status` shows its children's questions with what failed. Real CLI processes, a real
// dev server (its visibility store is eventually consistent: the test waits for it, on a condition).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execa } from 'execa';
import { inboxQuery } from '../client/inbox';
import { STATUS_DEADLINE_MS } from '../client/status-read';
import { BIN, shellWords, startCliServer, type CliServer } from './helpers/cli-process';
import { EXAMPLES, brokenStaging, specFile } from './helpers/repo';
import { until } from './helpers/until';

const SPEC = path.join(EXAMPLES, 'orders.spec.yaml');

/** Probe until it gives a value; the dev server's visibility catches up within seconds. */
interface Entry { run: string; askingRun: string; scope: string; id: string; askedAt: string; deadline: string; atDeadline: string; failures: { validator: string; target: string }[]; answer: string }

describe('the inbox', () => {
  let srv: CliServer;
  let env: Record<string, string>;
  const cli = (args: string[]) => srv.cli(args);
  const inbox = async (): Promise<Entry[]> => {
    const r = await cli(['inbox', '--json']);
    assert.equal(r.exitCode, 0, String(r.stderr));
    return JSON.parse(String(r.stdout)).questions;
  };
  const awaitingRuns = async () => {
    const ids: string[] = [];
    for await (const w of srv.server.env.client.workflow.list({ query: inboxQuery(srv.taskQueue) })) ids.push(w.workflowId);
    return ids;
  };
  before(async () => {
    srv = await startCliServer();
    env = srv.env;
  });
  after(() => srv?.stop());

  it('three waiting runs (two scopes of one feature, one implement run) are three entries, oldest first, each once; after one is answered, two', async () => {
    const featureRepo = await brokenStaging();
    const spec = specFile({
      feature: 'Orders and payments',
      infraRoot: path.join(featureRepo, 'infra'),
      options: { maxAttempts: 1 },
      scopes: [
        { scope: 'orders service', spec: { service: 'orders', image: 'ghcr.io/acme/orders:1.0.0', port: 8080 } },
        { scope: 'payments service', spec: { service: 'payments', image: 'ghcr.io/acme/payments:1.0.0', port: 9090 } },
      ],
    });
    const started = await cli(['feature', '--spec', spec, '--json']);
    assert.equal(started.exitCode, 0, String(started.stderr));
    const featureId: string = JSON.parse(String(started.stdout)).workflowId;
    const featureStatus = await until('both scopes of the feature to ask', async () => {
      const s = JSON.parse(String((await cli(['status', featureId, '--json'])).stdout));
      return s.questions?.length === 2 ? s : undefined;
    });

    // The feature's status: its children's questions, each with its scope, its run and what failed.
    for (const q of featureStatus.questions) {
      assert.ok(q.workflowId.startsWith(`${featureId}--`), 'the asking child');
      assert.equal(q.failures[0]?.validator, 'kustomize');
    }
    const text = String((await cli(['status', featureId])).stdout);
    for (const scope of ['orders service', 'payments service']) {
      assert.match(text, new RegExp(`^pending +q1 \\[${scope}\\] Validation still fails after 1 attempt\\(s\\) for "${scope}".*\\n {2}failed +kustomize apps/staging: kustomize build: .*missing\\.properties`, 'm'), `${scope}: question and what failed`);
      assert.match(text, new RegExp(`^ {2}answer +infra-implementor answer ${featureId} --question q1 --scope "${scope}" --action retry\\|accept\\|abort`, 'm'));
    }

    // The third waiting run asks last.
    const implementRepo = await brokenStaging();
    const implement = await cli(['implement', '--feature', 'Add orders', '--scope', 'orders alone', '--infra-root', path.join(implementRepo, 'infra'), '--spec', SPEC, '--max-attempts', '1', '--json']);
    assert.equal(implement.exitCode, 0, String(implement.stderr));
    const implementId: string = JSON.parse(String(implement.stdout)).workflowId;

    // Visibility holds four runs awaiting a human (the feature, its two children, the implement run)…
    await until('visibility to show the four waiting runs', async () => ((await awaitingRuns()).length === 4 ? true : undefined));
    // …and the inbox lists three questions.
    const entries = await until('three questions in the inbox', async () => {
      const e = await inbox();
      return e.length === 3 ? e : undefined;
    });
    assert.deepEqual(entries.map((e) => e.askedAt), entries.map((e) => e.askedAt).sort(), 'oldest first');
    assert.deepEqual(entries.map((e) => [e.run, e.scope]).slice(0, 2).sort(), [[featureId, 'orders service'], [featureId, 'payments service']], 'the feature\'s two scopes, answered through the feature');
    assert.deepEqual(entries.map((e) => e.askingRun).slice(0, 2).sort(), [`${featureId}--orders`, `${featureId}--payments`]);
    assert.deepEqual([entries[2]?.run, entries[2]?.scope], [implementId, 'orders alone'], 'the implement run asked last');
    for (const e of entries) {
      assert.equal(e.id, 'q1');
      assert.equal(e.failures[0]?.validator, 'kustomize', 'what failed');
      assert.equal(e.atDeadline, 'abort');
      assert.ok(Date.parse(e.deadline) > Date.parse(e.askedAt), 'the deadline');
      assert.equal(e.answer, `infra-implementor answer ${e.run} --question q1${e.run === featureId ? ` --scope "${e.scope}"` : ''} --action retry|accept|abort [--guidance TEXT]`);
    }

    const listed = String((await cli(['inbox'])).stdout);
    assert.match(listed, /^3 open questions, oldest first:$/m);
    assert.match(listed, new RegExp(`^3\\. ${implementId} {2}\\[orders alone\\] {2}q1, asked \\d+(m\\d\\ds|s) ago\\n {3}Validation still fails[^\\n]*\\n {3}failed: kustomize apps/staging: [^\\n]*\\n(?: {3}failed: [^\\n]*\\n)* {3}deadline: \\S+ \\(in 2[34]h\\d\\dm\\); then: abort\\n {3}answer: infra-implementor answer ${implementId} --question q1`, 'm'));

    // Answer one with its pasted command: the inbox drops it.
    const answered = await cli(shellWords((entries[0]?.answer ?? '').replace(' [--guidance TEXT]', '').replace(/--action \S+/, '--action abort')).slice(1));
    assert.equal(answered.exitCode, 0, String(answered.stderr));
    const left = await until('two questions left', async () => {
      const e = await inbox();
      return e.length === 2 ? e : undefined;
    });
    assert.deepEqual(left.map((e) => e.askingRun), entries.slice(1).map((e) => e.askingRun));
  });

  it('with nothing waiting, the inbox says so and exits 0', async () => {
    const saved = env.TEMPORAL_TASK_QUEUE;
    env.TEMPORAL_TASK_QUEUE = `${srv.taskQueue}-empty`;
    try {
      const r = await cli(['inbox']);
      assert.equal(r.exitCode, 0, String(r.stderr));
      assert.equal(String(r.stdout).trim(), 'No open questions.');
      assert.deepEqual(JSON.parse(String((await cli(['inbox', '--json'])).stdout)), { questions: [], problems: [] });
    } finally {
      env.TEMPORAL_TASK_QUEUE = saved ?? '';
    }
  });

  it('a waiting run whose workers are gone is reported as a problem within the status deadline, not a hang', async () => {
    const { workers, taskQueue } = await srv.server.workers();
    const running = workers.run();
    const queueEnv = { ...env, TEMPORAL_TASK_QUEUE: taskQueue };
    const run = (args: string[]) => execa('node', [BIN, ...args], { reject: false, env: queueEnv });
    const repo = await brokenStaging();
    const started = await run(['implement', '--feature', 'Add orders', '--scope', 'orders', '--infra-root', path.join(repo, 'infra'), '--spec', SPEC, '--max-attempts', '1', '--json']);
    const { workflowId } = JSON.parse(String(started.stdout));
    await until('the run in the inbox', async () => (JSON.parse(String((await run(['inbox', '--json'])).stdout)).questions.length === 1 ? true : undefined));
    workers.shutdown();
    await running;

    const r = await run(['inbox']);
    assert.equal(r.exitCode, 0, String(r.stderr));
    assert.equal(String(r.stdout).trim(), 'No open questions.');
    // Either our deadline ends the query, or the server gives up on it first (a query no worker takes
    // may come back as another gRPC error before the deadline): both say so, within the deadline.
    const warning = String(r.stderr).trim();
    const deadline = `no answer to the status query within ${STATUS_DEADLINE_MS / 1000} s (is a worker running?)`;
    if (warning !== `warning: ${workflowId}: its status could not be read: ${deadline}`) {
      assert.match(warning, new RegExp(`^warning: ${workflowId}: its status could not be read: the status query failed: .+ \\(is a worker running\\?\\)$`));
    }
  });
});
