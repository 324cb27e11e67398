// One model of the repository: every kustomize reference kind read once, so the survey and the
// validator's discovery agree on what a kustomization includes; Flux sources by origin; services
// and the exemplar.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildRepoModel, closure, sourceOrigin } from '../core/repo-model';
import { deployment } from '../core/repo-model/deployed';
import { profileOf } from '../core/survey';
import { discover } from '../validation/discovery';

const model = (files: Record<string, string>, selfUrls: string[] = []) =>
  buildRepoModel({ paths: Object.keys(files), text: (p) => files[p], selfUrls });

const DEPLOY = (name: string) => `apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: ${name} }\nspec:\n  selector: { matchLabels: { app: ${name} } }\n  template:\n    metadata: { labels: { app: ${name} } }\n    spec: { containers: [{ name: c, image: x }] }\n`;

describe('repo model', () => {
  const files = {
    'apps/base/web/deployment.yaml': DEPLOY('web'),
    'apps/base/web/kustomization.yaml': 'resources: [deployment.yaml]\n',
    'components/probes/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n',
    'apps/staging/kustomization.yaml': [
      'resources: [../base/web, https://github.com/acme/shared//base?ref=v1]',
      'components: [../../components/probes]',
      'patches: [{ path: web-patch.yaml }, { patch: "inline" }]',
      'patchesStrategicMerge: [smp.yaml]',
      'configMapGenerator: [{ name: c, files: [conf=settings.conf], envs: [vars.env] }]',
      'crds: [crd.yaml]',
      'helmCharts: [{ name: x, valuesFile: values.yaml }]',
      '',
    ].join('\n'),
    'apps/staging/web-patch.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }\nspec: { replicas: 2 }\n',
  };

  it('reads every reference kind of a kustomization, typed, with remote ones marked', () => {
    const node = model(files).kustomize.get('apps/staging');
    const kinds = Object.fromEntries((node?.refs ?? []).map((r) => [r.raw, r.kind]));
    assert.deepEqual(kinds, {
      '../base/web': 'resource', 'https://github.com/acme/shared//base?ref=v1': 'resource', '../../components/probes': 'component',
      'web-patch.yaml': 'patch', 'smp.yaml': 'patch', 'settings.conf': 'generator-file',
      'vars.env': 'generator-file', 'crd.yaml': 'crd', 'values.yaml': 'helm-values',
    });
    assert.equal(node?.remote, true);
    assert.deepEqual(node?.roots.sort(), ['apps/base/web', 'components/probes']);
    assert.deepEqual(node?.patchFiles.sort(), ['apps/staging/smp.yaml', 'apps/staging/web-patch.yaml']);
    assert.ok(node?.files.includes('apps/staging/settings.conf'));
    assert.ok(node?.files.includes('apps/staging/values.yaml'));
  });

  it('the survey and discovery read the same graph: the overlay of a base is the target that builds it', () => {
    const m = model(files);
    const profile = profileOf(m);
    assert.deepEqual(profile.services.map((s) => [s.name, s.overlays.map((o) => o.dir)]), [['web', ['apps/staging']]], 'the patch file is not a second service');
    const targets = discover(m).targets.filter((t) => t.kind === 'kustomize').map((t) => t.id);
    assert.deepEqual(targets, ['apps/staging']);
    assert.ok(closure(m.kustomize, 'apps/staging').files.includes('apps/base/web/deployment.yaml'));
  });

  it('knows where a Flux source comes from: defined, created at run time, or missing', () => {
    const m = model({
      'clusters/x/sync.yaml': 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: { name: apps, namespace: flux-system }\nspec: { path: ./apps, sourceRef: { kind: GitRepository, name: flux-system } }\n',
      'clusters/x/gen.yaml': 'apiVersion: source.extensions.fluxcd.io/v1beta1\nkind: ArtifactGenerator\nmetadata: { name: g }\nspec:\n  artifacts: [{ name: bundle }]\n',
    });
    const owner = { metadata: { namespace: 'flux-system' } };
    assert.equal(sourceOrigin({ kind: 'GitRepository', name: 'flux-system' }, owner, m.flux).kind, 'runtime');
    assert.match((sourceOrigin({ kind: 'ExternalArtifact', name: 'bundle' }, owner, m.flux) as { why: string }).why, /ArtifactGenerator g/);
    assert.equal(sourceOrigin({ kind: 'GitRepository', name: 'other' }, owner, m.flux).kind, 'missing');
  });

  it('learns the label convention separately for pod templates and objects', () => {
    const m = model({ 'a.yaml': DEPLOY('a'), 'b.yaml': DEPLOY('b'), 'c.yaml': DEPLOY('c') });
    assert.deepEqual(m.labels.groups, ['app']);
    assert.deepEqual(m.labels.objectGroups, []);
    assert.equal(m.labels.workloads, 3);
  });
});

describe('deployment through an artifact of this repository', () => {
  // xunholy/k8s-gitops: flux bootstrap syncs kubernetes/clusters/cluster-1, whose Kustomizations
  // apply an OCIRepository pushed from ./kubernetes: their paths are relative to that folder.
  const KS = (name: string, path: string, kind: string) =>
    `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: { name: ${name}, namespace: flux-system }\nspec: { interval: 10m, prune: true, path: ${path}, sourceRef: { kind: ${kind}, name: ${name === 'flux-system' ? 'flux-system' : 'cluster'} } }\n`;
  const files = {
    'kubernetes/clusters/cluster-1/flux-system/gotk-sync.yaml': KS('flux-system', './kubernetes/clusters/cluster-1', 'GitRepository'),
    'kubernetes/clusters/cluster-1/namespaces.yaml': KS('namespaces', './namespaces/overlays/cluster-1', 'OCIRepository'),
    'kubernetes/namespaces/overlays/cluster-1/kustomization.yaml': 'resources: [../../base/web]\n',
    'kubernetes/namespaces/base/web/kustomization.yaml': 'resources: [deployment.yaml]\n',
    'kubernetes/namespaces/base/web/deployment.yaml': DEPLOY('web'),
    'kubernetes/namespaces/base/old/deployment.yaml': DEPLOY('old'),
  };

  it('follows the artifact path under the folder above the Kustomization that holds it, and nothing else', () => {
    const d = deployment(model(files));
    assert.deepEqual(d?.entries, ['kubernetes/clusters/cluster-1']);
    assert.ok(d?.files.has('kubernetes/namespaces/base/web/deployment.yaml'), 'the artifact path is applied');
    assert.ok(!d?.files.has('kubernetes/namespaces/base/old/deployment.yaml'), 'a folder nothing lists stays not deployed');
  });

  it('builds that folder as the Kustomization applies it (its patches, substitution, targetNamespace)', () => {
    const overlay = discover(model(files)).targets.find((t) => t.id === 'kubernetes/namespaces/overlays/cluster-1');
    assert.equal(overlay?.flux?.file, 'kubernetes/clusters/cluster-1/namespaces.yaml');
  });
});
