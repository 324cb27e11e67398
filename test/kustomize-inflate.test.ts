// `check` never writes into the repository it checks, even where kustomize would: a kustomization
// whose `helmCharts` name a chart of a Helm HTTP repository on loopback (the real `helm repo index`)
// is built with the real kustomize from a copy in the cache, the chart fetched into the cache (and
// read from there offline); the repository's tree, tracked and untracked, is byte for byte the same.
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clearValidationCache, validateRepository, type ValidationReport } from '../validation';
import { packageCharts, startHelmRepository, type Server } from './helpers/chart-servers';
import { git, gitStatus, snapshot, writeTree } from './helpers/repo';

const kustomizeOf = (r: ValidationReport, target: string) => r.validations.find((v) => v.validator === 'kustomize' && v.target === target);

describe('kustomize helmCharts inflation leaves the repository alone', () => {
  let work: string;
  let helmRepo: Server & { requests: string[] };
  let repo: string;

  before(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'inflate-'));
    const packaged = await packageCharts(path.join(work, 'served'));
    helmRepo = await startHelmRepository(path.join(work, 'served'));
    repo = writeTree({
      'web/kustomization.yaml': `helmCharts:\n  - { name: webapp, repo: "${helmRepo.url}", version: 0.1.0, releaseName: web, namespace: web }\n`,
      // A chart vendored in a custom chartHome: kustomize reads it there and fetches nothing.
      'vendored/kustomization.yaml': `helmGlobals: { chartHome: ../third-party }\nhelmCharts:\n  - { name: webapp, repo: "${helmRepo.url}", version: 0.1.0, releaseName: vendored }\n`,
    }, path.join(work, 'repo'));
    await fs.mkdir(path.join(repo, 'third-party', 'webapp-0.1.0'), { recursive: true });
    await git(repo, 'init', '-q', '-b', 'main');
    await execa('tar', ['-xzf', packaged.webapp, '-C', path.join(repo, 'third-party', 'webapp-0.1.0')]);
    await git(repo, 'add', '-A');
    await git(repo, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'helmCharts');
  });

  after(async () => {
    await helmRepo?.stop();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  it('online: both inflate, the chart is pulled into the cache, and the repository is unchanged (git status, every byte)', async () => {
    const before = snapshot(repo);
    clearValidationCache();
    const r = await validateRepository({ root: repo, fetch: { cacheDir: path.join(work, 'cache') } });
    for (const target of ['web', 'vendored']) {
      const v = kustomizeOf(r, target);
      assert.equal(v?.status, 'pass', v?.message);
      assert.match(v?.message ?? '', /kustomize build: [1-9]\d* document\(s\)/);
    }
    assert.ok(r.findings.some((f) => f.check === 'resource-requests-limits' && f.resource?.startsWith('Deployment/')), `the inflated Deployment is judged: ${JSON.stringify(r.findings.map((f) => f.resource))}`);
    assert.equal(await gitStatus(repo), '', 'nothing tracked changed and nothing untracked appeared');
    assert.deepEqual(snapshot(repo), before, 'every file byte for byte, charts/ never created');
    assert.equal(helmRepo.requests.filter((q) => q.endsWith('.tgz')).length, 1, 'one pull, for web; the vendored chart is read from its chartHome');
  });

  it('offline: the chart comes from the cache, with no request; an empty cache is skipped naming the chart and URL', async () => {
    const asked = helmRepo.requests.length;
    clearValidationCache();
    const r = await validateRepository({ root: repo, fetch: { cacheDir: path.join(work, 'cache'), offline: true } });
    assert.equal(kustomizeOf(r, 'web')?.status, 'pass', kustomizeOf(r, 'web')?.message);
    assert.equal(helmRepo.requests.length, asked);
    clearValidationCache();
    const empty = await validateRepository({ root: repo, fetch: { cacheDir: path.join(work, 'empty'), offline: true } });
    const v = kustomizeOf(empty, 'web');
    assert.equal(v?.status, 'skipped');
    assert.equal(v?.message, `helmCharts webapp in web: chart webapp 0.1.0 of ${helmRepo.url}: not in the chart dir or the cache, and --offline forbids the network: not built, its objects are not checked`);
    assert.equal(kustomizeOf(empty, 'vendored')?.status, 'pass', 'a vendored chart needs no network');
    assert.equal(await gitStatus(repo), '');
  });
});
