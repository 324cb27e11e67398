// HelmReleases rendered as helm-controller renders them, with the real helm and kustomize: chart
// defaults, then valuesFrom in order (ConfigMap, Secret with targetPath, Secret data, optional), then
// values; a missing source fails and names it; postRenderers on the output; a chart whose values
// schema points at the network renders with schema validation skipped, and says so.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildRepoModel } from '../core/repo-model';
import { get } from '../core/yaml-docs';
import { validateRepository } from '../validation';
import { renderReleases } from '../validation/helm-releases';
import { readSnapshot } from '../validation/snapshot';
import { placed } from '../validation/source-map';
import { toolbox } from '../validation/tools';
import { writeTree } from './helpers/repo';

const SECRET_VALUE = 's3cr3t-value-never-shown';

const CHART = {
  'charts/app/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.1.0\n',
  'charts/app/values.yaml': 'image: { repository: example/app, tag: "1.0" }\nlevel: info\npodAnnotations: {}\ndb: { password: "" }\n',
  'charts/app/templates/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  labels: { app: {{ .Release.Name }} }
spec:
  selector: { matchLabels: { app: {{ .Release.Name }} } }
  template:
    metadata:
      labels: { app: {{ .Release.Name }} }
      annotations: {{- toYaml .Values.podAnnotations | nindent 8 }}
    spec:
      containers:
        - name: main
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          env:
            - { name: LEVEL, value: {{ .Values.level | quote }} }
            - { name: PASSWORD, value: {{ .Values.db.password | quote }} }
`,
  'charts/strict/Chart.yaml': 'apiVersion: v2\nname: strict\nversion: 0.1.0\n',
  'charts/strict/values.yaml': 'a: 1\n',
  'charts/strict/values.schema.json': '{"$schema": "http://json-schema.org/draft-07/schema#", "properties": {"a": {"$ref": "http://127.0.0.1:1/defs.json#/a"}}}\n',
  'charts/strict/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: strict }\ndata: { a: "{{ .Values.a }}" }\n',
};

const release = (name: string, ns: string, chart: string, rest: string) => `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: { name: ${name}, namespace: ${ns} }
spec:
  interval: 1h
  chart:
    spec:
      chart: ./charts/${chart}
      sourceRef: { kind: GitRepository, name: flux-system, namespace: flux-system }
${rest}---
`;

const FILES: Record<string, string> = {
  ...CHART,
  'apps/kustomization.yaml': 'resources: [releases.yaml, config.yaml]\n',
  'apps/config.yaml': `apiVersion: v1
kind: ConfigMap
metadata: { name: app-values, namespace: apps }
data:
  values.yaml: |
    level: debug
    image: { tag: "2.0" }
---
apiVersion: v1
kind: Secret
metadata: { name: app-secret, namespace: apps }
stringData: { password: ${SECRET_VALUE} }
---
apiVersion: v1
kind: Secret
metadata: { name: app-extra, namespace: apps }
data: { extra.yaml: ${Buffer.from('podAnnotations: { from: secret }\n').toString('base64')} }
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: { name: eso, namespace: apps }
spec: { target: { name: made-by-eso } }
`,
  'apps/releases.yaml': release('full', 'apps', 'app', `  valuesFrom:
    - { kind: ConfigMap, name: app-values }
    - { kind: Secret, name: app-secret, valuesKey: password, targetPath: db.password }
    - { kind: Secret, name: app-extra, valuesKey: extra.yaml }
    - { kind: ConfigMap, name: not-there, optional: true }
  values:
    image: { tag: "3.0" }
  postRenderers:
    - kustomize:
        images: [{ name: example/app, newName: registry.local/app }]
        patches:
          - target: { kind: Deployment }
            patch: |
              - { op: add, path: /metadata/labels/patched, value: "yes" }
`) + release('needs-missing', 'apps', 'app', '  valuesFrom:\n    - { kind: Secret, name: nowhere }\n')
    + release('external', 'apps', 'app', '  valuesFrom:\n    - { kind: Secret, name: made-by-eso }\n')
    + release('other-namespace', 'web', 'app', '  valuesFrom:\n    - { kind: ConfigMap, name: app-values }\n')
    + release('schema', 'apps', 'strict', ''),
};

async function render(root: string, offline: boolean) {
  const snap = await readSnapshot(root);
  const model = buildRepoModel({ paths: snap.files, text: snap.text });
  const docs = model.manifests.filter((d) => d.file.startsWith('apps/')).map((d) => placed(d.object, d));
  return renderReleases('apps', docs, model, { snap, tools: await toolbox(), fetch: { cacheDir: path.join(root, '..', `${path.basename(root)}-cache`), offline } });
}

describe('HelmReleases rendered as helm-controller does', () => {
  const root = writeTree(FILES);

  it('chart defaults, then valuesFrom in order (ConfigMap, Secret at a targetPath, Secret data), then values, then postRenderers', async () => {
    const r = await render(root, false);
    const d = r.docs.find((x) => get(x.object, 'metadata', 'name') === 'full');
    const c = get(d?.object, 'spec', 'template', 'spec', 'containers', 0);
    assert.equal(get(c, 'image'), 'registry.local/app:3.0');
    assert.deepEqual(get(c, 'env'), [{ name: 'LEVEL', value: 'debug' }, { name: 'PASSWORD', value: SECRET_VALUE }]);
    assert.deepEqual(get(d?.object, 'spec', 'template', 'metadata', 'annotations'), { from: 'secret' });
    assert.equal(get(d?.object, 'metadata', 'labels', 'patched'), 'yes');
    // Still placed at its template after post-rendering.
    assert.equal(d?.file, 'charts/app/templates/deployment.yaml');
    assert.equal(d?.line, 2);
    const v = r.validations.find((x) => x.message.startsWith('HelmRelease apps/full:'));
    assert.equal(v?.status, 'pass');
    assert.match(v?.message ?? '', /1 postRenderer\(s\) applied; valuesFrom ConfigMap\/not-there \(values\.yaml\) is optional and not in the repository: rendered without it/);
  });

  it('a missing non-optional source fails and names it; sources are looked up in the release namespace', async () => {
    const r = await render(root, false);
    const of = (n: string) => r.validations.find((x) => x.message.startsWith(`HelmRelease ${n}:`));
    assert.equal(of('apps/needs-missing')?.status, 'fail');
    assert.match(of('apps/needs-missing')?.message ?? '', /valuesFrom names Secret\/nowhere in namespace apps, which is not in the repository/);
    assert.equal(of('web/other-namespace')?.status, 'fail');
    assert.match(of('web/other-namespace')?.message ?? '', /ConfigMap\/app-values in namespace web/);
    assert.equal(of('apps/external')?.status, 'pass');
    assert.match(of('apps/external')?.message ?? '', /valuesFrom Secret\/made-by-eso \(values\.yaml\) is made at run time by ExternalSecret\/eso: rendered without it/);
  });

  it('a values schema that refers to the network renders with schema validation skipped, online and offline, and says so', async () => {
    for (const offline of [false, true]) {
      const v = (await render(root, offline)).validations.find((x) => x.message.startsWith('HelmRelease apps/schema:'));
      assert.equal(v?.status, 'pass', v?.message);
      assert.match(v?.message ?? '', /values schema refers to schemas on the network: rendered with schema validation skipped \(--skip-schema-validation\)/);
    }
  });

  it('no Secret value used for rendering appears in the report', async () => {
    const report = await validateRepository({ root, fetch: { offline: true, cacheDir: path.join(root, '..', 'no-cache') } });
    assert.ok(report.validations.some((v) => v.message.startsWith('HelmRelease apps/full:') && v.status === 'pass'));
    assert.ok(!JSON.stringify(report).includes(SECRET_VALUE));
  });
});
