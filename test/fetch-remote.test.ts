// Remote kustomize bases and URL resources, served on loopback by the real `git http-backend` and a Node
// http server: built online (fetched into the cache), again offline from the cache with the servers
// gone, and skipped — naming the URL, never failed — when they cannot be had.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clearValidationCache, validateRepository, type ValidationReport } from '../validation';
import { isRemoteFile, parseRemote } from '../validation/fetch-remote';
import { commitBare, serveFolder, startGitHttp, type Server } from './helpers/chart-servers';
import { freePort } from './helpers/net';
import { writeTree } from './helpers/repo';

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: { name: remote-api, labels: { app: remote-api } }
spec:
  selector: { matchLabels: { app: remote-api } }
  template:
    metadata: { labels: { app: remote-api } }
    spec: { containers: [{ name: api, image: "ghcr.io/acme/api:1.0.0" }] }
`;

const kustomizeOf = (r: ValidationReport, target: string) => r.validations.find((v) => v.validator === 'kustomize' && v.target === target);

describe('remote kustomize bases and URL resources', () => {
  let work: string;
  let daemon: Server;
  let files: Server & { requests: string[] };
  let repo: string;
  let cacheDir: string;
  let online: ValidationReport;

  before(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'fetch-remote-'));
    const src = writeTree({
      'app/kustomization.yaml': 'resources: [deployment.yaml]\n', 'app/deployment.yaml': DEPLOYMENT,
      'charts/hello/Chart.yaml': 'apiVersion: v2\nname: hello\nversion: 0.1.0\n',
      'charts/hello/templates/deployment.yaml': DEPLOYMENT.replace(/remote-api/g, '{{ .Release.Name }}'),
      'charts/umbrella/Chart.yaml': 'apiVersion: v2\nname: umbrella\nversion: 0.1.0\ndependencies: [{ name: lib-common, version: 1.0.0, repository: "https://charts.example.com" }]\n',
      'charts/umbrella/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: u }\n',
    }, path.join(work, 'src'));
    await commitBare(src, path.join(work, 'served', 'bases.git'), 'v1');
    daemon = await startGitHttp(path.join(work, 'served'));
    // A remote base that names a remote base itself; `other/` names none.
    await commitBare(writeTree({
      'base/kustomization.yaml': `resources:\n  - ${daemon.url}/bases.git//app?ref=v1\n`,
      'other/kustomization.yaml': 'resources: [cm.yaml]\n', 'other/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: other }\n',
    }, path.join(work, 'outer-src')), path.join(work, 'served', 'outer.git'), 'v1');
    writeTree({ 'configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: from-url }\ndata: { a: "1" }\n' }, path.join(work, 'files'));
    files = await serveFolder(path.join(work, 'files'));
    const dead = await freePort();
    repo = writeTree({
      'overlay/kustomization.yaml': `resources:\n  - ${daemon.url}/bases.git//app?ref=v1\n  - ${files.url}/configmap.yaml\n`,
      'apps/kustomization.yaml': 'resources: [sources.yaml]\n',
      'apps/sources.yaml': `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: { name: shared-charts, namespace: apps }
spec: { interval: 1h, url: "${daemon.url}/bases.git", ref: { tag: v1 } }
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: { name: hello, namespace: apps }
spec:
  interval: 1h
  chart: { spec: { chart: ./charts/hello, sourceRef: { kind: GitRepository, name: shared-charts } } }
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: { name: team-app, namespace: apps }
spec:
  interval: 1h
  path: ./app
  prune: true
  sourceRef: { kind: GitRepository, name: shared-charts }
  targetNamespace: team
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: { name: umbrella, namespace: apps }
spec:
  interval: 1h
  chart: { spec: { chart: ./charts/umbrella, sourceRef: { kind: GitRepository, name: shared-charts } } }
`,
      'broken/kustomization.yaml': `resources:\n  - http://127.0.0.1:${dead}/nothing.git//app?ref=v1\n`,
      'nested/kustomization.yaml': `resources:\n  - ${daemon.url}/outer.git//base?ref=v1\n`,
    }, path.join(work, 'repo'));
    cacheDir = path.join(work, 'cache');
    clearValidationCache();
    online = await validateRepository({ root: repo, fetch: { cacheDir } });
  });

  after(async () => {
    await daemon?.stop();
    await files?.stop();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  it('builds a root with a remote Git base and a URL resource, and checks what they bring', () => {
    assert.equal(kustomizeOf(online, 'overlay')?.status, 'pass', kustomizeOf(online, 'overlay')?.message);
    assert.match(kustomizeOf(online, 'overlay')?.message ?? '', /2 document\(s\)/);
    assert.ok(online.findings.some((f) => f.check === 'resource-requests-limits' && f.resource === 'Deployment/remote-api' && f.target === 'overlay'));
    assert.deepEqual(files.requests, ['/configmap.yaml']);
  });

  it('a HelmRelease whose chart is a folder of another Git repository renders from a clone at the ref', () => {
    const v = online.validations.find((x) => x.message.startsWith('HelmRelease apps/hello:'));
    assert.equal(v?.status, 'pass', v?.message);
    assert.match(v?.message ?? '', /helm template of hello \(charts\/hello of http:\/\/127\.0\.0\.1:\d+\/bases\.git, from the (network|cache)\)/);
    assert.ok(online.findings.some((f) => f.check === 'resource-requests-limits' && f.resource === 'Deployment/hello' && f.file === 'apps/sources.yaml'));
  });

  it('a Flux Kustomization of another repository is built from a clone at its ref, as the controller builds it', () => {
    const v = online.validations.find((x) => x.message.startsWith('Kustomization apps/team-app:'));
    assert.equal(v?.status, 'pass', v?.message);
    assert.match(v?.message ?? '', /kustomize build of app in http:\/\/127\.0\.0\.1:\d+\/bases\.git at [0-9a-f]{12} \(from the (network|cache)\): 1 document\(s\), as Flux Kustomization apps\/team-app applies it \(targetNamespace team\)/);
    assert.ok(online.findings.some((f) => f.check === 'resource-requests-limits' && f.resource === 'Deployment/remote-api' && f.file === 'apps/sources.yaml'));
  });

  it("a chart of another repository whose dependencies are not vendored is skipped saying so, not failed", () => {
    const v = online.validations.find((x) => x.message.startsWith('HelmRelease apps/umbrella:'));
    assert.equal(v?.status, 'skipped', v?.message);
    assert.match(v?.message ?? '', /chart dependencies not vendored in charts\/ \(lib-common\)/);
  });

  it('a base that cannot be fetched is skipped with its URL and why, never failed', () => {
    const v = kustomizeOf(online, 'broken');
    assert.equal(v?.status, 'skipped');
    assert.match(v?.message ?? '', /remote base http:\/\/127\.0\.0\.1:\d+\/nothing\.git\/\/app\?ref=v1: .* could not be fetched: .+: not built, its objects are not checked/);
    assert.deepEqual(online.validations.filter((x) => x.status === 'fail'), []);
    assert.ok(!online.findings.some((f) => f.check === 'kustomize-build-failed'));
  });

  it('a remote base naming a remote base: both fetched into the cache, kustomize fetches nothing; with the inner one missing offline it is skipped naming it and the base that names it', async () => {
    assert.equal(kustomizeOf(online, 'nested')?.status, 'pass', kustomizeOf(online, 'nested')?.message);
    assert.ok(online.findings.some((f) => f.resource === 'Deployment/remote-api' && f.target === 'nested'));
    // A cache that holds outer.git (fetched for other/) but not bases.git.
    const outerOnly = writeTree({ 'k/kustomization.yaml': `resources:\n  - ${daemon.url}/outer.git//other?ref=v1\n` }, path.join(work, 'outer-only'));
    const partial = path.join(work, 'partial');
    clearValidationCache();
    assert.equal(kustomizeOf(await validateRepository({ root: outerOnly, fetch: { cacheDir: partial } }), 'k')?.status, 'pass');
    clearValidationCache();
    const offline = await validateRepository({ root: repo, fetch: { cacheDir: partial, offline: true } });
    const v = kustomizeOf(offline, 'nested');
    assert.equal(v?.status, 'skipped');
    assert.match(v?.message ?? '', /^remote base http:\/\/127\.0\.0\.1:\d+\/bases\.git\/\/app\?ref=v1: .*not in the cache, and --offline forbids the network \(named by the remote base http:\/\/127\.0\.0\.1:\d+\/outer\.git\/\/base\?ref=v1\): not built/);
  });

  it('offline, with the servers stopped, builds the same from the cache; with an empty cache it is skipped naming the URL', async () => {
    await daemon.stop();
    await files.stop();
    clearValidationCache();
    const offline = await validateRepository({ root: repo, fetch: { cacheDir, offline: true } });
    assert.equal(kustomizeOf(offline, 'overlay')?.message, kustomizeOf(online, 'overlay')?.message);
    assert.equal(kustomizeOf(offline, 'nested')?.status, 'pass', kustomizeOf(offline, 'nested')?.message);
    assert.match(offline.validations.find((x) => x.message.startsWith('HelmRelease apps/hello:'))?.message ?? '', /from the cache\)/);
    assert.deepEqual(offline.findings.map((f) => `${f.check} ${f.resource}`), online.findings.map((f) => `${f.check} ${f.resource}`));
    const empty = await validateRepository({ root: repo, fetch: { cacheDir: path.join(work, 'empty'), offline: true } });
    assert.equal(kustomizeOf(empty, 'overlay')?.status, 'skipped');
    assert.match(kustomizeOf(empty, 'overlay')?.message ?? '', /bases\.git.*not in the cache, and --offline forbids the network/);
  });

  it('offline, a build that would reach for the network itself (kustomize helmCharts) is skipped naming the URL, and no cluster is contacted', async () => {
    const root = writeTree({ 'inflate/kustomization.yaml': 'helmCharts:\n  - { name: podinfo, repo: "https://charts.example.com/podinfo", version: 6.5.0 }\n' }, path.join(work, 'inflate'));
    const r = await validateRepository({ root, fetch: { cacheDir: path.join(work, 'inflate-cache'), offline: true } });
    const v = kustomizeOf(r, 'inflate');
    assert.equal(v?.status, 'skipped', v?.message);
    assert.match(v?.message ?? '', /^helmCharts podinfo in inflate: chart podinfo 6\.5\.0 of https:\/\/charts\.example\.com\/podinfo: not in the chart dir or the cache, and --offline forbids the network/);
    assert.equal(r.validations.find((x) => x.validator === 'kubectl')?.message, 'server-side dry run: --offline (no cluster is contacted)');
  });

  it('reads kustomize remote targets as kustomize does', () => {
    assert.deepEqual(parseRemote('https://github.com/org/repo//deploy/base?ref=v1.2.0'), { repo: 'https://github.com/org/repo', subPath: 'deploy/base', ref: 'v1.2.0' });
    assert.deepEqual(parseRemote('github.com/org/repo/deploy?ref=main'), { repo: 'https://github.com/org/repo', subPath: 'deploy', ref: 'main' });
    assert.deepEqual(parseRemote('git::https://gitlab.com/org/repo.git/k8s?ref=abc'), { repo: 'https://gitlab.com/org/repo.git', subPath: 'k8s', ref: 'abc' });
    assert.deepEqual(parseRemote('git@github.com:org/repo/base'), { repo: 'git@github.com:org/repo', subPath: 'base' });
    assert.ok(isRemoteFile('https://raw.githubusercontent.com/org/repo/main/crds.yaml'));
    assert.ok(!isRemoteFile('https://github.com/org/repo//base?ref=v1'));
  });
});
