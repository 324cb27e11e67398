// The agent's tools through the real activity (agentTools) on a real repository: what each returns
// to the model, every mistake answered with an error that says what to do, nothing outside the
// repository reachable, no secret value shown or guessable, and a retried batch that repeats nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../activities';
import type { BatchResult } from '../core/agent';
import { saveConversation } from '../implementers/agent/conversation';
import { LIMITS } from '../implementers/agent/workspace-tools';
import { BlobStore } from '../runtime/blob-store';
import { findSops } from '../runtime/secrets';
import { agentRepo, PLANTED } from './helpers/agent-script';
import { git } from './helpers/repo';

type Call = [name: string, input: unknown] | [name: string, input: unknown, rawJson: string];

describe('the agent\'s tools, through the activity', () => {
  let stateDir: string;
  let infraRoot: string;
  let repo: string;
  let batches = 0;
  const acts = () => createActivities({ stateDir, implementers: {} });

  /** One turn's tool calls run by agentTools; the results the model would get, by call. */
  async function run(calls: Call[], key = `batch-${++batches}`): Promise<{ results: { text: string; error: boolean }[]; batch: BatchResult }> {
    const store = new BlobStore(stateDir);
    const raw: Record<string, string> = {};
    const content = calls.map(([name, input, json], i) => {
      if (json !== undefined) raw[`toolu_${i}`] = json;
      return { type: 'tool_use' as const, id: `toolu_${i}`, name, input: (json === undefined ? input : {}) as Record<string, unknown> };
    });
    const conversation = await saveConversation(store, { system: [], messages: [{ role: 'user', content: [{ type: 'text', text: 'go' }] }, { role: 'assistant', content }], raw });
    const batch = await new MockActivityEnvironment().run(acts().agentTools, { infraRoot, conversation, key, touched: [] }) as BatchResult;
    const stored = JSON.parse(await store.get(batch.conversation)) as { messages: { content: { type: string; content?: string; is_error?: boolean; tool_use_id?: string }[] }[] };
    const results = stored.messages.at(-1)?.content.map((b) => ({ text: b.content ?? '', error: b.is_error === true })) ?? [];
    return { results, batch };
  }
  const one = async (call: Call) => (await run([call])).results[0] as { text: string; error: boolean };

  before(async () => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'ii-tools-'));
    ({ repo, infraRoot } = await agentRepo());
  });
  after(() => { LIMITS.grepTimeoutMs = 10_000; });

  it('Glob lists matching paths sorted, inside a folder, and says when nothing matches or when it cut the list', async () => {
    const all = await one(['Glob', { pattern: '**/kustomization.yaml' }]);
    assert.deepEqual(all.text.split('\n'), [
      'apps/base/catalog/kustomization.yaml', 'apps/production/kustomization.yaml', 'apps/staging/kustomization.yaml', 'infrastructure/controllers/kustomization.yaml',
    ]);
    assert.equal((await one(['Glob', { pattern: '*.yaml', path: 'apps/base/catalog' }])).text, 'apps/base/catalog/db-secret.yaml\napps/base/catalog/deployment.yaml\napps/base/catalog/kustomization.yaml\napps/base/catalog/service.yaml');
    assert.match((await one(['Glob', { pattern: '**/*.tf' }])).text, /No files match \*\*\/\*\.tf/);
    const saved = LIMITS.globResults;
    LIMITS.globResults = 2;
    try {
      assert.match((await one(['Glob', { pattern: '**/*.yaml' }])).text, /\n… \d+ more files match: narrow the pattern or the path$/);
    } finally {
      LIMITS.globResults = saved;
    }
  });

  it('Grep answers path:line: text, filters by folder and glob, refuses a bad pattern, and stops one that backtracks for ever', async () => {
    const hits = await one(['Grep', { pattern: 'containerPort', glob: '**/*.yaml' }]);
    assert.equal(hits.text, 'apps/base/catalog/deployment.yaml:32:               containerPort: 8080');
    assert.equal((await one(['Grep', { pattern: 'replicas', path: 'apps/staging' }])).text, 'apps/staging/kustomization.yaml:12:         path: /spec/replicas');
    assert.match((await one(['Grep', { pattern: 'containerPort', path: 'apps/staging' }])).text, /^No line matches containerPort in 1 file\(s\)\.$/);
    const bad = await one(['Grep', { pattern: 'a[' }]);
    assert.equal(bad.error, true);
    assert.match(bad.text, /not a valid JavaScript regular expression/);
    writeFileSync(path.join(infraRoot, 'backtrack.txt'), `${'a'.repeat(40)}!\n`);
    LIMITS.grepTimeoutMs = 1000;
    const started = Date.now();
    const slow = await one(['Grep', { pattern: '^(a+)+$', path: 'backtrack.txt' }]);
    assert.equal(slow.error, true);
    assert.match(slow.text, /took longer than 1 s and was stopped/);
    assert.ok(Date.now() - started < 5000);
  });

  it('Read numbers lines, reads on from an offset, and says why it cannot read a folder, a missing, binary or oversized file', async () => {
    const head = await one(['Read', { file_path: 'apps/base/catalog/deployment.yaml', limit: 3 }]);
    assert.equal(head.text, '     1\tapiVersion: apps/v1\n     2\tkind: Deployment\n     3\tmetadata:\n… lines 1-3 of 55 shown: read on with offset 4');
    assert.equal((await one(['Read', { file_path: 'apps/base/catalog/deployment.yaml', offset: 52 }])).text, '    52\t            allowPrivilegeEscalation: false\n    53\t            readOnlyRootFilesystem: true\n    54\t            capabilities:\n    55\t              drop: [ALL]');
    for (const [file, says] of [['apps/base', /is a folder: use Glob/], ['apps/nothing.yaml', /does not exist; Glob finds files by name/]] as const) {
      const r = await one(['Read', { file_path: file }]);
      assert.ok(r.error && says.test(r.text), r.text);
    }
    writeFileSync(path.join(infraRoot, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1]));
    assert.match((await one(['Read', { file_path: 'logo.png' }])).text, /binary file/);
    writeFileSync(path.join(infraRoot, 'huge.yaml'), 'x: y\n'.repeat(300_000));
    assert.match((await one(['Read', { file_path: 'huge.yaml' }])).text, /over the 1048576-byte limit of the tools: use Grep/);
  });

  it('paths stay inside the repository: absolute, .., .git and a symlink out are refused with a reason, and the batch goes on', async () => {
    symlinkSync('/etc', path.join(infraRoot, 'etc-link'));
    const { results } = await run([
      ['Read', { file_path: '/etc/passwd' }], ['Read', { file_path: '../../etc/passwd' }], ['Read', { file_path: '.git/config' }],
      ['Read', { file_path: 'etc-link/passwd' }], ['Write', { file_path: 'etc-link/evil', content: 'x' }], ['Glob', { pattern: '*.yaml', path: 'apps/staging' }],
    ]);
    assert.deepEqual(results.map((r) => r.error), [true, true, true, true, true, false]);
    assert.match(results[0]?.text ?? '', /must be relative to the infra root, not absolute; paths are relative to the repository root/);
    assert.match(results[1]?.text ?? '', /must not contain "\.\." segments/);
    assert.match(results[2]?.text ?? '', /must not point into \.git/);
    assert.match(results[3]?.text ?? '', /symlink that leaves the infra root/);
    assert.ok(!existsSync('/etc/evil'));
    assert.equal(results[5]?.text, 'apps/staging/kustomization.yaml');
  });

  it('Validate before any change says there is nothing of the run\'s to judge', async () => {
    assert.equal((await one(['Validate', {}])).text, 'Nothing to validate yet: this run has not changed any file.');
  });

  it('an unknown tool, input that is not JSON and a missing field are errors that say what was wrong', async () => {
    const { results } = await run([['Bash', { command: 'ls' }], ['Read', {}, '{"file_path": "apps'], ['Write', { file_path: 'x.yaml' }]]);
    assert.match(results[0]?.text ?? '', /there is no tool named "Bash": use one of Glob, Grep, Read, Write, Edit, Validate, AskUserQuestion, Finish/);
    assert.match(results[1]?.text ?? '', /the input of Read is not valid JSON/);
    assert.match(results[2]?.text ?? '', /the input of Write was rejected: content: /);
    assert.ok(results.every((r) => r.error));
  });

  it('a Secret reads with its keys and without its values, which no Grep can find and no Edit can probe or overwrite', async () => {
    const secret = 'apps/base/catalog/db-secret.yaml';
    const shown = await one(['Read', { file_path: secret }]);
    assert.match(shown.text, /password: "<redacted: 23 characters>"/);
    for (const pattern of [PLANTED.password, 'planted-Pa55', 'password: p', 'Pa55word']) {
      assert.match((await one(['Grep', { pattern }])).text, /^No line matches/, pattern);
    }
    // Guessing a value through Edit says nothing about it: the text is not found in what the model sees.
    const probe = await one(['Edit', { file_path: secret, old_string: `password: ${PLANTED.password}`, new_string: 'password: x' }]);
    assert.match(probe.text, /old_string was not found/);
    const over = await one(['Edit', { file_path: secret, old_string: 'password: "<redacted: 23 characters>"', new_string: 'password: "<redacted: 23 characters>"\n  extra: x' }]);
    assert.match(over.text, /placeholder/);
    const around = await one(['Edit', { file_path: secret, old_string: 'name: catalog-db', new_string: 'name: catalog-db\n  labels: {app.kubernetes.io/name: catalog}' }]);
    assert.equal(around.error, false, around.text);
    assert.match(readFileSync(path.join(infraRoot, secret), 'utf8'), new RegExp(`labels: \\{app.kubernetes.io/name: catalog\\}\\ntype: Opaque\\nstringData:\\n  password: ${PLANTED.password}`), 'the value is kept');
    const rewrite = await one(['Write', { file_path: secret, content: shown.text.replace(/^ *\d+\t/gm, '') }]);
    assert.match(rewrite.text, /would replace a hidden secret value with the placeholder/);
  });

  it('Edit needs old_string once (or replace_all), Write says what it did, and a retried batch applies nothing twice', async () => {
    const file = 'apps/staging/kustomization.yaml';
    const twice = await one(['Write', { file_path: 'notes.txt', content: 'a\nb\na\n' }]);
    assert.equal(twice.text, 'Created notes.txt (3 lines).');
    assert.match((await one(['Edit', { file_path: 'notes.txt', old_string: 'a', new_string: 'c' }])).text, /occurs 2 times in notes\.txt: give more surrounding text so it matches once, or set replace_all/);
    assert.equal((await one(['Edit', { file_path: 'notes.txt', old_string: 'a', new_string: 'c', replace_all: true }])).text, 'Edited notes.txt: 2 replacements.');
    assert.equal(readFileSync(path.join(infraRoot, 'notes.txt'), 'utf8'), 'c\nb\nc\n');
    const edit: Call = ['Edit', { file_path: file, old_string: '  - ../base/catalog\n', new_string: '  - ../base/catalog\n  - ../base/orders\n' }];
    const first = await run([edit], 'retried-batch');
    const again = await run([edit], 'retried-batch');
    assert.deepEqual(again.batch, first.batch, 'the recorded batch, not a second run');
    assert.equal(readFileSync(path.join(infraRoot, file), 'utf8').match(/base\/orders/g)?.length, 1);
    assert.deepEqual(first.batch.written.map((w) => [w.path, w.action, typeof w.before === 'object' && w.before !== null && 'ref' in w.before]), [[file, 'modified', true]], 'the journal keeps what was there by reference');
  });

  it('a Secret the agent writes with a value is sealed with the repository\'s sops rules before it reaches the disk', async () => {
    const sops = await findSops();
    assert.ok(sops, 'sops is installed by scripts/setup.sh');
    const keyFile = path.join(repo, '..', `${path.basename(repo)}-age.key`);
    const keygen = existsSync(path.join(path.dirname(sops), 'age-keygen')) ? path.join(path.dirname(sops), 'age-keygen') : 'age-keygen';
    await execa(keygen, ['-o', keyFile]);
    const recipient = /public key: (age1\w+)/.exec(readFileSync(keyFile, 'utf8'))?.[1];
    writeFileSync(path.join(infraRoot, '.sops.yaml'), `creation_rules:\n  - path_regex: apps/production/.*\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: ${recipient}\n`);
    await git(repo, 'add', '-A');
    const value = 'agent-written-value-51c0';
    const { batch } = await run([['Write', { file_path: 'apps/production/api-key.yaml', content: `apiVersion: v1\nkind: Secret\nmetadata:\n  name: api-key\nstringData:\n  KEY: ${value}\n` }]]);
    const onDisk = readFileSync(path.join(infraRoot, 'apps/production/api-key.yaml'), 'utf8');
    assert.ok(!onDisk.includes(value));
    assert.match(onDisk, /KEY: ENC\[AES256_GCM,/);
    assert.equal(batch.written[0]?.action, 'created');
  });
});
