// With payload encryption on, the watcher still reads a child's question: the progress signal in the
// feature's history is ciphertext, and the CLI decodes it with the codec of its data converter.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { CODEC_KEYS_ENV, ENCODING } from '../core/payload-codec';
import { childProgressSignal } from '../workflows/messages';
import { shellWords, startCli, startCliServer, type CliServer } from './helpers/cli-process';
import { brokenStaging, specFile } from './helpers/repo';

describe('a waiting run speaks through an encrypted history', () => {
  let srv: CliServer;
  const saved = process.env[CODEC_KEYS_ENV];
  before(async () => {
    // The workers read the keys from the environment, as in production; the CLI gets the same.
    process.env[CODEC_KEYS_ENV] = `k1:${randomBytes(32).toString('base64')}`;
    srv = await startCliServer();
    srv.env[CODEC_KEYS_ENV] = process.env[CODEC_KEYS_ENV];
  });
  after(async () => {
    await srv?.stop();
    if (saved === undefined) delete process.env[CODEC_KEYS_ENV];
    else process.env[CODEC_KEYS_ENV] = saved;
  });

  it('feature --wait decodes the child\'s encrypted progress signal and prints its question', async () => {
    const repo = await brokenStaging();
    const spec = specFile({
      feature: 'Payments in staging',
      infraRoot: path.join(repo, 'infra'),
      options: { maxAttempts: 1 },
      scopes: [{ scope: 'payments service', spec: { service: 'payments', image: 'ghcr.io/acme/payments:1.0.0', port: 9090 } }],
    });
    const waiting = startCli(['feature', '--spec', spec, '--wait'], srv.env);
    const { match } = await waiting.stderr.waitFor(/⏸ payments service waits for a human — question q1 of (\S+), asked[\s\S]*?What failed:\n {4}- kustomize apps\/staging[\s\S]*?Answer with:\n {4}(.+)\n/);
    const [, featureId = '', command = ''] = match;

    // Without the key, the signal that carried the question is unreadable.
    const events = (await srv.server.env.client.workflow.getHandle(featureId).fetchHistory()).events ?? [];
    const asked = events.map((e) => e.workflowExecutionSignaledEventAttributes).filter((a) => a?.signalName === childProgressSignal.name);
    assert.ok(asked.length > 0, 'the child reported its progress');
    for (const a of asked) assert.equal(Buffer.from(a?.input?.payloads?.[0]?.metadata?.encoding ?? []).toString(), ENCODING);

    const words = shellWords(command.replace(' [--guidance TEXT]', '').replace(/--action \S+/, '--action abort'));
    const answer = await srv.cli(words.slice(1));
    assert.equal(answer.exitCode, 0, String(answer.stderr));
    const done = await waiting.proc;
    assert.equal(done.exitCode, 1, 'no scope landed');
    assert.match(String(done.stdout), /No scope could be merged/);
    assert.doesNotMatch(String(done.stderr), /warning:/, 'every event was read');
  });
});
