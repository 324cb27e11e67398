// Sealing Secrets with the real sops and a real age key: what the repository's .sops.yaml says is
// encrypted before it is written (values ENC[…], a MAC, decryptable, REVIEW comments kept, no
// plaintext anywhere in the result), and what cannot be sealed is left as it was with a note.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execa } from 'execa';
import { parse } from 'yaml';
import { findSops, sanitizeSopsError, sealProposal, sealSecrets } from '../runtime/secrets';
import { clearValidationCache, validateRepository } from '../validation';
import type { Proposal } from '../core/implementer';
import type { ChangeSet, FileOperation } from '../core/schemas';

const PASSWORD = 'hunter2-Sup3rS3cret-9f1c';
const URL = `postgres://orders:${PASSWORD}@db:5432/orders`;
const API_KEY = 'sk-live-0123456789abcdef';

const SECRET = `# REVIEW: database credentials for production; the operator supplies the real values
apiVersion: v1
kind: Secret
metadata:
  name: db
  labels: { app: db, version: "1.0.0", component: database }
type: Opaque
stringData:
  DATABASE_URL: ${URL}
  PASSWORD: ${PASSWORD}
data:
  API_KEY: ${Buffer.from(API_KEY).toString('base64')}
`;

const CONFIGMAP = `apiVersion: v1
kind: ConfigMap
metadata:
  name: db-config # kept byte for byte
data:
  LOG_LEVEL: info
`;

const write = (p: string, content: string, phase: FileOperation['phase'] = 'config'): FileOperation => ({ path: p, action: 'write', content, phase });
const changeSet = (...operations: FileOperation[]): ChangeSet => ({ operations, assumptions: [], dependencies: [] });
const FLUX_RULES = (recipient: string) => `creation_rules:
  - path_regex: ^apps/production/.*\\.ya?ml$
    encrypted_regex: ^(data|stringData)$
    age: ${recipient}
`;

let tmp: string;
let sops: string;
let keyFile: string;
let recipient: string;

function repo(name: string, sopsYaml?: string): string {
  const root = path.join(tmp, name);
  mkdirSync(path.join(root, 'apps', 'base'), { recursive: true });
  mkdirSync(path.join(root, 'apps', 'production'), { recursive: true });
  mkdirSync(path.join(root, '.git'));
  if (sopsYaml !== undefined) writeFileSync(path.join(root, '.sops.yaml'), sopsYaml);
  writeFileSync(path.join(root, 'apps', 'base', 'kustomization.yaml'), 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n');
  writeFileSync(path.join(root, 'apps', 'production', 'kustomization.yaml'),
    'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../base, db-secret.yaml]\n');
  return root;
}

async function decrypt(file: string): Promise<Record<string, unknown>> {
  const r = await execa(sops, ['--decrypt', '--input-type', 'yaml', '--output-type', 'yaml', file], { env: { SOPS_AGE_KEY_FILE: keyFile } });
  return parse(String(r.stdout)) as Record<string, unknown>;
}

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'ii-secrets-'));
  const found = await findSops();
  assert.ok(found, 'sops is not installed: run scripts/setup.sh (go install github.com/getsops/sops/v3/cmd/sops@v3.13.3)');
  sops = found;
  // age-keygen beside sops (both from `go install`), else on PATH.
  keyFile = path.join(tmp, 'age.key');
  const besideSops = path.join(path.dirname(sops), 'age-keygen');
  const keygen = existsSync(besideSops) ? besideSops : 'age-keygen';
  await execa(keygen, ['-o', keyFile]);
  recipient = String((await execa(keygen, ['-y', keyFile])).stdout).trim();
  assert.match(recipient, /^age1/);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('sealSecrets with sops and an age key configured', () => {
  let root: string;
  let result: Awaited<ReturnType<typeof sealSecrets>>;
  let sealed: string;
  const file = 'apps/production/db-secret.yaml';

  before(async () => {
    root = repo('sealed', FLUX_RULES(recipient));
    result = await sealSecrets({ root, changeSet: changeSet(write(file, SECRET)) });
    sealed = result.changeSet.operations[0]?.content ?? '';
    writeFileSync(path.join(root, file), sealed);
  });

  it('replaces the content by its SOPS form: a MAC and every value ENC[AES256_GCM,…]', () => {
    assert.deepEqual(result.sealed, [file]);
    assert.deepEqual(result.notes, []);
    assert.match(sealed, /^sops:$/m);
    assert.match(sealed, /mac: ENC\[AES256_GCM,/);
    const o = parse(sealed.replace(/^#.*\n/gm, '')) as { stringData: Record<string, string>; data: Record<string, string>; kind: string; metadata: { name: string } };
    for (const v of [...Object.values(o.stringData), ...Object.values(o.data)]) assert.match(v, /^ENC\[AES256_GCM,data:[^,]+,iv:[^,]+,tag:[^,]+,type:str\]$/);
    assert.equal(o.kind, 'Secret', 'Kubernetes fields stay readable');
    assert.equal(o.metadata.name, 'db');
  });

  it('leaves no plaintext value anywhere in the result, notes included', () => {
    const all = JSON.stringify(result);
    for (const v of [PASSWORD, URL, API_KEY, Buffer.from(API_KEY).toString('base64')]) assert.equal(all.includes(v), false, 'a plaintext value leaked');
  });

  it('keeps the REVIEW comment, in clear, on top', () => {
    assert.match(sealed, /^# REVIEW: database credentials for production; the operator supplies the real values\n/);
  });

  it('sops --decrypt with the age key gives the values back', async () => {
    const o = await decrypt(path.join(root, file)) as { stringData: Record<string, string>; data: Record<string, string> };
    assert.deepEqual(o.stringData, { DATABASE_URL: URL, PASSWORD });
    assert.equal(Buffer.from(o.data.API_KEY ?? '', 'base64').toString(), API_KEY);
  });

  it('the engine\'s compliance does not flag plaintext-secret for it (it does for the plain original)', async () => {
    clearValidationCache();
    const report = await validateRepository({ root });
    assert.deepEqual(report.findings.filter((f) => f.check === 'plaintext-secret'), []);
    assert.ok(report.validations.some((v) => v.validator === 'kustomize' && v.target === 'apps/production' && v.status === 'pass'),
      JSON.stringify(report.validations.filter((v) => v.target === 'apps/production')));
    const plain = repo('plain-twin', FLUX_RULES(recipient));
    writeFileSync(path.join(plain, file), SECRET);
    clearValidationCache();
    const flagged = (await validateRepository({ root: plain })).findings.filter((f) => f.check === 'plaintext-secret');
    assert.deepEqual(flagged.map((f) => [f.severity, f.resource]), [['error', 'Secret/db']]);
  });

  it('seals only the Secret of a multi-document file, the other documents byte for byte', async () => {
    const mixed = `${CONFIGMAP}---\n${SECRET}`;
    const r = await sealSecrets({ root, changeSet: changeSet(write('apps/production/db.yaml', mixed)) });
    const out = r.changeSet.operations[0]?.content ?? '';
    assert.ok(out.startsWith(`${CONFIGMAP}---\n# REVIEW: database credentials`), out.slice(0, 300));
    assert.equal(out.includes(PASSWORD), false);
    assert.match(out, /mac: ENC\[/);
  });

  it('passes non-Secret files, deletions and already-encrypted Secrets untouched', async () => {
    const ops = [
      write('apps/production/db-config.yaml', CONFIGMAP),
      write('apps/production/deploy.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: db }\n', 'base'),
      { path: 'apps/production/old.yaml', action: 'delete', phase: 'config' } as FileOperation,
      write('apps/production/db-secret.yaml', sealed),
      write('apps/production/README.md', `password: ${PASSWORD}\n`),
    ];
    const r = await sealSecrets({ root, changeSet: { ...changeSet(...ops), assumptions: [{ text: 'kept' }] } });
    assert.deepEqual(r.changeSet, { ...changeSet(...ops), assumptions: [{ text: 'kept' }] });
    assert.deepEqual(r.sealed, []);
    assert.deepEqual(r.notes, []);
  });

  it('finds .sops.yaml above an infra root that is a folder of the git repository, with paths relative to it', async () => {
    const mono = path.join(tmp, 'mono');
    mkdirSync(path.join(mono, '.git'), { recursive: true });
    writeFileSync(path.join(mono, '.sops.yaml'), `creation_rules:\n  - path_regex: ^infra/apps/production/\n    encrypted_regex: ^(data|stringData)$\n    age: ${recipient}\n`);
    const infra = path.join(mono, 'infra');
    mkdirSync(infra);
    const r = await sealSecrets({ root: infra, changeSet: changeSet(write(file, SECRET)) });
    assert.deepEqual([r.sealed, r.notes], [[file], []]);
    const elsewhere = await sealSecrets({ root: infra, changeSet: changeSet(write('apps/staging/db-secret.yaml', SECRET)) });
    assert.match(elsewhere.notes[0] ?? '', /no creation rule in \.\.\/\.sops\.yaml matches infra\/apps\/staging\/db-secret\.yaml/);
  });

  it('widens a rule without encrypted_regex to data/stringData so that Kubernetes can still read the Secret', async () => {
    const wide = repo('wide', `creation_rules:\n  - age: ${recipient}\n`);
    const r = await sealSecrets({ root: wide, changeSet: changeSet(write(file, SECRET)) });
    const out = r.changeSet.operations[0]?.content ?? '';
    assert.deepEqual(r.sealed, [file]);
    assert.match(out, /^kind: Secret$/m);
    assert.match(out, /^# REVIEW: sealed with --encrypted-regex/m);
    assert.equal(out.includes(PASSWORD), false);
  });
});

describe('sealSecrets when something is missing leaves the op as it is and says why', () => {
  const file = 'apps/production/db-secret.yaml';
  const noteFree = (notes: string[]) => assert.equal(JSON.stringify(notes).includes(PASSWORD), false);

  it('no .sops.yaml in the repository', async () => {
    const root = repo('no-config');
    const cs = changeSet(write(file, SECRET));
    const r = await sealSecrets({ root, changeSet: cs });
    assert.deepEqual(r.changeSet, cs);
    assert.deepEqual(r.sealed, []);
    assert.equal(r.notes.length, 1);
    assert.match(r.notes[0] ?? '', /^apps\/production\/db-secret\.yaml: .*no \.sops\.yaml/);
    noteFree(r.notes);
  });

  it('no sops binary on PATH nor in GOPATH', async () => {
    const root = repo('no-sops', FLUX_RULES(recipient));
    const empty = path.join(tmp, 'empty-gopath');
    mkdirSync(empty, { recursive: true });
    const cs = changeSet(write(file, SECRET));
    const r = await sealSecrets({ root, changeSet: cs, env: { PATH: empty, HOME: empty, GOPATH: empty } });
    assert.deepEqual(r.changeSet, cs);
    assert.match(r.notes[0] ?? '', /sops binary is not installed/);
    const explicit = await sealSecrets({ root, changeSet: cs, sopsPath: path.join(empty, 'sops') });
    assert.deepEqual(explicit.changeSet, cs);
    assert.match(explicit.notes[0] ?? '', new RegExp(`sops binary is not installed \\(${path.join(empty, 'sops')}`));
    noteFree([...r.notes, ...explicit.notes]);
  });

  it('no creation rule of .sops.yaml matches the file', async () => {
    const root = repo('no-rule', FLUX_RULES(recipient));
    const cs = changeSet(write('apps/base/db-secret.yaml', SECRET));
    const r = await sealSecrets({ root, changeSet: cs });
    assert.deepEqual(r.changeSet, cs);
    assert.match(r.notes[0] ?? '', /no creation rule in \.sops\.yaml matches apps\/base\/db-secret\.yaml/);
    noteFree(r.notes);
  });

  it('a rule with no key sops can use (bad age recipient): sops fails, the error carries no value', async () => {
    const root = repo('bad-key', FLUX_RULES('age1notarealrecipient'));
    const cs = changeSet(write(file, SECRET));
    const r = await sealSecrets({ root, changeSet: cs });
    assert.deepEqual(r.changeSet, cs);
    assert.match(r.notes[0] ?? '', /left in plain text, sops failed: .*malformed recipient/);
    noteFree(r.notes);
  });
});

describe('sealProposal (what proposePhase / proposeFix call)', () => {
  const file = 'apps/production/db-secret.yaml';
  const usage = { inputTokens: 1, outputTokens: 2 } as unknown as Proposal['usage'];

  it('a Secret left in plain text becomes an assumption on its file and a sops-key dependency', async () => {
    const root = repo('proposal-plain');
    const p = await sealProposal(root, { changeSet: { ...changeSet(write(file, SECRET)), assumptions: [{ text: 'a' }] }, usage });
    assert.equal(p.usage, usage);
    assert.equal(p.changeSet.operations[0]?.content, SECRET);
    assert.deepEqual(p.changeSet.assumptions.map((a) => a.file), [undefined, file]);
    assert.match(p.changeSet.assumptions[1]?.text ?? '', /no \.sops\.yaml/);
    assert.deepEqual(p.changeSet.dependencies.map((d) => d.kind), ['sops-key']);
    assert.equal(JSON.stringify(p.changeSet.assumptions.concat(p.changeSet.dependencies as never[])).includes(PASSWORD), false);
  });

  it('a sealed Secret adds nothing to the report, and a proposal without Secrets is returned as it is', async () => {
    const root = repo('proposal-sealed', FLUX_RULES(recipient));
    const p = await sealProposal(root, { changeSet: changeSet(write(file, SECRET)) });
    assert.match(p.changeSet.operations[0]?.content ?? '', /mac: ENC\[/);
    assert.deepEqual([p.changeSet.assumptions, p.changeSet.dependencies], [[], []]);
    const plain = { changeSet: changeSet(write('apps/production/cm.yaml', CONFIGMAP)) };
    assert.equal(await sealProposal(root, plain), plain);
  });
});

describe('sanitizeSopsError', () => {
  it('blanks values and input lines that sops echoes, and keeps one short line', () => {
    const input = `stringData:\n  PASSWORD: ${PASSWORD}\n`;
    const out = sanitizeSopsError(`something\nError unmarshalling input yaml near "${PASSWORD}" and  PASSWORD: ${PASSWORD}\n`, input, [PASSWORD]);
    assert.equal(out.includes(PASSWORD), false);
    assert.match(out, /^Error unmarshalling input yaml near "\[REDACTED\]"/);
    assert.ok(sanitizeSopsError('x'.repeat(1000), '', []).length <= 301);
  });
});
