// A Flux Kustomization's path built as kustomize-controller builds it, with the real kustomize:
// its components, patches, images and targetNamespace over the path's kustomization, then postBuild
// substitution (substitute over substituteFrom ConfigMaps and Secrets; `${var:=default}`; objects
// annotated `kustomize.toolkit.fluxcd.io/substitute: disabled` left alone). HelmReleases inside
// then render with the substituted values in the target namespace.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { buildRepoModel } from '../core/repo-model';
import { substituteVars } from '../core/repo-model/flux-build';
import { get } from '../core/yaml-docs';
import { validateRepository } from '../validation';
import { discover } from '../validation/discovery';
import { render } from '../validation/render';
import { readSnapshot } from '../validation/snapshot';
import { indexByKind, renderedDocs } from '../validation/source-map';
import { toolbox } from '../validation/tools';
import { writeTree } from './helpers/repo';

const FILES = {
  'clusters/apps.yaml': `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: { name: web, namespace: flux-system }
spec:
  interval: 1h
  path: ./apps/web
  prune: true
  sourceRef: { kind: GitRepository, name: flux-system }
  targetNamespace: web
  components: [../../components/backup]
  images: [{ name: nginx, newTag: "1.27.1" }]
  patches:
    - target: { kind: Deployment }
      patch: |
        - { op: add, path: /metadata/labels/patched-by, value: flux }
  postBuild:
    substitute: { APP: web, TIER: gold }
    substituteFrom:
      - { kind: ConfigMap, name: cluster-settings }
      - { kind: Secret, name: cluster-secrets }
`,
  'clusters/settings.yaml': `apiVersion: v1
kind: ConfigMap
metadata: { name: cluster-settings, namespace: flux-system }
data: { DOMAIN: example.org, TIER: bronze }
---
apiVersion: v1
kind: Secret
metadata: { name: cluster-secrets, namespace: flux-system }
stringData: { TOKEN: hunter2-never-shown }
`,
  'components/backup/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [pvc.yaml]\n',
  'components/backup/pvc.yaml': 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: { name: "${APP}-backup" }\nspec: { resources: { requests: { storage: "${SIZE:=1Gi}" } } }\n',
  'apps/web/kustomization.yaml': 'resources: [deployment.yaml, literal.yaml]\n',
  'apps/web/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata: { name: "\${APP}", labels: { tier: "\${TIER}", host: "\${APP}.\${DOMAIN}" } }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers: [{ name: main, image: "nginx:1.0", env: [{ name: TOKEN, value: "\${TOKEN}" }] }]
`,
  'apps/web/literal.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: script
  annotations: { kustomize.toolkit.fluxcd.io/substitute: disabled }
data: { run.sh: 'echo \${HOME}' }
`,
};

describe('Flux Kustomizations built as kustomize-controller builds them', () => {
  it('components, images, patches and targetNamespace apply; variables substitute (substitute over substituteFrom, defaults); opted-out objects stay', async () => {
    const root = writeTree(FILES);
    const snap = await readSnapshot(root);
    const t = discover(buildRepoModel({ paths: snap.files, text: snap.text })).targets.find((x) => x.id === 'apps/web');
    assert.ok(t?.flux, 'the target knows the Flux Kustomization applying it');
    assert.ok(t.inputs.includes('components/backup/pvc.yaml') && t.inputs.includes('clusters/apps.yaml'), t.inputs.join(' '));
    const r = await render(t, { snap, tools: await toolbox() });
    assert.equal(r.status, 'ok', JSON.stringify(r));
    const objs = parseAllDocuments(r.status === 'ok' ? r.text : '').map((d) => d.toJS() as Record<string, unknown>);
    const by = (kind: string) => objs.find((o) => o.kind === kind && get(o, 'metadata', 'name') !== 'script');
    const dep = by('Deployment');
    assert.equal(get(dep, 'metadata', 'name'), 'web');
    assert.equal(get(dep, 'metadata', 'namespace'), 'web');
    assert.deepEqual(get(dep, 'metadata', 'labels'), { tier: 'gold', host: 'web.example.org', 'patched-by': 'flux' });
    assert.equal(get(dep, 'spec', 'template', 'spec', 'containers', 0, 'image'), 'nginx:1.27.1');
    assert.equal(get(dep, 'spec', 'template', 'spec', 'containers', 0, 'env', 0, 'value'), 'hunter2-never-shown');
    const pvc = by('PersistentVolumeClaim');
    assert.equal(get(pvc, 'metadata', 'name'), 'web-backup');
    assert.equal(get(pvc, 'spec', 'resources', 'requests', 'storage'), '1Gi');
    assert.equal(get(objs.find((o) => get(o, 'metadata', 'name') === 'script'), 'data', 'run.sh'), 'echo ${HOME}');
    assert.match(r.status === 'ok' ? r.note ?? '' : '', /as Flux Kustomization flux-system\/web applies it \(components components\/backup; patches; images; targetNamespace web; postBuild substitution of 4 variable\(s\)\)/);
  });

  it('findings on the substituted objects are located in their sources, and no substituted Secret value is shown', async () => {
    const root = writeTree(FILES);
    const r = await validateRepository({ root, fetch: { offline: true, cacheDir: path.join(root, '.none') } });
    const limits = r.findings.find((f) => f.check === 'resource-requests-limits' && f.resource === 'Deployment/web');
    assert.equal(limits?.file, 'apps/web/deployment.yaml');
    assert.ok(!JSON.stringify(r).includes('hunter2-never-shown'));
  });

  it('a folder without kustomization.yaml that a Flux Kustomization applies gets its targetNamespace and substitution, at the source lines', async () => {
    const root = writeTree({
      'clusters/plain.yaml': 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: { name: plain, namespace: flux-system }\nspec:\n  interval: 1h\n  path: ./plain\n  prune: true\n  sourceRef: { kind: GitRepository, name: flux-system }\n  targetNamespace: tools\n  postBuild: { substitute: { IMAGE_TAG: "2.4.1" } }\n',
      'plain/deploy.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: tool, labels: { app: tool } }\nspec:\n  selector: { matchLabels: { app: tool } }\n  template:\n    metadata: { labels: { app: tool } }\n    spec:\n      containers:\n        - name: tool\n          image: "ghcr.io/acme/tool:${IMAGE_TAG:=latest}"\n',
    });
    const snap = await readSnapshot(root);
    const model = buildRepoModel({ paths: snap.files, text: snap.text });
    const t = discover(model).targets.find((x) => x.id === 'plain');
    assert.equal(t?.kind, 'plain');
    const [dep] = t ? renderedDocs(t, '', snap, model.manifests, indexByKind(model.manifests)) : [];
    assert.equal(get(dep?.object, 'metadata', 'namespace'), 'tools');
    assert.equal(get(dep?.object, 'spec', 'template', 'spec', 'containers', 0, 'image'), 'ghcr.io/acme/tool:2.4.1');
    const r = await validateRepository({ root, fetch: { offline: true, cacheDir: path.join(root, '.none') } });
    const limits = r.findings.find((f) => f.check === 'resource-requests-limits');
    assert.equal(limits?.file, 'plain/deploy.yaml');
    assert.equal(limits?.line, 10);
    assert.ok(r.findings.some((f) => f.check === 'run-as-non-root' && f.file === 'plain/deploy.yaml'));
  });

  it('substitution forms: ${var}, ${var:=default} when unset or empty, ${var=default} when unset, $${var} literal, unset is empty', () => {
    const vars = { A: 'a', E: '' };
    assert.equal(substituteVars('${A} ${B:=b} ${E:=e} ${E=x} ${B-y} $${A} [${NOPE}]', vars), 'a b e  y ${A} []');
  });
});
