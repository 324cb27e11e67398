// A HelmRelease's spec.chart.spec.valuesFiles, as source-controller builds the chart with them: the
// files merged in order into the chart's default values (replacing its values.yaml unless listed),
// below valuesFrom and values. For a chart of this repository the paths are relative to the
// repository's root; for a chart of a Helm HTTP repository (real `helm repo index`, on loopback) they
// are files inside the chart. A missing file fails naming it, unless ignoreMissingValuesFiles.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { get } from '../core/yaml-docs';
import { buildRepoModel } from '../core/repo-model';
import { clearValidationCache, validateRepository } from '../validation';
import { renderReleases } from '../validation/helm-releases';
import { readSnapshot } from '../validation/snapshot';
import { toolbox } from '../validation/tools';
import { helmBinary, startHelmRepository, type Server } from './helpers/chart-servers';
import { git, gitStatus, writeTree } from './helpers/repo';

const CHART = {
  'charts/app/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 0.1.0\n',
  'charts/app/values.yaml': 'replicas: 1\nimage: { repository: example/app, tag: "1.0" }\nlevel: info\n',
  'charts/app/values-prod.yaml': 'replicas: 3\nimage: { tag: "1.5" }\n',
  'charts/app/templates/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata: { name: {{ .Release.Name }}, labels: { app: {{ .Release.Name }} } }
spec:
  replicas: {{ .Values.replicas }}
  selector: { matchLabels: { app: {{ .Release.Name }} } }
  template:
    metadata: { labels: { app: {{ .Release.Name }} } }
    spec:
      containers:
        - name: main
          image: "{{ .Values.image.repository | default "none" }}:{{ .Values.image.tag }}"
          env: [{ name: LEVEL, value: {{ .Values.level | default "unset" | quote }} }]
`,
};

const release = (name: string, chartSpec: string, rest = '') => `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: { name: ${name}, namespace: apps }
spec:
  interval: 1h
  chart:
    spec:
${chartSpec}
${rest}---
`;

const local = (files: string, extra = '') => `      chart: ./charts/app\n      sourceRef: { kind: GitRepository, name: flux-system, namespace: flux-system }\n      valuesFiles: ${files}\n${extra}`;

async function releases(files: Record<string, string>, cacheDir: string) {
  const root = writeTree(files, `${cacheDir}-repo`);
  const snap = await readSnapshot(root);
  const model = buildRepoModel({ paths: snap.files, text: snap.text });
  const docs = model.manifests.filter((d) => d.file === 'apps/releases.yaml').map((d) => ({ object: d.object, file: d.file }));
  clearValidationCache();
  return renderReleases('apps', docs, model, { snap, tools: await toolbox(), fetch: { cacheDir, offline: true } });
}

describe('HelmRelease valuesFiles', () => {
  let work: string;
  before(async () => { work = await fs.mkdtemp(path.join(os.tmpdir(), 'values-files-')); });
  after(async () => { if (work) await fs.rm(work, { recursive: true, force: true }); });

  it('a chart of this repository: the files (relative to the root) merged in order, then valuesFrom, then values; the chart folder untouched', async () => {
    const r = await releases({
      ...CHART,
      'envs/prod/app.yaml': 'image: { tag: "1.7" }\nlevel: warn\n',
      'apps/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: overrides, namespace: apps }\ndata: { values.yaml: "level: debug\\n" }\n',
      'apps/releases.yaml': release('merged', local('[charts/app/values.yaml, ./charts/app/values-prod.yaml, envs/prod/app.yaml]'), '  valuesFrom: [{ kind: ConfigMap, name: overrides }]\n  values: { image: { repository: example/prod } }\n')
        + release('replaced', local('[charts/app/values-prod.yaml]')),
    }, path.join(work, 'c1'));
    const pass = r.validations.filter((v) => v.status === 'pass');
    assert.equal(pass.length, 2, JSON.stringify(r.validations));
    assert.match(pass[0]?.message ?? '', /chart defaults from valuesFiles charts\/app\/values\.yaml, \.\/charts\/app\/values-prod\.yaml, envs\/prod\/app\.yaml/);
    const [merged, replaced] = ['merged', 'replaced'].map((n) => r.docs.map((d) => d.object).find((o) => o.kind === 'Deployment' && get(o, 'metadata', 'name') === n));
    assert.equal(get(merged, 'spec', 'replicas'), 3, 'values-prod over values.yaml');
    assert.equal(get(merged, 'spec', 'template', 'spec', 'containers', 0, 'image'), 'example/prod:1.7', 'envs file over both, values on top');
    assert.equal(get(merged, 'spec', 'template', 'spec', 'containers', 0, 'env', 0, 'value'), 'debug', 'valuesFrom over the files');
    // Without values.yaml in the list the chart's own defaults are gone, as source-controller builds it.
    assert.equal(get(replaced, 'spec', 'template', 'spec', 'containers', 0, 'image'), 'none:1.5');
    assert.equal(get(replaced, 'spec', 'template', 'spec', 'containers', 0, 'env', 0, 'value'), 'unset');
  });

  it('a missing file fails naming it; with ignoreMissingValuesFiles it is left out and said so', async () => {
    const r = await releases({
      ...CHART,
      'apps/releases.yaml': release('strict', local('[charts/app/values.yaml, envs/gone.yaml]')) + release('lenient', local('[charts/app/values.yaml, envs/gone.yaml]', '      ignoreMissingValuesFiles: true')),
    }, path.join(work, 'c2'));
    const strict = r.validations.find((v) => v.message.startsWith('HelmRelease apps/strict:'));
    assert.equal(strict?.status, 'fail');
    assert.equal(strict?.message, `HelmRelease apps/strict: valuesFiles names envs/gone.yaml, which is not in the source (source-controller: "no values file found at path 'envs/gone.yaml'"; set ignoreMissingValuesFiles: true if that is meant)`);
    const lenient = r.validations.find((v) => v.message.startsWith('HelmRelease apps/lenient:'));
    assert.equal(lenient?.status, 'pass', lenient?.message);
    assert.match(lenient?.message ?? '', /chart defaults from valuesFiles charts\/app\/values\.yaml \(missing, ignored: envs\/gone\.yaml\)/);
  });

  describe('a chart of a Helm HTTP repository: files inside the chart', () => {
    let helmRepo: Server & { requests: string[] };
    before(async () => {
      const src = writeTree(CHART, path.join(work, 'src'));
      await fs.mkdir(path.join(work, 'served'), { recursive: true });
      await execa(await helmBinary(), ['package', path.join(src, 'charts', 'app'), '--destination', path.join(work, 'served')]);
      helmRepo = await startHelmRepository(path.join(work, 'served'));
    });
    after(async () => { await helmRepo?.stop(); });

    it('merged from the chart, rendered and judged; a file the chart lacks fails naming it; the repository is not written', async () => {
      const files = {
        'apps/kustomization.yaml': 'resources: [releases.yaml]\n',
        'apps/releases.yaml': `apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata: { name: charts, namespace: apps }\nspec: { interval: 1h, url: "${helmRepo.url}" }\n---\n`
          + release('remote', '      chart: app\n      version: 0.1.0\n      sourceRef: { kind: HelmRepository, name: charts }\n      valuesFiles: [values.yaml, values-prod.yaml]')
          + release('absent', '      chart: app\n      version: 0.1.0\n      sourceRef: { kind: HelmRepository, name: charts }\n      valuesFiles: [values.yaml, values-staging.yaml]'),
      };
      const repo = writeTree(files, path.join(work, 'repo'));
      await git(repo, 'init', '-q', '-b', 'main');
      await git(repo, 'add', '-A');
      await git(repo, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'releases');
      clearValidationCache();
      const r = await validateRepository({ root: repo, fetch: { cacheDir: path.join(work, 'c3') } });
      const remote = r.validations.find((v) => v.message.startsWith('HelmRelease apps/remote:'));
      assert.equal(remote?.status, 'pass', remote?.message);
      assert.match(remote?.message ?? '', /chart defaults from valuesFiles values\.yaml, values-prod\.yaml/);
      const absent = r.validations.find((v) => v.message.startsWith('HelmRelease apps/absent:'));
      assert.equal(absent?.status, 'fail');
      assert.match(absent?.message ?? '', /valuesFiles names values-staging\.yaml, which is not in the chart/);
      const rendered = r.findings.filter((f) => f.resource === 'Deployment/remote');
      assert.ok(rendered.length > 0, 'the release is rendered and judged');
      assert.equal(await gitStatus(repo), '');
      // Offline from the cache the pulled archive is changed in a copy only: the same merge again.
      const again = await releases(files, path.join(work, 'c3'));
      const dep = again.docs.map((d) => d.object).find((o) => o.kind === 'Deployment' && get(o, 'metadata', 'name') === 'remote');
      assert.equal(get(dep, 'spec', 'replicas'), 3);
      assert.equal(get(dep, 'spec', 'template', 'spec', 'containers', 0, 'image'), 'example/app:1.5');
      assert.match(again.validations.find((v) => v.message.startsWith('HelmRelease apps/remote:'))?.message ?? '', /from the cache\)/);
    });
  });
});
