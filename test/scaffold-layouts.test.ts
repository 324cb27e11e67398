// The scaffold on real repository layouts (trimmed copies under test/fixtures/real): services that
// are HelmReleases of a shared chart, services that each have a chart of their own, exemplars whose
// probes run their own tooling; replicas honoured; a new environment refused unless allowed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { parse } from 'yaml';
import { layoutFor } from '../core/scaffold/plan';
import { ServiceSpec } from '../core/schemas';
import { validateRepository } from '../validation';
import { gitCopy, PROJECT_ROOT } from './helpers/repo';
import { scaffoldRun } from './helpers/scaffold-run';
import { surveyPatterns } from '../runtime/patterns';

const REAL = path.join(import.meta.dirname, 'fixtures', 'real');
const spec = (extra: Record<string, unknown> = {}) => ServiceSpec.parse({
  service: 'orders', image: 'ghcr.io/acme/orders:1.4.2', port: 8080, replicas: { staging: 1, production: 3 }, config: { LOG_LEVEL: 'info' }, ...extra,
});
const read = (root: string, f: string) => readFileSync(path.join(root, f), 'utf8');
const kustomize = (dir: string) => execa('kubectl', ['kustomize', '--load-restrictor=LoadRestrictionsNone', dir], { reject: false });

/** Error findings and failed validations of the files a run wrote: what `check` would hold against it. */
async function ownProblems(root: string, written: string[]) {
  const r = await validateRepository({ root });
  return {
    errors: r.findings.filter((f) => f.severity === 'error' && !f.suppressed && f.file && written.includes(f.file)),
    failed: r.validations.filter((v) => v.status === 'fail'),
  };
}

describe('scaffold on a repository of HelmReleases of a shared chart (home-ops)', () => {
  it('writes a HelmRelease of the shared chart beside its siblings, which check and kubectl kustomize accept', async () => {
    const root = await gitCopy(path.join(REAL, 'home-ops'));
    const { written, changeSets } = await scaffoldRun(root, spec({ ingress: { host: 'orders.example.com' }, sensitive: true }));
    const dir = 'kubernetes/apps/default/orders';
    for (const f of ['ks.yaml', 'app/kustomization.yaml', 'app/helmrelease.yaml', 'app/ocirepository.yaml', 'app/networkpolicy.yaml']) {
      assert.ok(written.includes(`${dir}/${f}`), `${dir}/${f} written (got ${written.join(', ')})`);
    }
    const release = parse(read(root, `${dir}/app/helmrelease.yaml`)) as { kind: string; spec: { chartRef: unknown; values: { controllers: Record<string, { replicas: number; containers: { app: { image: unknown; env: unknown } } }>; service: unknown; route: { app: { hostnames: string[] } } } } };
    assert.equal(release.kind, 'HelmRelease');
    assert.deepEqual(release.spec.chartRef, { kind: 'OCIRepository', name: 'orders' });
    const controller = Object.values(release.spec.values.controllers)[0];
    assert.deepEqual(controller?.containers.app.image, { repository: 'ghcr.io/acme/orders', tag: '1.4.2' });
    assert.deepEqual(controller?.containers.app.env, { LOG_LEVEL: 'info' });
    assert.equal(controller?.replicas, 3, 'one release for every environment: the highest count, with an assumption');
    assert.deepEqual(release.spec.values.route.app.hostnames, ['orders.example.com']);
    assert.match(read(root, 'kubernetes/apps/default/kustomization.yaml'), /- \.\/orders\/ks\.yaml/);
    const assumptions = changeSets.flatMap((c) => c.assumptions.map((a) => a.text)).join('\n');
    assert.match(assumptions, /HelmRelease of the chart its siblings share \(oci:\/\/ghcr\.io\/bjw-s-labs\/helm\/app-template\)/);
    assert.match(assumptions, /replicas .* differ per environment/);
    for (const f of written) assert.doesNotMatch(read(root, f), /^\s*[\w-]+:\s*[&*][\w-]+/m, `${f} has no YAML anchors or aliases`);
    assert.equal((await kustomize(path.join(root, dir, 'app'))).exitCode, 0);
    assert.equal((await kustomize(path.join(root, 'kubernetes/apps/default'))).exitCode, 0);
    const own = await ownProblems(root, written);
    assert.deepEqual(own.errors, []);
    assert.deepEqual(own.failed, []);
  });
});

describe('scaffold on a repository whose services each have a chart of their own (flux2-kustomize-helm-example)', () => {
  it('mirrors folder, namespace and tenant labels with plain manifests, says no chart exists, honours replicas', async () => {
    const root = await gitCopy(path.join(REAL, 'flux2-kustomize-helm-example'));
    const { written, changeSets } = await scaffoldRun(root, spec());
    assert.ok(written.includes('apps/base/orders/deployment.yaml'));
    assert.match(read(root, 'apps/base/orders/namespace.yaml'), /toolkit\.fluxcd\.io\/tenant: dev-team/);
    assert.match(read(root, 'apps/base/orders/kustomization.yaml'), /^namespace: orders$/m);
    assert.match(changeSets.flatMap((c) => c.assumptions.map((a) => a.text)).join('\n'), /no chart exists for orders/);
    for (const [env, n] of [['staging', 1], ['production', 3]] as const) {
      const k = parse(read(root, `apps/${env}/kustomization.yaml`)) as { resources: string[]; replicas: { name: string; count: number }[]; patches: unknown[] };
      assert.ok(k.resources.includes('../base/orders'));
      assert.deepEqual(k.replicas, [{ name: 'orders', count: n }]);
      assert.equal(k.patches.length, 1, 'the HelmRelease values patch of podinfo is not cloned');
    }
    const built = await kustomize(path.join(root, 'apps/production'));
    assert.equal(built.exitCode, 0);
    assert.match(String(built.stdout), /name: orders\n {2}namespace: orders\nspec:\n {2}replicas: 3/);
    const own = await ownProblems(root, written);
    assert.deepEqual(own.errors, []);
    assert.deepEqual(own.failed, []);
  });
});

describe('scaffold probes copied from an exemplar (podinfo)', () => {
  it('rewrites exec probes that ran the exemplar\'s own tooling into HTTP probes on the new port, marked REVIEW', async () => {
    const root = await gitCopy(path.join(REAL, 'podinfo'));
    const { written } = await scaffoldRun(root, spec());
    const deployment = read(root, 'deploy/bases/orders/deployment.yaml');
    assert.doesNotMatch(deployment, /podcli|9898/);
    const d = parse(deployment) as { spec: { template: { spec: { containers: { ports: { containerPort: number; name?: string }[]; livenessProbe: { httpGet: { path: string; port: unknown } } }[] } } } };
    const c = d.spec.template.spec.containers[0];
    assert.equal(c?.ports[0]?.containerPort, 8080);
    assert.deepEqual(c?.livenessProbe.httpGet, { path: '/healthz', port: c?.ports[0]?.name ?? 8080 });
    assert.match(deployment, /^# REVIEW: .*exec.* rewritten for port 8080/m);
    const own = await ownProblems(root, written);
    assert.deepEqual(own.errors, []);
  });
});

describe('new environments', () => {
  it('are refused by the planner unless the spec allows them, and then created and reported', async () => {
    const root = await gitCopy(path.join(REAL, 'flux2-kustomize-helm-example'));
    const { profile } = await surveyPatterns({ infraRoot: root });
    assert.throws(() => layoutFor(spec({ environments: ['staging', 'qa'] }), profile), /environment qa has no overlay .*found: production, staging.*--allow-new-environment/);
    const { written, changeSets } = await scaffoldRun(root, spec({ environments: ['staging', 'qa'], allowNewEnvironment: true }));
    assert.ok(written.includes('apps/qa/kustomization.yaml'));
    assert.match(changeSets.flatMap((c) => c.assumptions.map((a) => a.text)).join('\n'), /environment qa is new .*nothing syncs it yet/);
    assert.equal((await kustomize(path.join(root, 'apps/qa'))).exitCode, 0);
  });

  it('implement refuses one with exit 2 before anything starts, naming the flag', async () => {
    const root = await gitCopy(path.join(REAL, 'flux2-kustomize-helm-example'));
    const specFile = path.join(root, 'orders.spec.yaml');
    await execa('sh', ['-c', `printf 'service: orders\\nimage: ghcr.io/acme/orders:1.4.2\\nenvironments: [staging, qa]\\n' > ${specFile}`]);
    const r = await execa(process.execPath, ['bin/infra-implementor.js', 'implement', '--feature', 'f', '--scope', 's', '--infra-root', root, '--spec', specFile], {
      cwd: PROJECT_ROOT, reject: false, env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' },
    });
    assert.equal(r.exitCode, 2);
    assert.match(String(r.stderr), /environment qa has no overlay for services in this repository \(found: production, staging\); pass --allow-new-environment/);
    assert.equal(String(r.stderr).trim().split('\n').length, 1, 'one line');
  });
});
