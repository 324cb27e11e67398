// GitRepository `ref.semver`, as source-controller resolves it: the highest tag whose version
// satisfies the range (numeric order, pre-releases and tags that are not versions left out), fetched
// from the real `git http-backend` on loopback; offline, the last resolution from the cache; a range
// that no tag matches, or that is not a range, is skipped naming it. And a chart version range
// resolved in the --chart-dir as helm resolves it.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clearValidationCache, validateRepository } from '../validation';
import { fetchChart } from '../validation/fetch-charts';
import { startGitHttp, type Server } from './helpers/chart-servers';
import { writeTree } from './helpers/repo';

const deployment = (tag: string) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: api, labels: { app: api } }
spec:
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec: { containers: [{ name: api, image: "ghcr.io/acme/api:${tag}" }] }
`;

const consumer = (url: string, semver: string) => `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: { name: shared, namespace: apps }
spec: { interval: 1h, url: "${url}", ref: { semver: "${semver}" } }
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: { name: api, namespace: apps }
spec: { interval: 1h, path: ./app, prune: true, sourceRef: { kind: GitRepository, name: shared } }
`;

describe('GitRepository ref.semver', () => {
  let work: string;
  let server: Server;
  let url: string;

  before(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'fetch-semver-'));
    const src = path.join(work, 'src');
    const git = (...args: string[]) => execa('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: src });
    writeTree({ 'app/kustomization.yaml': 'resources: [deployment.yaml]\n', 'app/deployment.yaml': deployment('0.0.0') }, src);
    await git('init', '-q', '-b', 'main');
    // Tags out of order, a pre-release above them, and a tag that is not a version.
    for (const tag of ['v1.0.0', 'v1.10.0', 'v1.2.0', 'v2.0.0-rc.1', 'latest-build']) {
      await fs.writeFile(path.join(src, 'app', 'deployment.yaml'), deployment(tag));
      await git('add', '.');
      await git('commit', '-qm', tag);
      await git('tag', tag);
    }
    await execa('git', ['clone', '-q', '--bare', src, path.join(work, 'served', 'shared.git')]);
    server = await startGitHttp(path.join(work, 'served'));
    url = `${server.url}/shared.git`;
  });

  after(async () => {
    await server?.stop();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  const run = async (semver: string, cache: string, offline = false) => {
    clearValidationCache();
    const repo = writeTree({ 'apps/kustomization.yaml': 'resources: [sources.yaml]\n', 'apps/sources.yaml': consumer(url, semver) }, await fs.mkdtemp(path.join(work, 'repo-')));
    const r = await validateRepository({ root: repo, fetch: { cacheDir: path.join(work, cache), offline } });
    return { v: r.validations.find((x) => x.message.startsWith('Kustomization apps/api:')), r };
  };

  it('resolves the highest matching tag (1.10.0 above 1.2.0; not the pre-release) and builds that commit', async () => {
    const { v, r } = await run('>=1.0.0, <2.0.0', 'c1');
    assert.equal(v?.status, 'pass', v?.message);
    assert.match(v?.message ?? '', /at [0-9a-f]{12}, tag v1\.10\.0 for semver ">=1\.0\.0, <2\.0\.0" \(from the network\)/);
    assert.ok(r.findings.some((f) => f.resource === 'Deployment/api'), 'its objects are judged');
    const tilde = await run('~1.2', 'c1');
    assert.match(tilde.v?.message ?? '', /tag v1\.2\.0 for semver "~1\.2"/);
  });

  it('offline, the last resolution comes from the cache; never fetched is skipped', async () => {
    const { v } = await run('>=1.0.0, <2.0.0', 'c1', true);
    assert.equal(v?.status, 'pass', v?.message);
    assert.match(v?.message ?? '', /tag v1\.10\.0 for semver ">=1\.0\.0, <2\.0\.0" \(from the cache\)/);
    const cold = await run('>=1.0.0, <2.0.0', 'cold', true);
    assert.equal(cold.v?.status, 'skipped');
    assert.match(cold.v?.message ?? '', /at semver ">=1\.0\.0, <2\.0\.0": not in the cache, and --offline forbids the network/);
  });

  it('a range no tag matches, or no range at all, is skipped naming it', async () => {
    const none = await run('>=3.0.0', 'c2');
    assert.equal(none.v?.status, 'skipped');
    assert.match(none.v?.message ?? '', /at semver ">=3\.0\.0": no tag matches \(tags: .*v1\.10\.0.*\)/);
    const bad = await run('not a range', 'c2');
    assert.equal(bad.v?.status, 'skipped');
    assert.match(bad.v?.message ?? '', /"not a range" is not a semver range/);
  });
});

describe('version ranges in the chart dir', () => {
  it('a range takes the highest satisfying archive, as helm resolves it; an exact version that one; none matching falls through to the cache', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'chart-dir-'));
    try {
      for (const v of ['0.1.0', '0.10.0', '0.9.1', '1.0.0', '1.1.0-rc.1']) await fs.writeFile(path.join(dir, `webapp-${v}.tgz`), v);
      const settings = { cacheDir: path.join(dir, 'cache'), chartDir: dir, offline: true };
      const pick = async (version: string) => {
        const got = await fetchChart({ kind: 'helm', url: 'https://charts.example.com', chart: 'webapp', version, oci: false, insecure: false }, undefined, settings);
        return 'skipped' in got ? got.skipped : `${got.version} from the ${got.from}`;
      };
      assert.equal(await pick('>=0.1.0, <1.0.0'), '0.10.0 from the chart dir');
      assert.equal(await pick('~0.9'), '0.9.1 from the chart dir');
      assert.equal(await pick('1.x'), '1.0.0 from the chart dir');
      assert.equal(await pick('0.1.0'), '0.1.0 from the chart dir');
      assert.match(await pick('>=2.0.0'), /chart webapp >=2\.0\.0 of https:\/\/charts\.example\.com: not in the chart dir .* or the cache, and --offline forbids the network/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
