// `check` on trimmed copies of public GitOps repositories nobody here wrote (test/fixtures/real/,
// licences kept): exactly the findings of the table in test/fixtures/real/EXPECTED.md — every
// error and failed validation by place, every warning counted by check — so a false alarm (or a
// lost true one) fails the suite. The table says why each one is true.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { exitCodeOf } from '../client/check';
import { validateRepository } from '../validation';
import { helmBinary } from './helpers/chart-servers';

const REAL = path.join(import.meta.dirname, 'fixtures', 'real');

interface Expected {
  exit: 0 | 1;
  errors: string[];
  failedValidations: string[];
  warnings: Record<string, number>;
  skippedHelmReleases: number;
  /** Folders nothing reached from the Flux bootstrap applies: reported once each, not judged. */
  notDeployed?: string[];
  /** Charts of test/fixtures/charts to package into a --chart-dir for this repository (what its OCI sources serve). */
  chartDir?: string[];
}
const EXPECTED = JSON.parse(readFileSync(path.join(REAL, 'expected.json'), 'utf8')) as Record<string, Expected>;
// Offline from an empty cache: what a machine without the network sees, the same on every machine.
const FETCH = { offline: true, cacheDir: mkdtempSync(path.join(os.tmpdir(), 'real-repos-cache-')) };

/** The fixture charts named, packaged by the real `helm package` as `<name>-<version>.tgz`. */
async function packageInto(charts: readonly string[]): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'real-repos-charts-'));
  await execa(await helmBinary(), ['package', ...charts.map((c) => path.join(import.meta.dirname, 'fixtures', 'charts', c)), '--destination', dir]);
  return dir;
}

describe('check on real repositories', () => {
  for (const [repo, want] of Object.entries(EXPECTED)) {
    it(`${repo}: exit ${want.exit}, ${want.errors.length} error finding(s), warnings as in the table`, async () => {
      const chartDir = want.chartDir ? await packageInto(want.chartDir) : undefined;
      const r = await validateRepository({ root: path.join(REAL, repo), fetch: { ...FETCH, ...(chartDir ? { chartDir } : {}) } });
      const active = r.findings.filter((f) => f.suppressed === undefined);
      assert.deepEqual(active.filter((f) => f.severity === 'error').map((f) => `${f.check} ${f.resource} ${f.file ?? f.target}`).sort(), [...want.errors].sort());
      assert.deepEqual(r.validations.filter((v) => v.status === 'fail').map((v) => `${v.validator} ${v.target}`).sort(), [...want.failedValidations].sort());
      const warnings: Record<string, number> = {};
      for (const f of active.filter((x) => x.severity === 'warning')) warnings[f.check] = (warnings[f.check] ?? 0) + 1;
      assert.deepEqual(warnings, want.warnings);
      // HelmReleases whose chart is not vendored are said to be skipped, never passed.
      const skipped = r.validations.filter((v) => v.validator === 'helm' && v.status === 'skipped' && v.message.startsWith('HelmRelease '));
      assert.equal(skipped.length, want.skippedHelmReleases);
      assert.deepEqual(r.validations.filter((v) => /^not deployed: /.test(v.message)).map((v) => v.target), want.notDeployed ?? []);
      assert.equal(exitCodeOf(r), want.exit);
    });
  }

  it('gitops-istio: the istio-proxy and istio-init its JSON 6902 patches add are placed at those patches, and the proxy is left to the mesh', async () => {
    const r = await validateRepository({ root: path.join(REAL, 'gitops-istio'), fetch: FETCH });
    for (const app of ['backend', 'frontend', 'loadtest']) {
      const patch = `apps/${app}/deployment.patch.yaml`;
      const lines = readFileSync(path.join(REAL, 'gitops-istio', patch), 'utf8').split('\n');
      const sidecar = r.findings.filter((f) => f.target === `apps/${app}` && /"istio-(proxy|init)"/.test(f.message));
      assert.ok(sidecar.length > 0, app);
      assert.equal(sidecar.filter((f) => f.check === 'missing-probes').length, 0, `${app}: the mesh probes its proxy`);
      for (const f of sidecar) {
        assert.equal(f.file, patch, `${f.check} ${f.message}`);
        const op = f.message.includes('istio-proxy') ? 'path: /spec/template/spec/containers/1' : 'path: /spec/template/spec/initContainers';
        // inside the operation that adds the container: the nearest `path:` above the line is its path
        const above = lines.slice(0, f.line ?? 0).reverse().find((l) => l.trim().startsWith('path: '));
        assert.equal(above?.trim(), op, `${f.check} at line ${f.line}`);
      }
    }
  });

  it('xunholy/k8s-gitops: Secrets generated from SOPS files (base64 wrapped by kustomize) and structured postRenderers JSON 6902 values raise nothing', async () => {
    const messages = async (repo: string) => {
      const r = await validateRepository({ root: path.join(REAL, repo), fetch: FETCH });
      return { r, failed: r.validations.filter((v) => v.status === 'fail').flatMap((v) => v.message.split('\n')) };
    };
    const sops = await messages('sops-generator-xunholy');
    assert.deepEqual(sops.r.findings.filter((f) => f.check === 'plaintext-secret'), []);
    for (const app of ['kubernetes/apps/base/ai-system/n8n/app', 'kubernetes/apps/base/game-servers/minecraft-bedrock/app']) {
      assert.ok(sops.r.validations.some((v) => v.validator === 'schema' && v.target === app && v.status === 'pass'), `${app}: its generated Secret passes the schema`);
    }
    // The children's interval and prune come from the parent Kustomization's patches, applied to the artifact's folder.
    assert.deepEqual(sops.failed, []);
    const post = await messages('postrenderers-xunholy');
    assert.ok(post.failed.length > 0 && post.failed.every((m) => /\/metadata\/labels\/substitution\.flux~1enabled: true must be string$/.test(m)), post.failed.join('\n'));
  });

  it('argocd-appset-ricsanfre: umbrella charts whose dependencies are not vendored are skipped naming each dependency and its repository; the chart making the ApplicationSets renders', async () => {
    const r = await validateRepository({ root: path.join(REAL, 'argocd-appset-ricsanfre'), fetch: FETCH });
    const helm = r.validations.filter((v) => v.validator === 'helm');
    assert.deepEqual([...new Set(helm.map((v) => `${v.target} ${v.status}`))].sort(), [
      'argocd/bootstrap/argocd skipped', 'argocd/bootstrap/root pass', 'argocd/platform/traefik skipped', 'argocd/platform/velero skipped',
      'argocd/system/cert-manager skipped', 'argocd/system/linkerd skipped', 'argocd/system/longhorn-system skipped', 'argocd/system/metallb skipped',
    ]);
    // Three dependencies, two repositories: each named, none passed.
    assert.match(helm.find((v) => v.target === 'argocd/system/cert-manager')?.message ?? '',
      /chart dependencies \(cert-manager from https:\/\/charts\.jetstack\.io, trust-manager from https:\/\/charts\.jetstack\.io, cert-manager-webhook-ionos from https:\/\/fabmade\.github\.io\/cert-manager-webhook-ionos\) are not vendored/);
    // The root chart's four ApplicationSets (one per stack) have no schema here: said, not passed.
    const appsets = r.validations.find((v) => v.validator === 'schema' && v.target === 'argocd/bootstrap/root' && v.status === 'skipped');
    assert.match(appsets?.message ?? '', /no schema for: argoproj\.io\/v1alpha1 ApplicationSet \(4\)/);
  });

  it('no Flux source created at run time, and no Kustomization of another repository, is reported missing', async () => {
    for (const repo of ['flux2-kustomize-helm-example', 'flux2-multi-tenancy', 'home-ops']) {
      const r = await validateRepository({ root: path.join(REAL, repo), fetch: FETCH });
      const flux = r.validations.filter((v) => v.validator === 'flux');
      assert.ok(flux.length > 0, `${repo} has Flux objects`);
      assert.deepEqual(flux.filter((v) => v.status === 'fail'), [], repo);
      if (repo !== 'flux2-multi-tenancy') assert.ok(flux.some((v) => /assumed: sourceRef (GitRepository\/flux-system|ExternalArtifact\/\S+) is (created|produced)/.test(v.message)), `${repo} states the assumption`);
    }
    const tenants = await validateRepository({ root: path.join(REAL, 'flux2-multi-tenancy') });
    assert.ok(tenants.validations.some((v) => /Kustomization\/dev-team: .*path is in GitRepository\/dev-team, another repository or branch: not checked here/.test(v.message)));
  });
});
