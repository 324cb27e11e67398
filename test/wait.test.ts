// A waiting run speaks: `implement --wait`, `feature --wait` and `result` print a question the moment
// a run asks it (measured from the question's askedAt), with everything needed to answer, keep
// waiting, and print the report at the end. Real CLI processes against a real dev server and worker.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { shellWords, startCli, startCliOnTerminal, startCliServer, type CliServer } from './helpers/cli-process';
import { EXAMPLES, brokenStaging, gitStatus, specFile } from './helpers/repo';

const SPEC = path.join(EXAMPLES, 'orders.spec.yaml');
/** How soon after it is asked a question must be on the screen. */
const PROMPT_MS = 2000;

/** The answer command as printed, with one action chosen: what a person pastes. */
function pasted(printed: string, action: string): string[] {
  const words = shellWords(printed.replace(/ \[--guidance TEXT\]$/, '').replace(/--action \S+/, `--action ${action}`));
  assert.equal(words[0], 'infra-implementor');
  return words.slice(1);
}

describe('a waiting run speaks', () => {
  let srv: CliServer;
  let env: Record<string, string>;
  const cli = (args: string[]) => srv.cli(args);
  before(async () => {
    srv = await startCliServer();
    env = srv.env;
  });
  after(() => srv?.stop());

  it('implement --wait prints the question within 2 s of it being asked, result on a terminal shows it with live progress, and the pasted answer ends both with the report', async (t) => {
    const repo = await brokenStaging();
    const waiting = startCli(['implement', '--feature', 'Add orders', '--scope', 'orders service', '--infra-root', path.join(repo, 'infra'), '--spec', SPEC, '--max-attempts', '1', '--wait', '--json'], env);

    const { match, at } = await waiting.stderr.waitFor(/⏸ orders service waits for a human — question q1 of (\S+), asked (\S+)\n[\s\S]*?Answer with:\n {4}(.+)\n/);
    const [, workflowId = '', askedAt = '', command = ''] = match;
    const status = JSON.parse(String((await cli(['status', workflowId, '--json'])).stdout));
    assert.equal(status.pending.askedAt, askedAt, 'the printed time is the question\'s own');
    const latency = at - Date.parse(askedAt);
    assert.ok(latency < PROMPT_MS, `printed ${latency} ms after it was asked (at most ${PROMPT_MS})`);
    t.diagnostic(`implement run: question printed ${latency} ms after askedAt`);

    const block = match[0];
    assert.match(block, /Validation still fails after 1 attempt\(s\) for "orders service"/);
    assert.match(block, /What failed:\n {4}- kustomize apps\/staging: /, 'what failed');
    assert.match(block, /What was tried:\n {4}- attempt 1: kustomize apps\/staging/, 'what was tried');
    assert.match(block, /Options:\n {4}retry +try one more fix[^\n]*\n {4}accept +keep the change[^\n]*\n {4}abort +undo every file/);
    assert.match(block, new RegExp(`Deadline: ${status.pending.deadline.replace(/\./g, '\\.')} \\(in 2[34]h\\d\\dm\\); then: abort`), 'the deadline and what happens then');
    assert.equal(command, `infra-implementor answer ${workflowId} --question q1 --action retry|accept|abort [--guidance TEXT]`);
    assert.equal(waiting.stdout.text(), '', 'stdout is kept for the report');

    // Another watcher, on a terminal, of a run already waiting: the question at once, below live rows.
    const terminal = startCliOnTerminal(['result', workflowId], env);
    await terminal.screen.waitFor(/⏸ orders service waits for a human — question q1/, 10_000);
    await terminal.screen.waitFor(/⏸ orders service +awaiting-human \(attempt 1\) — waiting for a human/, 10_000);
    assert.match(terminal.screen.text(), /\x1b\[\d+A\x1b\[J/, 'rows are redrawn in place');

    const answer = await cli(pasted(command, 'abort'));
    assert.equal(answer.exitCode, 0, String(answer.stderr));

    const done = await waiting.proc;
    assert.equal(done.exitCode, 1, 'aborted is not success');
    const report = JSON.parse(String(done.stdout));
    assert.equal(report.status, 'aborted', 'stdout is one JSON object: the report');
    assert.match(String(done.stderr), /^▶ orders service: question q1 answered: abort \(by \S+@\S+\)$/m, 'who answered what');
    assert.equal(await gitStatus(repo), '');

    const shown = await terminal.proc;
    assert.equal(shown.exitCode, 1);
    assert.match(String(shown.stdout), /✖ orders service +aborted/, 'the last frame says how the run ended');
    assert.match(String(shown.stdout), /aborted/i);
  });

  it('feature --wait prints a child\'s question within 2 s, with its scope and the command that answers it through the feature, then the feature\'s own question, then the report', async (t) => {
    const repo = await brokenStaging();
    const spec = specFile({
      feature: 'Orders in production, payments in staging',
      infraRoot: path.join(repo, 'infra'),
      options: { maxAttempts: 1 },
      scopes: [
        { scope: 'orders service', spec: { service: 'orders', image: 'ghcr.io/acme/orders:1.0.0', port: 8080, environments: ['production'] } },
        { scope: 'payments service', spec: { service: 'payments', image: 'ghcr.io/acme/payments:1.0.0', port: 9090, environments: ['staging'] } },
      ],
    });
    const waiting = startCli(['feature', '--spec', spec, '--wait'], env);
    const started = await waiting.stderr.waitFor(/^started (\S+) \(2 scopes/m);
    const featureId = started.match[1] ?? '';

    const { match, at } = await waiting.stderr.waitFor(/⏸ payments service waits for a human — question q1 of (\S+), asked (\S+)\n[\s\S]*?Answer with:\n {4}(.+)\n/);
    const [block, runId, askedAt = '', command = ''] = match;
    assert.equal(runId, featureId, 'answered through the feature');
    const latency = at - Date.parse(askedAt);
    assert.ok(latency < PROMPT_MS, `printed ${latency} ms after it was asked (at most ${PROMPT_MS})`);
    t.diagnostic(`feature, a child's question: printed ${latency} ms after askedAt`);
    assert.match(block, /What failed:\n {4}- kustomize apps\/staging: /);
    assert.equal(command, `infra-implementor answer ${featureId} --question q1 --scope "payments service" --action retry|accept|abort [--guidance TEXT]`);
    assert.doesNotMatch(waiting.stderr.text(), /orders service waits/, 'the scope that validates asks nothing');

    const answer = await cli(pasted(command, 'abort'));
    assert.equal(answer.exitCode, 0, String(answer.stderr));
    assert.match(String(answer.stdout), new RegExp(`forwarded: abort to ${featureId}--payments`));

    await waiting.stderr.waitFor(/▶ payments service: question q1 answered: abort \(by \S+@\S+\)\n/);

    // The repository's staging overlay was broken before: the merged tree fails, and the feature asks.
    const own = await waiting.stderr.waitFor(/⏸ \(feature\) waits for a human — question q1 of \S+, asked (\S+)\n {2}The merged tree fails validation[\s\S]*?Answer with:\n {4}(.+)\n/);
    const ownLatency = own.at - Date.parse(own.match[1] ?? '');
    assert.ok(ownLatency < PROMPT_MS, `the feature's own question printed ${ownLatency} ms after it was asked`);
    t.diagnostic(`feature, its own question: printed ${ownLatency} ms after askedAt`);
    assert.equal(own.match[2], `infra-implementor answer ${featureId} --question q1 --action retry|accept|abort [--guidance TEXT]`);
    const accept = await cli(pasted(own.match[2] ?? '', 'accept'));
    assert.equal(accept.exitCode, 0, String(accept.stderr));

    const done = await waiting.proc;
    assert.equal(done.exitCode, 1, 'a feature with an aborted scope is not a success');
    assert.match(String(done.stdout), /\*\*partial\*\*/, 'the report on stdout');
    assert.doesNotMatch(String(done.stdout), /waits for a human/, 'questions stay on stderr');
    assert.match(String(done.stderr), /^▶ \(feature\): question q1 answered: accept \(by \S+@\S+\)$/m);
    assert.equal(await gitStatus(repo), '', 'the checkout is untouched');
  });

  it('a question nobody answers: --wait says its deadline applied the default action, then prints the report', async () => {
    const repo = await brokenStaging();
    const waiting = startCli(['implement', '--feature', 'Add orders', '--scope', 'orders service', '--infra-root', path.join(repo, 'infra'), '--spec', SPEC, '--max-attempts', '1', '--human-deadline', '3s', '--wait'], env);
    await waiting.stderr.waitFor(/⏸ orders service waits for a human — question q1 [\s\S]*?Deadline: \S+ \(in [0-3]s\); then: abort\n/);
    const done = await waiting.proc;
    assert.equal(done.exitCode, 1);
    assert.match(String(done.stderr), /^▶ orders service: question q1 was not answered before its deadline: abort applied$/m);
    assert.match(String(done.stdout), /No answer before the deadline \(3s\): aborted and restored the repository/);
    assert.equal(await gitStatus(repo), '');
  });

  it('result of a run the server does not know exits 1 with one line naming it', async () => {
    const r = await cli(['result', 'no-such-run']);
    assert.equal(r.exitCode, 1);
    assert.deepEqual(String(r.stderr).trim().split('\n'), ['error: workflow not found for ID: no-such-run']);
  });
});
