// What kustomize-controller does after the build, with the real kustomize: commonMetadata on every
// object; substitution as strict as the controller is by default since Flux 2.9 (a `${var}` with no
// value and no default fails the reconciliation, unless the repository turns the feature gate off or
// a source's values cannot be known here); a substituteFrom source that does not exist and is not
// optional fails; with no variable at all (and no `substituteStrategy: Always`) nothing is substituted.
import assert from 'node:assert/strict';
import path from 'node:path';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { buildRepoModel } from '../core/repo-model';
import { get } from '../core/yaml-docs';
import { clearValidationCache, validateRepository, type ValidationReport } from '../validation';
import { discover } from '../validation/discovery';
import { render } from '../validation/render';
import { readSnapshot } from '../validation/snapshot';
import { indexByKind, renderedDocs } from '../validation/source-map';
import { toolbox } from '../validation/tools';
import { writeTree } from './helpers/repo';

type Obj = Record<string, unknown>;

/** Every tree a test writes, removed at the end. */
const trees: string[] = [];
const tree = (files: Record<string, string>): string => { const t = writeTree(files); trees.push(t); return t; };

const ks = (name: string, dir: string, spec: string) => `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: { name: ${name}, namespace: flux-system }
spec:
  interval: 1h
  path: ./${dir}
  prune: true
  sourceRef: { kind: GitRepository, name: flux-system }
${spec}---
`;

const DEPLOY = (name: string, image: string) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, labels: { app: ${name}, team: old } }
spec:
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers: [{ name: main, image: "${image}" }]
`;

async function built(files: Record<string, string>, dir: string) {
  const root = tree(files);
  const snap = await readSnapshot(root);
  const model = buildRepoModel({ paths: snap.files, text: snap.text });
  const t = discover(model).targets.find((x) => x.id === dir);
  assert.ok(t, `a target ${dir}`);
  clearValidationCache();
  const r = await render(t, { snap, tools: await toolbox() });
  const objects = t.kind === 'plain' ? renderedDocs(t, '', snap, model.manifests, indexByKind(model.manifests)).map((d) => d.object)
    : r.status === 'ok' ? parseAllDocuments(r.text).map((d) => d.toJS() as Obj) : [];
  return { r, objects, root };
}

const fluxOf = (r: ValidationReport, name: string) => r.validations.find((v) => v.validator === 'flux' && v.message.startsWith(`Kustomization/${name}:`));
const check = (root: string) => validateRepository({ root, fetch: { offline: true, cacheDir: path.join(root, '.none') } });

describe('Flux Kustomization post-build: commonMetadata and strict substitution', () => {
  after(() => trees.forEach((t) => rmSync(t, { recursive: true, force: true })));

  it('commonMetadata labels and annotations land on every object (overriding a key), not on pod templates; kustomize root and plain folder alike', async () => {
    const spec = '  commonMetadata: { labels: { team: platform, owner: ops }, annotations: { docs: "https://wiki" } }\n';
    const { r, objects } = await built({
      'clusters/web.yaml': ks('web', 'apps/web', spec),
      'apps/web/kustomization.yaml': 'resources: [deploy.yaml, cm.yaml]\n',
      'apps/web/deploy.yaml': DEPLOY('web', 'nginx:1.27.1'),
      'apps/web/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: web }\ndata: { a: b }\n',
    }, 'apps/web');
    assert.equal(r.status, 'ok', JSON.stringify(r));
    assert.equal(objects.length, 2);
    for (const o of objects) {
      assert.equal(get(o, 'metadata', 'labels', 'team'), 'platform', JSON.stringify(o));
      assert.equal(get(o, 'metadata', 'labels', 'owner'), 'ops');
      assert.equal(get(o, 'metadata', 'annotations', 'docs'), 'https://wiki');
    }
    const dep = objects.find((o) => o.kind === 'Deployment');
    assert.deepEqual(get(dep, 'spec', 'template', 'metadata', 'labels'), { app: 'web' });
    assert.match(r.status === 'ok' ? r.note ?? '' : '', /commonMetadata/);
    const plain = await built({ 'clusters/tools.yaml': ks('tools', 'tools', spec), 'tools/deploy.yaml': DEPLOY('tool', 'busybox:1.36') }, 'tools');
    assert.equal(get(plain.objects[0], 'metadata', 'labels', 'team'), 'platform');
    assert.equal(get(plain.objects[0], 'metadata', 'annotations', 'docs'), 'https://wiki');
  });

  it('a substituteFrom source not in the repository fails naming it; an optional one does not', async () => {
    const root = tree({
      'clusters/web.yaml': ks('web', 'web', '  postBuild:\n    substitute: { TAG: "1.0.0" }\n    substituteFrom:\n      - { kind: ConfigMap, name: cluster-settings }\n      - { kind: Secret, name: extras, optional: true }\n'),
      'web/deploy.yaml': DEPLOY('web', 'nginx:${TAG}'),
    });
    const r = await check(root);
    const v = fluxOf(r, 'web');
    assert.equal(v?.status, 'fail');
    assert.equal(v?.message, `Kustomization/web: postBuild.substituteFrom names ConfigMap/cluster-settings, which is not in the repository (kustomize-controller fails the reconciliation: "substitute from 'ConfigMap/cluster-settings' error: not found"; mark it optional: true if that is meant)`);
    assert.equal(v?.file, 'clusters/web.yaml');
  });

  it('strict: a ${var} with no value and no default fails the build naming it and the object; ${var:=default} and $${var} do not', async () => {
    const files = {
      'clusters/web.yaml': ks('web', 'apps/web', '  postBuild:\n    substitute: { TAG: "1.0.0" }\n    substituteFrom: [{ kind: ConfigMap, name: settings }]\n'),
      'clusters/settings.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings, namespace: flux-system }\ndata: { DOMAIN: example.org }\n',
      'apps/web/kustomization.yaml': 'resources: [deploy.yaml]\n',
      'apps/web/deploy.yaml': `${DEPLOY('web', 'nginx:${TAG}')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: web-env }\ndata: { HOST: "web.\${DOMAIN}", REGION: "\${REGION}", SIZE: "\${SIZE:=1Gi}", LITERAL: "$\${HOME}" }\n`,
    };
    const { r } = await built(files, 'apps/web');
    assert.equal(r.status, 'failed');
    assert.match(r.status === 'failed' ? r.error : '', /^as Flux Kustomization flux-system\/web applies it, postBuild substitution fails: \$\{REGION\} in ConfigMap\/web-env has no value and no default \(kustomize-controller substitutes strictly by default since Flux 2\.9/);
    const report = await check(tree(files));
    assert.equal(report.validations.find((v) => v.validator === 'kustomize' && v.target === 'apps/web')?.status, 'fail');
    assert.match(fluxOf(report, 'web')?.message ?? '', /does not build: as Flux Kustomization flux-system\/web applies it, postBuild substitution fails: \$\{REGION\}/);
    // Given a value, it builds.
    const fixed = await built({ ...files, 'clusters/settings.yaml': files['clusters/settings.yaml'].replace('DOMAIN: example.org', 'DOMAIN: example.org, REGION: eu') }, 'apps/web');
    assert.equal(fixed.r.status, 'ok', JSON.stringify(fixed.r));
    assert.deepEqual(get(fixed.objects.find((o) => o.kind === 'ConfigMap'), 'data'), { HOST: 'web.example.org', REGION: 'eu', SIZE: '1Gi', LITERAL: '${HOME}' });
  });

  it('--flux-version below 2.9: the controller was not strict yet, so an unset ${var} is empty and the build passes', async () => {
    const files = {
      'clusters/web.yaml': ks('web', 'apps/web', '  postBuild:\n    substitute: { TAG: "1.0.0" }\n'),
      'apps/web/kustomization.yaml': 'resources: [deploy.yaml]\n',
      'apps/web/deploy.yaml': `${DEPLOY('web', 'nginx:${TAG}')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: web-env }\ndata: { REGION: "\${REGION}" }\n`,
    };
    const root = tree(files);
    const strict = await check(root);
    assert.equal(strict.validations.find((v) => v.validator === 'kustomize' && v.target === 'apps/web')?.status, 'fail');
    const older = await validateRepository({ root, fluxVersion: '2.8', fetch: { offline: true, cacheDir: path.join(root, '.none') } });
    assert.equal(older.validations.find((v) => v.validator === 'kustomize' && v.target === 'apps/web')?.status, 'pass');
  });

  it('not judged strictly where values cannot be known (a SOPS-encrypted source) or the repository turns the gate off; unset is then empty', async () => {
    const base = {
      'clusters/web.yaml': ks('web', 'apps/web', '  postBuild:\n    substituteFrom: [{ kind: Secret, name: secrets }]\n'),
      'apps/web/kustomization.yaml': 'resources: [deploy.yaml]\n',
      'apps/web/deploy.yaml': DEPLOY('web', 'registry/${TAG}nginx:1.0'),
    };
    const encrypted = await built({ ...base, 'clusters/secrets.yaml': 'apiVersion: v1\nkind: Secret\nmetadata: { name: secrets, namespace: flux-system }\nstringData: { TAG: "ENC[AES256_GCM,data:abc=,iv:x,tag:y,type:str]" }\nsops: { mac: "ENC[AES256_GCM,data:m]" }\n' }, 'apps/web');
    assert.equal(encrypted.r.status, 'ok', JSON.stringify(encrypted.r));
    assert.match(encrypted.r.status === 'ok' ? encrypted.r.note ?? '' : '', /substituteFrom Secret\/secrets is SOPS-encrypted: its variables are unknown here/);
    const optOut = await built({
      ...base, 'clusters/secrets.yaml': 'apiVersion: v1\nkind: Secret\nmetadata: { name: secrets, namespace: flux-system }\nstringData: { OTHER: x }\n',
      'flux-system/kustomization.yaml': 'resources: []\npatches:\n  - target: { kind: Deployment, name: kustomize-controller }\n    patch: |\n      - { op: add, path: /spec/template/spec/containers/0/args/-, value: --feature-gates=StrictPostBuildSubstitutions=false }\n',
    }, 'apps/web');
    assert.equal(optOut.r.status, 'ok', JSON.stringify(optOut.r));
    assert.equal(get(optOut.objects.find((o) => o.kind === 'Deployment'), 'spec', 'template', 'spec', 'containers', 0, 'image'), 'registry/nginx:1.0');
  });

  it('with no variable at all nothing is substituted, unless substituteStrategy: Always; a plain folder is judged strictly too', async () => {
    const none = await built({ 'clusters/tools.yaml': ks('tools', 'tools', '  postBuild:\n    substituteFrom: [{ kind: ConfigMap, name: absent, optional: true }]\n'), 'tools/deploy.yaml': DEPLOY('tool', 'busybox:${TAG:=1.36}') }, 'tools');
    assert.equal(get(none.objects[0], 'spec', 'template', 'spec', 'containers', 0, 'image'), 'busybox:${TAG:=1.36}');
    const always = await built({ 'clusters/tools.yaml': ks('tools', 'tools', '  postBuild:\n    substituteStrategy: Always\n'), 'tools/deploy.yaml': DEPLOY('tool', 'busybox:${TAG:=1.36}') }, 'tools');
    assert.equal(get(always.objects[0], 'spec', 'template', 'spec', 'containers', 0, 'image'), 'busybox:1.36');
    const root = tree({ 'clusters/tools.yaml': ks('tools', 'tools', '  postBuild:\n    substitute: { A: x }\n'), 'tools/deploy.yaml': DEPLOY('tool', 'busybox:${TAG}') });
    const v = fluxOf(await check(root), 'tools');
    assert.equal(v?.status, 'fail');
    assert.match(v?.message ?? '', /postBuild substitution fails: \$\{TAG\} in Deployment\/tool has no value and no default/);
  });
});
