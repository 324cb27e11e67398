// A whole run that writes a production Secret in a SOPS-ready repository: the file on disk is
// encrypted, and the plaintext value is nowhere in the workflow history.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { findSops, sealSecrets } from '../runtime/secrets';
import { ImplementorInput } from '../core/schemas';
import { IMPLEMENTOR_WORKFLOW } from '../workflows/messages';
import { scriptedImplementer, write } from './helpers/implementers';
import { EXAMPLES, git, gitCopy } from './helpers/repo';
import { startTestServer, type TestServer } from './helpers/temporal';

const VALUE = 'pa55-w0rd-never-in-history-7d1e';

describe('secrets through a whole run', () => {
  let server: TestServer;
  before(async () => { server = await startTestServer(); });
  after(async () => { await server?.stop(); });

  it('a production Secret is written SOPS-encrypted and its value never reaches history', async () => {
    const sops = await findSops();
    assert.ok(sops, 'sops is installed by scripts/setup.sh');
    const repo = await gitCopy(EXAMPLES);
    const infra = path.join(repo, 'infra');
    const keyFile = path.join(repo, '..', `${path.basename(repo)}-age.key`);
    const keygen = existsSync(path.join(path.dirname(sops), 'age-keygen')) ? path.join(path.dirname(sops), 'age-keygen') : 'age-keygen';
    await execa(keygen, ['-o', keyFile]);
    const recipient = /public key: (age1\w+)/.exec(readFileSync(keyFile, 'utf8'))?.[1];
    assert.ok(recipient);
    writeFileSync(path.join(infra, '.sops.yaml'), `creation_rules:\n  - path_regex: apps/production/.*\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: ${recipient}\n`);
    await git(repo, 'add', '-A');
    await git(repo, '-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-qm', 'sops');

    const secret = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: orders-db\n  labels: { app.kubernetes.io/name: orders, app.kubernetes.io/version: "1", app.kubernetes.io/component: backend }\nstringData:\n  PASSWORD: ${VALUE}\n`;
    const impl = scriptedImplementer({ phases: { config: write('apps/production/orders-db.yaml', secret) } });
    const { worker, taskQueue } = await server.worker({ implementers: { scripted: () => impl } });
    const input = ImplementorInput.parse({ featureDescription: 'db secret', scope: 'secret', infraRoot: infra, implementer: 'scripted' });
    const handle = await server.env.client.workflow.start(IMPLEMENTOR_WORKFLOW, { taskQueue, workflowId: `sops-${Date.now()}`, args: [input] });
    const report = await worker.runUntil(handle.result());
    assert.equal(report.status, 'succeeded', report.summary);

    const onDisk = readFileSync(path.join(infra, 'apps/production/orders-db.yaml'), 'utf8');
    assert.ok(!onDisk.includes(VALUE), 'the file on disk is encrypted');
    assert.match(onDisk, /PASSWORD: ENC\[AES256_GCM,/);
    assert.match(onDisk, /mac: ENC\[/);
    const decrypted = await execa(sops, ['--decrypt', path.join(infra, 'apps/production/orders-db.yaml')], { env: { SOPS_AGE_KEY_FILE: keyFile } });
    assert.match(String(decrypted.stdout), new RegExp(VALUE));

    const history = await handle.fetchHistory();
    const texts: string[] = [];
    const walk = (v: unknown): void => {
      if (!v || typeof v !== 'object') return;
      if (v instanceof Uint8Array) return void texts.push(Buffer.from(v).toString('latin1'));
      for (const x of Object.values(v)) walk(x);
    };
    walk(history);
    const raw = texts.join('\n');
    assert.ok(raw.includes('ENC[AES256_GCM'), 'the history carries the ciphertext (payloads are readable here)');
    assert.ok(!raw.includes(VALUE), 'the plaintext value is not in history');
  });

  it('a template whose values are all <placeholders> is not sealed and raises no note', async () => {
    const repo = await gitCopy(EXAMPLES);
    const template = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: t\nstringData:\n  A: <set A and encrypt with sops>\n';
    const op = { path: 'apps/base/t.template.yaml', action: 'write' as const, content: template, phase: 'config' as const };
    const result = await sealSecrets({ root: path.join(repo, 'infra'), changeSet: { operations: [op], assumptions: [], dependencies: [] } });
    assert.deepEqual(result.changeSet.operations, [op]);
    assert.deepEqual(result.notes, []);
  });
});
