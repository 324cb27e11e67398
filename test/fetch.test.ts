// Fetching what Flux fetches, against real servers on loopback: a chart with a library dependency
// pushed with `helm push` to the CNCF distribution registry and indexed with `helm repo index` on a
// Helm HTTP repository. HelmReleases of both (HelmRepository HTTPS, HelmRepository type oci,
// OCIRepository chartRef) render online into the cache, again offline from the cache with the
// servers gone, and from a --chart-dir; an unreachable chart is skipped with its URL.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exitCodeOf } from '../client/check';
import { clearValidationCache, validateRepository, type ValidationReport } from '../validation';
import { packageCharts, pushChart, startHelmRepository, startRegistry, type Server } from './helpers/chart-servers';
import { BIN } from './helpers/cli-process';
import { freePort } from './helpers/net';
import { writeTree } from './helpers/repo';

const release = (name: string, chart: string) => `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: ${name}
  namespace: apps
spec:
  interval: 1h
${chart}
  values:
    image:
      tag: 2.0.0
`;

function repoFiles(httpRepo: string, registry: string, deadPort: number): Record<string, string> {
  return {
    'apps/kustomization.yaml': 'resources:\n  - sources.yaml\n  - http.yaml\n  - oci.yaml\n  - chartref.yaml\n  - gone.yaml\n',
    'apps/sources.yaml': `apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: web-http
  namespace: apps
spec:
  interval: 1h
  url: ${httpRepo}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: web-oci
  namespace: apps
spec:
  interval: 1h
  type: oci
  insecure: true
  url: oci://${registry}/charts
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: webapp
  namespace: apps
spec:
  interval: 1h
  insecure: true
  url: oci://${registry}/charts/webapp
  ref:
    tag: 0.1.0
  layerSelector:
    mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip
    operation: copy
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata:
  name: gone
  namespace: apps
spec:
  interval: 1h
  url: http://127.0.0.1:${deadPort}/charts
`,
    'apps/http.yaml': release('from-http', '  chart:\n    spec:\n      chart: webapp\n      version: 0.1.0\n      sourceRef:\n        kind: HelmRepository\n        name: web-http'),
    'apps/oci.yaml': release('from-oci', '  chart:\n    spec:\n      chart: webapp\n      version: 0.1.0\n      sourceRef:\n        kind: HelmRepository\n        name: web-oci'),
    'apps/chartref.yaml': release('from-chartref', '  chartRef:\n    kind: OCIRepository\n    name: webapp'),
    'charts/site/Chart.yaml': `apiVersion: v2\nname: site\nversion: 0.1.0\ndependencies:\n  - name: lib-common\n    version: 1.0.0\n    repository: ${httpRepo}\n`,
    'charts/site/values.yaml': 'replicas: 1\nport: 80\nimage: { repository: ghcr.io/example/site, tag: "1.0.0" }\n',
    'charts/site/templates/deployment.yaml': '{{ include "lib-common.deployment" . }}\n',
    'apps/gone.yaml': release('unreachable', '  chart:\n    spec:\n      chart: webapp\n      version: 0.1.0\n      sourceRef:\n        kind: HelmRepository\n        name: gone'),
  };
}

const helmOf = (r: ValidationReport, name: string) => r.validations.filter((v) => v.validator === 'helm' && v.message.startsWith(`HelmRelease apps/${name}:`));
const limitsFindings = (r: ValidationReport) => r.findings.filter((f) => f.check === 'resource-requests-limits' && f.file?.startsWith('apps/')).map((f) => `${f.resource} ${f.file}:${f.line}`).sort();

describe('fetching charts as Flux does', () => {
  let work: string;
  let registry: Server & { host: string };
  let httpRepo: Server & { requests: string[] };
  let repo: string;
  let cacheDir: string;
  let deadPort: number;
  let online: ValidationReport;

  before(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'fetch-test-'));
    const packaged = await packageCharts(path.join(work, 'served'));
    registry = await startRegistry();
    await pushChart(packaged.webapp, registry.host, 'charts');
    httpRepo = await startHelmRepository(path.join(work, 'served'));
    deadPort = await freePort();
    repo = path.join(work, 'repo');
    cacheDir = path.join(work, 'cache');
    writeTree(repoFiles(httpRepo.url, registry.host, deadPort), repo);
    clearValidationCache();
    online = await validateRepository({ root: repo, fetch: { cacheDir } });
  });

  after(async () => {
    await registry?.stop();
    await httpRepo?.stop();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  it('renders releases of an HTTPS Helm repository, an OCI Helm repository and an OCIRepository chartRef, fetched from the network', () => {
    for (const name of ['from-http', 'from-oci', 'from-chartref']) {
      const [v] = helmOf(online, name);
      assert.equal(v?.status, 'pass', v?.message);
      assert.match(v?.message ?? '', /helm template of webapp 0\.1\.0 \(.*, from the (network|cache)\).*: 2 document\(s\)/);
    }
    // The HelmRepository of type oci and the OCIRepository name one artifact: pulled once, then a cache hit.
    assert.match(helmOf(online, 'from-http')[0]?.message ?? '', /from the network/);
    assert.deepEqual(['from-oci', 'from-chartref'].map((n) => /from the (\w+)\)/.exec(helmOf(online, n)[0]?.message ?? '')?.[1]).sort(), ['cache', 'network']);
    assert.ok(httpRepo.requests.includes('/index.yaml') && httpRepo.requests.includes('/webapp-0.1.0.tgz'), httpRepo.requests.join(' '));
  });

  it('checks the rendered workloads (the library chart built in), located at the HelmRelease', () => {
    assert.deepEqual(limitsFindings(online), [
      'Deployment/from-chartref apps/chartref.yaml:1', 'Deployment/from-http apps/http.yaml:1', 'Deployment/from-oci apps/oci.yaml:1',
    ]);
  });

  it('an unreachable chart is skipped with its URL and why, never failed', () => {
    const [v] = helmOf(online, 'unreachable');
    assert.equal(v?.status, 'skipped');
    assert.ok(v?.message.includes(`chart webapp 0.1.0 of http://127.0.0.1:${deadPort}/charts could not be fetched`), v?.message);
    assert.match(v?.message ?? '', /could not be fetched: .*(refused|cannot be reached)/);
    assert.equal(exitCodeOf(online), 1); // the charts' Deployments set no limits: true errors
    assert.deepEqual(online.validations.filter((x) => x.status === 'fail'), []);
  });

  it('a chart folder whose library dependency is not vendored is completed by helm dependency build in the cache, never in the repository', async () => {
    const v = online.validations.find((x) => x.validator === 'helm' && x.target === 'charts/site' && /template/.test(x.message));
    assert.equal(v?.status, 'pass', v?.message);
    assert.match(v?.message ?? '', /1 document\(s\), chart dependencies built in a copy in the cache \(from the network\)/);
    assert.ok(online.findings.some((f) => f.resource === 'Deployment/site' && f.file === 'charts/site/templates/deployment.yaml'));
    assert.deepEqual(await fs.readdir(path.join(repo, 'charts', 'site')), ['Chart.yaml', 'templates', 'values.yaml']);
  });

  it('offline, with the servers stopped, renders the same from the cache', async () => {
    const before = httpRepo.requests.length;
    await registry.stop();
    await httpRepo.stop();
    clearValidationCache();
    const offline = await validateRepository({ root: repo, fetch: { cacheDir, offline: true } });
    for (const name of ['from-http', 'from-oci', 'from-chartref']) assert.match(helmOf(offline, name)[0]?.message ?? '', /from the cache\)/);
    assert.deepEqual(limitsFindings(offline), limitsFindings(online));
    assert.equal(httpRepo.requests.length, before);
    assert.match(helmOf(offline, 'unreachable')[0]?.message ?? '', /not in the chart dir or the cache, and --offline forbids the network/);
    assert.match(offline.validations.find((x) => x.target === 'charts/site' && /template/.test(x.message))?.message ?? '', /\(from the cache\)/);
  });

  it('offline with an empty cache, a --chart-dir holding webapp-0.1.0.tgz serves every release of that chart', async () => {
    clearValidationCache();
    const empty = path.join(work, 'empty-cache');
    const bare = await validateRepository({ root: repo, fetch: { cacheDir: empty, offline: true } });
    assert.equal(helmOf(bare, 'from-http')[0]?.status, 'skipped');
    const site = bare.validations.find((x) => x.target === 'charts/site');
    assert.equal(site?.status, 'skipped');
    assert.ok(site?.message.includes(`lib-common from ${httpRepo.url}) are not vendored in charts/ and not in the cache, and --offline forbids the network`), site?.message);
    assert.ok(helmOf(bare, 'from-chartref')[0]?.message.includes(`oci://${registry.host}/charts/webapp:0.1.0: not in the chart dir`));
    clearValidationCache();
    const withDir = await validateRepository({ root: repo, fetch: { cacheDir: empty, offline: true, chartDir: path.join(work, 'served') } });
    for (const name of ['from-http', 'from-oci', 'from-chartref', 'unreachable']) assert.match(helmOf(withDir, name)[0]?.message ?? '', /from the chart dir\)/);
    assert.equal(limitsFindings(withDir).length, 4); // the unreachable release's chart is the same webapp-0.1.0
    assert.deepEqual(await fs.readdir(empty).catch(() => []), [], 'nothing written to the cache offline');
  });

  it('the CLI takes --offline and --chart-dir (and INFRA_IMPLEMENTOR_CACHE_DIR): exit 1 on the rendered charts\' true errors', async () => {
    const r = await execa(process.execPath, [BIN, 'check', repo, '--offline', '--chart-dir', path.join(work, 'served'), '--format', 'json'], {
      reject: false, env: { INFRA_IMPLEMENTOR_CACHE_DIR: path.join(work, 'cli-cache') },
    });
    assert.equal(r.exitCode, 1, r.stderr);
    const report = JSON.parse(r.stdout) as ValidationReport;
    assert.match(helmOf(report, 'from-chartref')[0]?.message ?? '', /from the chart dir\)/);
    assert.equal(limitsFindings(report).length, 4);
  });
});
