// Multi-source Argo CD Applications: a Helm repository's chart (from a --chart-dir) whose valueFiles
// come from another source of the Application with a `ref` — this repository, or another Git
// repository served by the real `git http-backend` on loopback, at its targetRevision — with
// `$ref/path`. A ref no source has, or a missing file (unless ignoreMissingValueFiles), fails naming it.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildRepoModel } from '../core/repo-model';
import { get } from '../core/yaml-docs';
import { renderApplications } from '../validation/argo-render';
import { readSnapshot } from '../validation/snapshot';
import { indexByKind, placed } from '../validation/source-map';
import { toolbox } from '../validation/tools';
import { commitBare, packageCharts, startGitHttp, type Server } from './helpers/chart-servers';
import { writeTree } from './helpers/repo';

const SELF = 'https://git.example.com/acme/gitops.git';

const app = (name: string, valueFiles: string, refSource: string, extra = '') => `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: { name: ${name}, namespace: argocd }
spec:
  project: default
  destination: { server: https://kubernetes.default.svc, namespace: prod }
  sources:
    - repoURL: https://charts.example.com
      chart: webapp
      targetRevision: 0.1.0
      helm:
        valueFiles: ${valueFiles}
${extra}    - ${refSource}
---
`;

describe('multi-source Applications: $ref valueFiles', () => {
  let work: string;
  let server: Server;
  let fetch: { cacheDir: string; chartDir: string; offline: boolean };

  before(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'argo-multi-'));
    await packageCharts(path.join(work, 'charts'));
    fetch = { cacheDir: path.join(work, 'cache'), chartDir: path.join(work, 'charts'), offline: false };
    const src = writeTree({ 'envs/prod/webapp.yaml': 'replicas: 5\nimage: { tag: "3.1.0" }\n' }, path.join(work, 'values-src'));
    await commitBare(src, path.join(work, 'served', 'values.git'), 'v1');
    server = await startGitHttp(path.join(work, 'served'));
  });

  after(async () => {
    await server?.stop();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  async function render(apps: string) {
    const root = writeTree({ 'envs/prod/webapp.yaml': 'replicas: 4\n', 'envs/base.yaml': 'image: { tag: "2.0.0" }\nreplicas: 2\n', 'argocd/apps.yaml': apps }, await fs.mkdtemp(path.join(work, 'repo-')));
    const snap = await readSnapshot(root);
    const model = buildRepoModel({ paths: snap.files, text: snap.text, selfUrls: [SELF] });
    const docs = model.manifests.filter((d) => d.file === 'argocd/apps.yaml').map((d) => placed(d.object, d));
    const r = await renderApplications('argocd', docs, model, { snap, tools: await toolbox(), fetch }, indexByKind(model.manifests));
    const dep = (name: string) => r.docs.map((d) => d.object).find((o) => o.kind === 'Deployment' && get(o, 'metadata', 'name') === name);
    const said = (name: string) => r.validations.find((v) => v.message.startsWith(`Application ${name}:`));
    return { dep, said };
  }

  it('files of this repository (ref values) and of another repository at its tag (ref cfg), merged in order', async () => {
    const { dep, said } = await render(
      app('self', '[$values/envs/base.yaml, $values/envs/prod/webapp.yaml, $values/envs/prod/absent.yaml]', `repoURL: ${SELF}\n      targetRevision: main\n      ref: values`, '        ignoreMissingValueFiles: true\n')
      + app('other', '[$values/envs/base.yaml, $cfg/envs/prod/webapp.yaml]', `repoURL: ${server.url}/values.git\n      targetRevision: v1\n      ref: cfg\n    - repoURL: ${SELF}\n      targetRevision: main\n      ref: values`),
    );
    assert.equal(said('self')?.status, 'pass', said('self')?.message);
    assert.match(said('self')?.message ?? '', /valueFiles \$values\/envs\/prod\/absent\.yaml does not exist: left out \(ignoreMissingValueFiles\)/);
    assert.equal(get(dep('self'), 'spec', 'replicas'), 4);
    assert.equal(get(dep('self'), 'spec', 'template', 'spec', 'containers', 0, 'image'), 'ghcr.io/example/webapp:2.0.0');
    assert.equal(said('other')?.status, 'pass', said('other')?.message);
    assert.equal(get(dep('other'), 'spec', 'replicas'), 5);
    assert.equal(get(dep('other'), 'spec', 'template', 'spec', 'containers', 0, 'image'), 'ghcr.io/example/webapp:3.1.0');
  });

  it('a ref no source has, and a missing file without ignoreMissingValueFiles, fail naming them', async () => {
    const { said } = await render(
      app('typo', '[$vals/envs/base.yaml]', `repoURL: ${SELF}\n      ref: values`)
      + app('gone', '[$values/envs/staging.yaml]', `repoURL: ${SELF}\n      ref: values`),
    );
    assert.equal(said('typo')?.status, 'fail');
    assert.equal(said('typo')?.message, 'Application typo: valueFiles $vals/envs/base.yaml names the source ref "vals", which no source of the Application has (refs: values)');
    assert.equal(said('gone')?.status, 'fail');
    assert.equal(said('gone')?.message, 'Application gone: valueFiles $values/envs/staging.yaml does not exist (Argo CD fails the render; set ignoreMissingValueFiles: true if that is meant)');
  });
});
