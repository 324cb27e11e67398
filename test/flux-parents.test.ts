// A child Flux Kustomization rendered with the spec its parent's build hands to the controller: the
// parent's `patches` that select it (strategic merge and JSON 6902, target by kind, name regex,
// label selector), the parent's targetNamespace and postBuild substitution; then the child's own
// build with the real kustomize. A parent patch that cannot apply fails naming the parent.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import path from 'node:path';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { buildRepoModel } from '../core/repo-model';
import { jsonPatch, targetSelects } from '../core/repo-model/object-patch';
import { arr, get } from '../core/yaml-docs';
import { clearValidationCache, validateRepository } from '../validation';
import { splitCustomPatches } from '../validation/custom-patches';
import { discover } from '../validation/discovery';
import { render } from '../validation/render';
import { readSnapshot } from '../validation/snapshot';
import { toolbox } from '../validation/tools';
import { writeTree } from './helpers/repo';

type Obj = Record<string, unknown>;

/** Every tree a test writes, removed at the end. */
const trees: string[] = [];
const tree = (files: Record<string, string>): string => { const t = writeTree(files); trees.push(t); return t; };

const child = (name: string, extra = '') => `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: { name: ${name}, namespace: flux-system, labels: { tier: ${name === 'web' ? 'front' : 'back'} } }
spec:
  interval: 1h
  path: ./apps/${name}
  prune: true
  sourceRef: { kind: GitRepository, name: flux-system }
${extra}`;

const deploy = (name: string) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, labels: { app: ${name} } }
spec:
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers: [{ name: main, image: "registry.example.com/\${ENV}/${name}:\${REGION}" }]
`;

const PARENT = (patches: string) => `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: { name: apps, namespace: flux-system }
spec:
  interval: 1h
  path: ./apps/ks
  prune: true
  sourceRef: { kind: GitRepository, name: flux-system }
  postBuild:
    substitute: { CLUSTER: eu-1 }
  patches:
${patches}`;

const DEFAULTS = `    - target: { group: kustomize.toolkit.fluxcd.io, kind: Kustomization }
      patch: |-
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata: { name: _ }
        spec:
          targetNamespace: team-a
          postBuild:
            substitute: { ENV: prod, REGION: "\${CLUSTER}" }
    - target: { kind: Kustomization, labelSelector: tier=front }
      patch: |-
        - { op: add, path: /spec/commonMetadata, value: { labels: { exposed: "true" } } }
`;

function files(patches: string): Record<string, string> {
  return {
    'clusters/apps.yaml': PARENT(patches),
    'apps/ks/web.yaml': child('web'),
    'apps/ks/db.yaml': child('db', '  postBuild:\n    substitute: { ENV: staging }\n'),
    'apps/web/kustomization.yaml': 'resources: [deploy.yaml]\n',
    'apps/web/deploy.yaml': deploy('web'),
    'apps/db/kustomization.yaml': 'resources: [deploy.yaml]\n',
    'apps/db/deploy.yaml': deploy('db'),
  };
}

async function rendered(input: Record<string, string>, dir: string) {
  const root = tree(input);
  const snap = await readSnapshot(root);
  const t = discover(buildRepoModel({ paths: snap.files, text: snap.text })).targets.find((x) => x.id === dir);
  assert.ok(t?.flux, `${dir} is applied by one Flux Kustomization`);
  clearValidationCache();
  const r = await render(t, { snap, tools: await toolbox() });
  assert.equal(r.status, 'ok', JSON.stringify(r));
  return { t, note: r.status === 'ok' ? r.note ?? '' : '', dep: parseAllDocuments(r.status === 'ok' ? r.text : '').map((d) => d.toJS() as Obj).find((o) => o.kind === 'Deployment') };
}

describe("a parent Flux Kustomization's patches on its children", () => {
  after(() => trees.forEach((t) => rmSync(t, { recursive: true, force: true })));

  it('each child is built with its patched spec: targetNamespace, postBuild (the parent substituted first), commonMetadata by label selector', async () => {
    const web = await rendered(files(DEFAULTS), 'apps/web');
    assert.equal(get(web.dep, 'metadata', 'namespace'), 'team-a');
    assert.equal(get(web.dep, 'spec', 'template', 'spec', 'containers', 0, 'image'), 'registry.example.com/prod/web:eu-1');
    assert.equal(get(web.dep, 'metadata', 'labels', 'exposed'), 'true');
    assert.match(web.note, /^as Flux Kustomization flux-system\/web \(as its parent flux-system\/apps patches it\) applies it \(targetNamespace team-a; postBuild substitution of 2 variable\(s\); commonMetadata\)/);
    assert.ok(web.t.inputs.includes('clusters/apps.yaml'), 'the parent is an input: changing its patches rebuilds the child');
    // The merge patch replaces the child's own substitute map key by key; only the web child matches the label selector.
    const db = await rendered(files(DEFAULTS), 'apps/db');
    assert.equal(get(db.dep, 'spec', 'template', 'spec', 'containers', 0, 'image'), 'registry.example.com/prod/db:eu-1');
    assert.equal(get(db.dep, 'metadata', 'labels', 'exposed'), undefined);
  });

  it('a parent patch that cannot apply fails the child naming the parent; the report says the rest', async () => {
    const root = tree(files(`${DEFAULTS}    - target: { kind: Kustomization, name: "d.*" }\n      patch: |-\n        - { op: remove, path: /spec/timeout }\n`));
    const r = await validateRepository({ root, fetch: { offline: true, cacheDir: path.join(root, '.none') } });
    const db = r.validations.find((v) => v.validator === 'flux' && v.message.startsWith('Kustomization/db:'));
    assert.equal(db?.status, 'fail');
    assert.match(db?.message ?? '', /^Kustomization\/db: a patch of its parent Kustomization flux-system\/apps does not apply: nothing to remove at \/spec\/timeout/);
    const web = r.validations.find((v) => v.validator === 'flux' && v.message.startsWith('Kustomization/web:'));
    assert.equal(web?.status, 'pass', web?.message);
    assert.match(web?.message ?? '', /as its parent flux-system\/apps patches it/);
  });

  it("kustomize's target selector and JSON 6902 operations", () => {
    const o = { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'web-api', labels: { tier: 'front' } }, spec: { list: [1, 2] } };
    assert.ok(targetSelects({ kind: 'Kustomization', name: 'web-.*', group: 'kustomize.toolkit.fluxcd.io' }, o));
    assert.ok(!targetSelects({ kind: 'Kustomization', name: 'web' }, o), 'names are anchored');
    assert.ok(targetSelects({ labelSelector: 'tier=front,tier!=back' }, o));
    assert.ok(!targetSelects({ version: 'v1beta2' }, o));
    assert.deepEqual(jsonPatch(o, [{ op: 'add', path: '/spec/list/-', value: 3 }, { op: 'replace', path: '/spec/list/0', value: 0 }, { op: 'add', path: '/metadata/labels/a~1b', value: 'x' }]).spec, { list: [0, 2, 3] });
    assert.throws(() => jsonPatch(o, [{ op: 'remove', path: '/spec/none' }]), /nothing to remove at \/spec\/none/);
  });
});

describe('patches of custom resources applied after kustomize, as kustomize would apply them', () => {
  after(() => trees.forEach((t) => rmSync(t, { recursive: true, force: true })));

  const PATCHES = `  patches:
    - target: { group: helm.toolkit.fluxcd.io, kind: HelmRelease }
      patch: |-
        apiVersion: helm.toolkit.fluxcd.io/v2
        kind: HelmRelease
        metadata: { name: _ }
        spec: { install: { crds: CreateReplace }, values: { replicaCount: 2, extra: null } }
    - target: { kind: HelmRelease, name: "web-.*" }
      patch: |-
        - { op: add, path: /spec/values/tier, value: front }
    - target: { kind: Deployment }
      patch: |-
        - { op: add, path: /metadata/labels/patched, value: "yes" }
`;
  const FILES = {
    'clusters/apps.yaml': `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: { name: apps, namespace: flux-system }\nspec:\n  interval: 1h\n  path: ./apps\n  prune: true\n  sourceRef: { kind: GitRepository, name: flux-system }\n  targetNamespace: team\n${PATCHES}`,
    'apps/kustomization.yaml': 'resources: [releases.yaml, deploy.yaml]\n',
    'apps/releases.yaml': ['web-a', 'web-b', 'db'].map((n) => `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: { name: ${n} }\nspec:\n  interval: 1h\n  chart: { spec: { chart: app, sourceRef: { kind: HelmRepository, name: charts } } }\n  values: { replicaCount: 1, extra: { a: 1 }, list: [1, 2] }\n`).join('---\n'),
    'apps/deploy.yaml': deploy('web'),
  };

  it('the same objects as the real kustomize applying every patch itself', async () => {
    const root = tree(FILES);
    const snap = await readSnapshot(root);
    const t = discover(buildRepoModel({ paths: snap.files, text: snap.text })).targets.find((x) => x.id === 'apps');
    assert.ok(t?.flux);
    const split = splitCustomPatches(t.flux.overlay);
    assert.equal(split.here.length, 2, 'the two HelmRelease patches are applied here');
    assert.equal(arr(split.overlay.patches).length, 1, 'the Deployment patch stays with kustomize');
    clearValidationCache();
    const r = await render(t, { snap, tools: await toolbox() });
    assert.equal(r.status, 'ok', JSON.stringify(r));
    // The oracle: kustomize with all three patches in one overlay.
    writeTree({ 'oracle/kustomization.yaml': `resources: [../apps]\nnamespace: team\n${PATCHES.replace(/^ {2}/gm, '')}` }, root);
    const expected = (await execa('kubectl', ['kustomize', path.join(root, 'oracle')])).stdout;
    const objects = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as Obj).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    assert.deepEqual(objects(r.status === 'ok' ? r.text : ''), objects(expected));
    assert.equal(get(objects(expected).find((o) => get(o, 'metadata', 'name') === 'web-a'), 'spec', 'values', 'tier'), 'front', 'sanity: the oracle applied them');
  });
});
