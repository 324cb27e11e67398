// The validation engine on fixture repositories, with the real tools (kubectl's kustomize, helm):
// strict offline schemas, broken overlays and charts, Flux paths and sources, SOPS, severities by
// environment, suppression, and incremental runs that rebuild exactly the affected roots.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { clearValidationCache, validateRepository, type ValidationReport } from '../validation';
import type { ValidationResult } from '../core/schemas';
import { findCluster } from '../validation/kubectl-validator';
import { toolbox } from '../validation/tools';
import { inValidationQueue, validationQueue } from '../validation/pool';

const FIXTURES = path.join(import.meta.dirname, 'fixtures', 'validation');
const REPO = path.join(FIXTURES, 'repo');

const results = (r: ValidationReport, validator: string, target: string): ValidationResult[] =>
  r.validations.filter((v) => v.validator === validator && v.target === target);
const one = (r: ValidationReport, validator: string, target: string, status?: string): ValidationResult => {
  const found = results(r, validator, target).filter((v) => !status || v.status === status);
  assert.equal(found.length >= 1, true, `no ${status ?? ''} ${validator} result for ${target}: ${JSON.stringify(r.validations.filter((v) => v.target === target))}`);
  return found[0] as ValidationResult;
};

describe('schema library', () => {
  it('kubernetes-models alone does not reject unknown fields (why unknown-fields.ts exists)', () => {
    const base = {
      metadata: { name: 'x' },
      spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
    };
    const typo = structuredClone(base);
    Object.assign(typo.spec.template.spec.containers[0] as object, { imagePullPolicyy: 'Always' });
    assert.doesNotThrow(() => new Deployment(typo).validate());
    const wrongType = structuredClone(base);
    Object.assign(wrongType.spec, { replicas: 'three' });
    assert.throws(() => new Deployment(wrongType).validate(), /must be integer/);
  });
});

describe('schema validator', () => {
  let r: ValidationReport;
  before(async () => {
    r = await validateRepository({ root: path.join(FIXTURES, 'schema') });
  });

  it('passes a valid document', () => {
    assert.equal(one(r, 'schema', 'valid').status, 'pass');
  });

  it('rejects an unknown field, like kubeconform -strict, at file:line', () => {
    const v = one(r, 'schema', 'extra-property');
    assert.equal(v.status, 'fail');
    assert.match(v.message, /\/spec\/template\/spec\/containers\/0\/imagePullPolicyy is not a field of Deployment/);
    assert.equal(v.file, 'extra-property/deployment.yaml');
    const lines = readFileSync(path.join(FIXTURES, 'schema', 'extra-property', 'deployment.yaml'), 'utf8').split('\n');
    assert.match(lines[(v.line ?? 0) - 1] ?? '', /^\s+imagePullPolicyy:/, 'the line of the unknown field itself');
    assert.equal(v.column, (lines[(v.line ?? 0) - 1] ?? '').indexOf('imagePullPolicyy') + 1);
  });

  it('takes the API fields the compiled schemas leave out (PriorityClass.description) as known', () => {
    assert.equal(one(r, 'schema', 'omitted-field').status, 'pass');
  });

  it('rejects a wrong type and a missing required field', () => {
    assert.match(one(r, 'schema', 'wrong-type', 'fail').message, /\/spec\/replicas: "three" must be integer/);
    assert.match(one(r, 'schema', 'missing-required', 'fail').message, /containers\/0 must have required property name/);
  });

  it('validates Flux CRDs strictly: a misspelt sourceRef is unknown and the real one missing', () => {
    const msg = one(r, 'schema', 'flux-typo', 'fail').message;
    assert.match(msg, /\/spec\/sourceRefs is not a field of Kustomization/);
    assert.match(msg, /must have required property sourceRef/);
  });

  it('takes base64 broken over lines, and any JSON as a JSON6902 value; still rejects what is not base64', () => {
    assert.equal(one(r, 'schema', 'wrapped-base64').status, 'pass');
    assert.equal(one(r, 'schema', 'json6902-value').status, 'pass');
    assert.match(one(r, 'schema', 'bad-base64', 'fail').message, /\/data\/cert: "not base64!" must match format "byte"/);
  });

  it('reports an unknown kind as skipped, never as passed', () => {
    const all = results(r, 'schema', 'unknown-kind');
    assert.deepEqual(all.map((v) => v.status), ['skipped']);
    assert.match(all[0]?.message ?? '', /widgets\.example\.com\/v1 Widget/);
  });
});

describe('validation of a GitOps repository', () => {
  let r: ValidationReport;
  before(async () => {
    clearValidationCache();
    r = await validateRepository({ root: REPO });
  });

  it('fails the broken overlay with the tool\'s error and reports kustomize-build-failed', () => {
    assert.match(one(r, 'kustomize', 'apps/broken', 'fail').message, /missing-service\.yaml: no such file or directory/);
    assert.equal(r.findings.filter((f) => f.check === 'kustomize-build-failed').map((f) => f.target).join(), 'apps/broken');
    assert.equal(one(r, 'kustomize', 'apps/production').status, 'pass');
    assert.equal(one(r, 'schema', 'apps/production').status, 'pass');
  });

  it('lints and renders the good chart with each values file, and fails the broken one', () => {
    for (const t of ['charts/good', 'charts/good/values-prod.yaml']) {
      assert.deepEqual(results(r, 'helm', t).map((v) => v.status), ['pass', 'pass'], t);
    }
    assert.match(one(r, 'helm', 'charts/bad', 'fail').message, /parse error at \(bad\/templates\/configmap\.yaml:6\)/);
    const f = r.findings.find((x) => x.target === 'charts/good' && x.check === 'run-as-non-root');
    assert.equal(f?.file, 'charts/good/templates/deployment.yaml');
    assert.equal(f?.line, 2);
  });

  it('fails a Flux Kustomization whose path is missing and objects whose source is undefined', () => {
    assert.match(one(r, 'flux', 'clusters/production/missing-path.yaml', 'fail').message, /"\.\/apps\/ghost" does not exist/);
    const sources = results(r, 'flux', 'clusters/production/missing-source.yaml').map((v) => v.message).join('\n');
    assert.match(sources, /chart source HelmRepository\/bitnami is not defined/);
    assert.match(sources, /sourceRef GitRepository\/not-defined is not defined/);
    assert.match(one(r, 'flux', 'clusters/production/sync.yaml', 'pass').message, /apps\/production builds/);
    const gitops = r.findings.filter((f) => f.check === 'gitops-path-missing').map((f) => f.resource).sort();
    assert.deepEqual(gitops, ['HelmRelease/redis', 'Kustomization/ghost']);
  });

  it('flags the plaintext Secret (error in production, warning in staging) and not its SOPS twin', () => {
    const secrets = r.findings.filter((f) => f.check === 'plaintext-secret').map((f) => `${f.target} ${f.resource} ${f.severity} ${f.file}:${f.line}`);
    assert.deepEqual(secrets.sort(), [
      'apps/production Secret/db-plain error apps/production/secrets.yaml:1',
      'apps/staging Secret/db-plain warning apps/staging/secrets.yaml:1',
    ]);
  });

  it('honours the suppression annotation, keeping the finding with its reason', () => {
    const latest = r.findings.filter((f) => f.check === 'image-latest-or-untagged');
    assert.equal(latest.length, 1, 'one finding for the base both overlays render');
    assert.deepEqual(latest[0]?.targets, ['apps/production', 'apps/staging']);
    for (const f of latest) assert.equal(f.suppressed, 'pinned by Flux image automation');
  });

  it('reports YAML errors at file:line:column', () => {
    const v = one(r, 'yaml', 'notes/broken.yaml', 'fail');
    assert.equal(v.message, 'notes/broken.yaml:3:1: Map keys must be unique');
  });

  it('skips a Jinja template of an Ansible role, naming the role, instead of failing it', () => {
    const v = one(r, 'yaml', 'notes/ansible/roles/metallb/templates/ipaddresspool.yaml', 'skipped');
    assert.match(v.message, /Jinja template of the Ansible role notes\/ansible\/roles\/metallb/);
    assert.equal(one(r, 'yaml', 'notes/ansible/roles/metallb/tasks/main.yml', 'pass').status, 'pass');
  });

  it('skips the server-side dry run when no cluster is reachable, saying why', () => {
    const v = one(r, 'kubectl', '.');
    assert.equal(v.status, 'skipped');
    assert.match(v.message, /no cluster context|not reachable/);
  });

  it('speaks in paths relative to the root', () => {
    const text = JSON.stringify(r);
    assert.ok(!text.includes(REPO), 'no absolute path leaks into results');
    assert.ok(!text.includes(os.tmpdir()));
  });

  it('takes the production pattern from the caller', async () => {
    const flipped = await validateRepository({ root: REPO, productionPattern: /(^|\/)staging(\/|$)/ });
    const sev = (t: string) => flipped.findings.find((f) => f.check === 'plaintext-secret' && f.target === t)?.severity;
    assert.equal(sev('apps/staging'), 'error');
    assert.equal(sev('apps/production'), 'warning');
  });

  it('stops when its signal is aborted', async () => {
    await assert.rejects(validateRepository({ root: REPO, signal: AbortSignal.abort() }), /abort/i);
  });
});

describe('incremental validation and the content-hash cache', () => {
  let dir: string;
  const builds: string[] = [];
  const run = (changedFiles?: string[]) => {
    builds.length = 0;
    return validateRepository({ root: dir, onBuild: (t) => builds.push(t), ...(changedFiles ? { changedFiles } : {}) });
  };
  const edit = (file: string, from: string, to: string) => {
    const p = path.join(dir, file);
    writeFileSync(p, readFileSync(p, 'utf8').replace(from, to));
  };

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'validation-incremental-'));
    cpSync(REPO, dir, { recursive: true });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => clearValidationCache());

  it('a full run builds every root and chart rendering once; a second run is served from the cache', async () => {
    await run();
    assert.deepEqual([...builds].sort(), ['apps/broken', 'apps/production', 'apps/staging', 'charts/bad', 'charts/good', 'charts/good/values-prod.yaml']);
    await run();
    assert.deepEqual(builds, []);
  });

  it('a change to a base rebuilds exactly the overlays that include it', async () => {
    await run();
    edit('apps/base/api/service.yaml', 'port: 80', 'port: 8081');
    const r = await run(['apps/base/api/service.yaml']);
    assert.deepEqual([...builds].sort(), ['apps/production', 'apps/staging']);
    const targets = new Set(r.validations.filter((v) => v.validator === 'kustomize').map((v) => v.target));
    assert.deepEqual([...targets].sort(), ['apps/production', 'apps/staging']);
  });

  it('a change to a base included by the broken overlay rebuilds it too; a chart change rebuilds only its renderings', async () => {
    await run();
    edit('apps/base/web/deployment.yaml', 'cpu: 100m', 'cpu: 150m');
    await run(['apps/base/web/deployment.yaml']);
    assert.deepEqual([...builds].sort(), ['apps/broken', 'apps/production', 'apps/staging']);
    edit('charts/good/values-prod.yaml', 'replicas: 3', 'replicas: 4');
    await run(['charts/good/values-prod.yaml']);
    assert.deepEqual([...builds].sort(), ['charts/good', 'charts/good/values-prod.yaml']);
  });

  it('an unchanged input after an edit and its revert hits the cache; a Flux file change rebuilds nothing', async () => {
    await run();
    edit('apps/staging/replicas.yaml', 'replicas: 1', 'replicas: 2');
    await run(['apps/staging/replicas.yaml']);
    assert.deepEqual(builds, ['apps/staging']);
    edit('apps/staging/replicas.yaml', 'replicas: 2', 'replicas: 1');
    await run(['apps/staging/replicas.yaml']);
    assert.deepEqual(builds, [], 'the original content is still cached');
    const r = await run(['clusters/production/missing-path.yaml']);
    assert.deepEqual(builds, []);
    assert.equal(one(r, 'flux', 'clusters/production/missing-path.yaml').status, 'fail');
  });
});

describe('the cluster probe behind the kubectl dry run', () => {
  const saved = process.env.KUBECONFIG;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ii-kubeconfig-'));
  after(() => {
    if (saved === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('is shared by concurrent validations, and asked again when the kubeconfig changes', async () => {
    const tools = await toolbox();
    const config = path.join(dir, 'config');
    process.env.KUBECONFIG = config; // not there yet: no context
    const first = findCluster(tools);
    assert.equal(findCluster(tools), first, 'a second validation at the same time reuses the probe');
    assert.deepEqual(await first, { reachable: false, reason: 'no cluster context is configured (kubectl config current-context)' });

    // A context appears, on a port nothing listens on: the next validation probes again and says so.
    writeFileSync(config, [
      'apiVersion: v1', 'kind: Config', 'current-context: nowhere',
      'clusters: [{name: nowhere, cluster: {server: "https://127.0.0.1:1"}}]',
      'contexts: [{name: nowhere, context: {cluster: nowhere, user: nobody}}]',
      'users: [{name: nobody, user: {}}]', '',
    ].join('\n'));
    const second = findCluster(tools);
    assert.notEqual(second, first);
    assert.deepEqual(await second, { reachable: false, reason: 'cluster context "nowhere" is not reachable' });
  });
});

describe('the worker-wide validation queue', () => {
  it('runs a few validations at once; the others wait, heartbeating, and a cancelled one leaves without running', async () => {
    const slots = validationQueue.concurrency;
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let running = 0;
    let most = 0;
    const busy = Array.from({ length: slots }, () => inValidationQueue(async () => {
      most = Math.max(most, ++running);
      await gate;
      running--;
    }));
    let beats = 0;
    let ran = false;
    const controller = new AbortController();
    const waiting = inValidationQueue(async () => { ran = true; }, { signal: controller.signal, onWait: () => beats++, waitBeatMs: 20 });
    const queued = inValidationQueue(async () => 'done');
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(most, slots, `${slots} run at once`);
    assert.ok(beats >= 2, `a waiting validation heartbeats (${beats})`);
    controller.abort(new Error('cancelled by the workflow'));
    await assert.rejects(waiting, /cancelled by the workflow/);
    release();
    await Promise.all(busy);
    assert.equal(await queued, 'done');
    assert.equal(ran, false, 'the cancelled validation never ran');
    const after = beats;
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(beats, after, 'no heartbeat once it left the queue');
  });
});
