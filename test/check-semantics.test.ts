// Check semantics for the real world, each on a small repository written here: HelmReleases whose
// chart is in the repository rendered (values and valuesFrom) and checked as workloads, others
// skipped with the reason; charts needing a current Kubernetes render; Argo CD Applications of this
// repository path-checked; workload CRDs (an Argo Rollout) checked; patches checked once applied.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { validateRepository } from '../validation';

function repo(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'ii-semantics-'));
  for (const [f, t] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    writeFileSync(path.join(root, f), t);
  }
  return root;
}

const CHART = {
  'charts/app/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 1.0.0\nkubeVersion: ">=1.23.0-0"\n',
  'charts/app/values.yaml': 'image: ghcr.io/acme/app:1.0.0\nreplicas: 1\nlimits: true\n',
  'charts/app/templates/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  labels: { app: {{ .Release.Name }} }
spec:
  replicas: {{ .Values.replicas }}
  selector: { matchLabels: { app: {{ .Release.Name }} } }
  template:
    metadata: { labels: { app: {{ .Release.Name }} } }
    spec:
      containers:
        - name: app
          image: {{ .Values.image }}
          {{- if .Values.limits }}
          resources: { requests: { cpu: 10m, memory: 16Mi }, limits: { cpu: 100m, memory: 64Mi } }
          {{- end }}
          livenessProbe: { httpGet: { path: /, port: 80 } }
          readinessProbe: { httpGet: { path: /, port: 80 } }
`,
};

const RELEASE = (name: string, extra: string) => `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: ${name}
  namespace: apps
spec:
  interval: 1h
  chart:
    spec:
      chart: ./charts/app
      sourceRef: { kind: GitRepository, name: flux-system, namespace: flux-system }
${extra}`;

describe('HelmReleases', () => {
  it('a release of a chart in the repository is rendered with valuesFrom then values, and its workloads meet the checklist', async () => {
    const root = repo({
      ...CHART,
      'apps/kustomization.yaml': 'resources: [release.yaml, values.yaml]\n',
      'apps/values.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: web-values, namespace: apps }\ndata:\n  values.yaml: |\n    limits: false\n    replicas: 2\n',
      'apps/release.yaml': RELEASE('web', '  valuesFrom: [{ kind: ConfigMap, name: web-values }]\n  values: { replicas: 3 }\n'),
    });
    const r = await validateRepository({ root });
    const helm = r.validations.find((v) => v.validator === 'helm' && v.message.startsWith('HelmRelease apps/web'));
    assert.equal(helm?.status, 'pass', helm?.message);
    assert.match(helm?.message ?? '', /helm template of charts\/app \(Kubernetes v1\.34\.0\): 1 document/);
    const f = r.findings.find((x) => x.check === 'resource-requests-limits' && x.resource === 'Deployment/web');
    assert.ok(f, 'valuesFrom turned the limits off: the rendered Deployment has none');
    assert.equal(f.file, 'charts/app/templates/deployment.yaml');
    assert.equal(f.target, 'apps');
  });

  it('a release whose chart is not in the repository is skipped with the reason, never passed', async () => {
    const root = repo({
      'apps/kustomization.yaml': 'resources: [release.yaml]\n',
      'apps/release.yaml': 'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: { name: db, namespace: apps }\nspec:\n  chart:\n    spec: { chart: postgresql, version: 1.2.3, sourceRef: { kind: HelmRepository, name: bitnami } }\n',
      'apps/repo.yaml': 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata: { name: bitnami, namespace: apps }\nspec: { url: https://charts.example.com }\n',
    });
    const r = await validateRepository({ root, fetch: { offline: true, cacheDir: path.join(root, '.no-cache') } });
    const helm = r.validations.find((v) => v.validator === 'helm' && v.message.startsWith('HelmRelease apps/db'));
    assert.equal(helm?.status, 'skipped');
    assert.match(helm?.message ?? '', /chart postgresql 1\.2\.3 of https:\/\/charts\.example\.com: not in the chart dir or the cache, and --offline forbids the network; its workloads are not checked/);
  });

  it('a chart declaring kubeVersion >=1.23 renders (helm for a current Kubernetes, configurable)', async () => {
    const root = repo(CHART);
    const r = await validateRepository({ root });
    assert.equal(r.validations.find((v) => v.validator === 'helm' && v.target === 'charts/app' && /template/.test(v.message))?.status, 'pass');
    const old = await validateRepository({ root, kubeVersion: '1.20.0' });
    assert.match(old.validations.find((v) => v.validator === 'helm' && v.status === 'fail')?.message ?? '', /incompatible with Kubernetes v1\.20/);
  });
});

describe('GitOps objects', () => {
  it('an Argo CD Application of this repository whose path is missing is gitops-path-missing; one of another repository is not checked', async () => {
    const app = (name: string, url: string, p: string) => `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: { name: ${name} }\nspec:\n  source: { repoURL: ${url}, path: ${p} }\n  destination: { namespace: default }\n---\n`;
    const root = repo({
      'guestbook/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c }\n',
      'apps/apps.yaml': app('fine', 'https://github.com/acme/gitops.git', 'guestbook')
        + app('fire-missing', 'https://github.com/acme/gitops', 'gone') + app('elsewhere', 'https://github.com/other/repo.git', 'nowhere'),
    });
    const r = await validateRepository({ root });
    const fired = r.findings.filter((f) => f.check === 'gitops-path-missing');
    assert.deepEqual(fired.map((f) => f.resource), ['Application/fire-missing']);
    assert.match(fired[0]?.message ?? '', /source path "gone" \(repoURL https:\/\/github\.com\/acme\/gitops, this repository\) does not exist/);
  });

  it('an Argo Rollout is a workload: its Service matches it, and its containers meet the checklist', async () => {
    const root = repo({
      'app/rollout.yaml': 'apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: { name: web }\nspec:\n  selector: { matchLabels: { app: web } }\n  template:\n    metadata: { labels: { app: web } }\n    spec:\n      containers: [{ name: web, image: "ghcr.io/acme/web:1" }]\n---\napiVersion: v1\nkind: Service\nmetadata: { name: web }\nspec:\n  selector: { app: web }\n  ports: [{ port: 80 }]\n',
    });
    const r = await validateRepository({ root });
    assert.equal(r.findings.filter((f) => f.check === 'service-selector-mismatch').length, 0);
    assert.ok(r.findings.some((f) => f.check === 'missing-probes' && f.resource === 'Rollout/web'));
  });

  it('a kustomize patch file (a partial HelmRelease) is not checked as a whole object', async () => {
    const root = repo({
      'base/release.yaml': 'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: { name: web, namespace: apps }\nspec:\n  interval: 1h\n  chart:\n    spec: { chart: web, sourceRef: { kind: HelmRepository, name: charts } }\n',
      'base/repo.yaml': 'apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata: { name: charts, namespace: apps }\nspec: { url: https://charts.example.com }\n',
      'base/kustomization.yaml': 'resources: [release.yaml, repo.yaml]\n',
      'staging/kustomization.yaml': 'resources: [../base]\npatches:\n  - path: values.yaml\n    target: { kind: HelmRelease }\n',
      'staging/values.yaml': 'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: { name: web, namespace: apps }\nspec:\n  values: { replicas: 2 }\n',
    });
    const r = await validateRepository({ root });
    assert.deepEqual(r.validations.filter((v) => v.status === 'fail'), []);
    assert.ok(!r.validations.some((v) => v.target === 'staging/values.yaml' && v.validator === 'flux'));
    assert.deepEqual(r.findings.filter((f) => f.check === 'gitops-path-missing'), []);
  });
});
