// Argo CD Applications rendered as the repo-server renders them, with the real helm and kustomize:
// Helm valueFiles, then values, then parameters (releaseName, destination namespace); kustomize
// options (namePrefix, images, namespace, commonLabels) over the folder; a Helm repository's chart
// from a --chart-dir; an ApplicationSet's list and Git directory generators expanded, others said to be
// left to the controller.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { buildRepoModel } from '../core/repo-model';
import { kustomizeImage } from '../core/repo-model/argo-source';
import { get } from '../core/yaml-docs';
import { validateRepository } from '../validation';
import { renderApplications } from '../validation/argo-render';
import { readSnapshot } from '../validation/snapshot';
import { indexByKind, placed } from '../validation/source-map';
import { toolbox } from '../validation/tools';
import { packageCharts } from './helpers/chart-servers';
import { writeTree } from './helpers/repo';

const app = (name: string, source: string) => `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: { name: ${name}, namespace: argocd }
spec:
  project: default
  destination: { server: https://kubernetes.default.svc, namespace: prod }
  source:
${source}---
`;

const REPO = 'https://git.example.com/acme/gitops.git';
const FILES = {
  'charts/app/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.1.0\n',
  'charts/app/values.yaml': 'image: { repository: example/app, tag: "1.0" }\nlevel: info\nreplicas: 1\n',
  'charts/app/values-prod.yaml': 'level: warn\nreplicas: 3\n',
  'charts/app/templates/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata: { name: {{ .Release.Name }}, namespace: {{ .Release.Namespace }} }
spec:
  replicas: {{ .Values.replicas }}
  selector: { matchLabels: { app: {{ .Release.Name }} } }
  template:
    metadata: { labels: { app: {{ .Release.Name }} } }
    spec: { containers: [{ name: main, image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}", env: [{ name: LEVEL, value: {{ .Values.level | quote }} }] }] }
`,
  'kapp/kustomization.yaml': 'resources: [deployment.yaml]\n',
  'kustomize-old/kustomization.yaml': 'resources: [../kapp/deployment.yaml]\n',
  'kapp/deployment.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web }\nspec:\n  selector: { matchLabels: { app: web } }\n  template:\n    metadata: { labels: { app: web } }\n    spec: { containers: [{ name: web, image: "nginx:1.25" }] }\n',
  'argocd/kustomization.yaml': 'resources: [apps.yaml]\n',
  'argocd/apps.yaml': app('helm-app', `    repoURL: ${REPO}
    path: charts/app
    helm:
      releaseName: web-prod
      valueFiles: [values-prod.yaml]
      values: |
        image: { tag: "2.0" }
        level: error
      parameters:
        - { name: image.tag, value: "9.9" }
`) + app('kust-app', `    repoURL: ${REPO}
    path: kapp
    kustomize:
      namePrefix: prod-
      namespace: prod
      images: [nginx=registry.local/nginx:1.27]
      commonLabels: { team: web }
`) + app('repo-chart', `    repoURL: https://charts.example.com
    chart: webapp
    targetRevision: 0.1.0
    helm: { valuesObject: { replicas: 2 } }
`) + `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: { name: envs, namespace: argocd }
spec:
  generators:
    - list: { elements: [{ env: dev }, { env: qa }] }
  template:
    metadata: { name: "web-{{env}}" }
    spec:
      project: default
      destination: { server: https://kubernetes.default.svc, namespace: "{{env}}" }
      source: { repoURL: "${REPO}", path: kapp, kustomize: { namePrefix: "{{env}}-" } }
---
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: { name: folders, namespace: argocd }
spec:
  goTemplate: true
  generators:
    - git: { repoURL: "${REPO}", revision: HEAD, directories: [{ path: "k*" }, { path: kustomize-old, exclude: true }] }
  template:
    metadata: { name: "{{.path.basename}}" }
    spec:
      project: default
      destination: { server: https://kubernetes.default.svc, namespace: "{{.path.basename}}" }
      source: { repoURL: "${REPO}", path: "{{.path.path}}", kustomize: { namePrefix: "{{.path.basename}}-" } }
---
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: { name: clusters, namespace: argocd }
spec:
  generators: [{ clusters: {} }]
  template: { metadata: { name: x }, spec: { project: default, destination: {}, source: { repoURL: "${REPO}", path: kapp } } }
`,
};

async function setUp() {
  const root = writeTree(FILES);
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'argo-render-'));
  await packageCharts(path.join(work, 'charts'));
  return { root, fetch: { cacheDir: path.join(work, 'cache'), chartDir: path.join(work, 'charts'), offline: true } };
}

describe('Argo CD Applications rendered as the repo-server does', () => {
  it('Helm valueFiles, then values, then parameters; kustomize options; a Helm repository chart; list and Git directory ApplicationSets', async () => {
    const { root, fetch } = await setUp();
    const snap = await readSnapshot(root);
    const model = buildRepoModel({ paths: snap.files, text: snap.text, selfUrls: [REPO] });
    const docs = model.manifests.filter((d) => d.file === 'argocd/apps.yaml').map((d) => placed(d.object, d));
    const r = await renderApplications('argocd', docs, model, { snap, tools: await toolbox(), fetch }, indexByKind(model.manifests));
    const dep = (name: string) => r.docs.find((d) => d.object.kind === 'Deployment' && get(d.object, 'metadata', 'name') === name);
    const helm = dep('web-prod');
    assert.equal(get(helm?.object, 'metadata', 'namespace'), 'prod');
    assert.equal(get(helm?.object, 'spec', 'replicas'), 3);
    assert.equal(get(helm?.object, 'spec', 'template', 'spec', 'containers', 0, 'image'), 'example/app:9.9');
    assert.equal(get(helm?.object, 'spec', 'template', 'spec', 'containers', 0, 'env', 0, 'value'), 'error');
    assert.equal(helm?.file, 'charts/app/templates/deployment.yaml');
    const kust = dep('prod-web');
    assert.equal(get(kust?.object, 'metadata', 'namespace'), 'prod');
    assert.equal(get(kust?.object, 'metadata', 'labels', 'team'), 'web');
    assert.equal(get(kust?.object, 'spec', 'template', 'spec', 'containers', 0, 'image'), 'registry.local/nginx:1.27');
    assert.equal(kust?.file, 'kapp/deployment.yaml');
    assert.equal(get(dep('repo-chart')?.object, 'spec', 'replicas'), 2);
    assert.equal(dep('repo-chart')?.file, 'argocd/apps.yaml');
    assert.ok(dep('dev-web') && dep('qa-web'), 'one Application per list element');
    assert.ok(dep('kapp-web'), 'one Application per folder of this repository matching the Git directory generator');
    assert.ok(!r.docs.some((d) => get(d.object, 'metadata', 'name') === 'kustomize-old-web'));
    const messages = r.validations.map((v) => `${v.status} ${v.message}`);
    assert.ok(messages.some((m) => /^pass Application repo-chart: helm template of webapp 0\.1\.0 \(chart webapp 0\.1\.0 of https:\/\/charts\.example\.com, from the chart dir\)/.test(m)), messages.join('\n'));
    assert.ok(messages.some((m) => /^skipped ApplicationSet clusters: generators clusters are expanded by the controller at run time/.test(m)), messages.join('\n'));
    assert.equal(r.validations.filter((v) => v.status === 'fail').length, 0);
  });

  it('the workloads of Applications meet the checklist where they come from', async () => {
    const { root, fetch } = await setUp();
    const report = await validateRepository({ root, fetch });
    const limits = report.findings.filter((f) => f.check === 'resource-requests-limits');
    // One finding per place in the sources: the kustomize folder's once (with every target it appears in), the chart's, the fetched chart's at its Application.
    assert.deepEqual(limits.map((f) => `${f.file}`).sort(), ['argocd/apps.yaml', 'charts/app/templates/deployment.yaml', 'kapp/deployment.yaml']);
    assert.deepEqual(limits.find((f) => f.file === 'argocd/apps.yaml')?.resource, 'Deployment/repo-chart');
  });

  it("reads Argo CD's image overrides", () => {
    assert.deepEqual(kustomizeImage('nginx=registry.local/nginx:1.27'), { name: 'nginx', newName: 'registry.local/nginx', newTag: '1.27' });
    assert.deepEqual(kustomizeImage('nginx:1.27'), { name: 'nginx', newTag: '1.27' });
  });
});
