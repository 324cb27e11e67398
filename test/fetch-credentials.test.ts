// Registry credentials come from where the user keeps them — Docker's config (DOCKER_CONFIG) or
// Helm's registry config (HELM_REGISTRY_CONFIG), read by helm itself — and never reach a report:
// a real distribution registry behind htpasswd basic auth, a chart pushed with the same credentials.
// HTTPS-index Helm repositories that need a login: through the entry the real `helm repo add
// --password-stdin` wrote in Helm's repositories file (HELM_REPOSITORY_CONFIG), against a Helm
// repository behind basic auth on loopback; the password is in no report and no cache file.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clearValidationCache, validateRepository } from '../validation';
import { execa } from 'execa';
import { helmBinary, packageCharts, pushChart, startHelmRepository, startRegistry, type Server } from './helpers/chart-servers';
import { writeTree } from './helpers/repo';

const LOGIN = { user: 'ci-robot', password: 'pw-4f9c1e-never-in-a-report' };

describe('registry credentials', () => {
  let work: string;
  let registry: Server & { host: string };
  let repo: string;
  let dockerConfig: string;
  const saved = { DOCKER_CONFIG: process.env.DOCKER_CONFIG, HELM_REGISTRY_CONFIG: process.env.HELM_REGISTRY_CONFIG };

  before(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'fetch-creds-'));
    registry = await startRegistry(LOGIN);
    const auths = { auths: { [registry.host]: { auth: Buffer.from(`${LOGIN.user}:${LOGIN.password}`).toString('base64') } } };
    dockerConfig = writeTree({ 'config.json': JSON.stringify(auths) }, path.join(work, 'docker'));
    const packaged = await packageCharts(path.join(work, 'charts'));
    await pushChart(packaged.webapp, registry.host, 'private', { DOCKER_CONFIG: dockerConfig, HELM_REGISTRY_CONFIG: path.join(work, 'none.json') });
    repo = writeTree({
      'apps/kustomization.yaml': 'resources: [app.yaml]\n',
      'apps/app.yaml': `apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: { name: webapp, namespace: apps }
spec: { interval: 1h, insecure: true, url: "oci://${registry.host}/private/webapp", ref: { tag: 0.1.0 } }
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: { name: private, namespace: apps }
spec: { interval: 1h, chartRef: { kind: OCIRepository, name: webapp } }
`,
    }, path.join(work, 'repo'));
  });

  after(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await registry?.stop();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  const release = async (cacheDir: string) => {
    clearValidationCache();
    const r = await validateRepository({ root: repo, fetch: { cacheDir } });
    assert.ok(!JSON.stringify(r).includes(LOGIN.password), 'the password appears nowhere in the report');
    return r.validations.find((v) => v.message.startsWith('HelmRelease apps/private:'));
  };

  it('without credentials the pull is refused: skipped, naming the URL', async () => {
    process.env.DOCKER_CONFIG = path.join(work, 'no-docker');
    process.env.HELM_REGISTRY_CONFIG = path.join(work, 'no-helm.json');
    const v = await release(path.join(work, 'cache-none'));
    assert.equal(v?.status, 'skipped');
    assert.match(v?.message ?? '', new RegExp(`oci://${registry.host}/private/webapp:0\\.1\\.0 could not be fetched: .*(401|unauthorized|basic credential)`, 'i'));
  });

  it("with Docker's config (DOCKER_CONFIG) the chart is pulled and rendered", async () => {
    process.env.DOCKER_CONFIG = dockerConfig;
    process.env.HELM_REGISTRY_CONFIG = path.join(work, 'no-helm.json');
    const v = await release(path.join(work, 'cache-docker'));
    assert.equal(v?.status, 'pass', v?.message);
    assert.match(v?.message ?? '', /from the network/);
  });

  it("with Helm's registry config (HELM_REGISTRY_CONFIG) the chart is pulled and rendered", async () => {
    process.env.DOCKER_CONFIG = path.join(work, 'no-docker');
    process.env.HELM_REGISTRY_CONFIG = path.join(dockerConfig, 'config.json');
    const v = await release(path.join(work, 'cache-helm'));
    assert.equal(v?.status, 'pass', v?.message);
    const blobs = await fs.readdir(path.join(work, 'cache-helm'), { recursive: true });
    for (const f of blobs.filter((b) => b.endsWith('.json'))) assert.ok(!(await fs.readFile(path.join(work, 'cache-helm', f), 'utf8')).includes(LOGIN.password), 'nothing in the cache holds it');
  });
});

describe('Helm HTTP repository credentials', () => {
  const login = { user: 'chart-reader', password: 'pw-7d21aa-never-in-a-cache' };
  let work: string;
  let charts: Server & { requests: string[] };
  let repo: string;
  const saved = process.env.HELM_REPOSITORY_CONFIG;

  before(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'helm-repo-creds-'));
    await packageCharts(path.join(work, 'served'));
    charts = await startHelmRepository(path.join(work, 'served'), login);
    // As a user (or CI) logs in: helm writes the entry, the password read from stdin.
    const add = async (config: string, password: string) => execa(await helmBinary(), ['repo', 'add', 'private', charts.url, '--username', login.user, '--password-stdin', '--repository-config', config, '--repository-cache', path.join(work, 'user-cache')], { input: password, reject: false });
    assert.equal((await add(path.join(work, 'good', 'repositories.yaml'), login.password)).exitCode, 0);
    await fs.mkdir(path.join(work, 'bad'), { recursive: true });
    await fs.writeFile(path.join(work, 'bad', 'repositories.yaml'), (await fs.readFile(path.join(work, 'good', 'repositories.yaml'), 'utf8')).replace(login.password, 'wrong-password'));
    repo = writeTree({
      'apps/kustomization.yaml': 'resources: [app.yaml]\n',
      'apps/app.yaml': `apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: { name: private, namespace: apps }
spec: { interval: 1h, url: "${charts.url}/", secretRef: { name: private-charts } }
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: { name: web, namespace: apps }
spec:
  interval: 1h
  chart: { spec: { chart: webapp, version: 0.1.0, sourceRef: { kind: HelmRepository, name: private } } }
`,
    }, path.join(work, 'repo'));
  });

  after(async () => {
    if (saved === undefined) delete process.env.HELM_REPOSITORY_CONFIG;
    else process.env.HELM_REPOSITORY_CONFIG = saved;
    await charts?.stop();
    if (work) await fs.rm(work, { recursive: true, force: true });
  });

  const release = async (config: string, cache: string, offline = false) => {
    process.env.HELM_REPOSITORY_CONFIG = config;
    clearValidationCache();
    const r = await validateRepository({ root: repo, fetch: { cacheDir: path.join(work, cache), offline } });
    assert.ok(!JSON.stringify(r).includes(login.password), 'the password appears nowhere in the report');
    return r.validations.find((v) => v.message.startsWith('HelmRelease apps/web:'));
  };

  it('without an entry for the repository the pull is refused: skipped, naming the URL', async () => {
    const v = await release(path.join(work, 'none.yaml'), 'c0');
    assert.equal(v?.status, 'skipped');
    assert.match(v?.message ?? '', new RegExp(`chart webapp 0\\.1\\.0 of ${charts.url}/ could not be fetched: .*401`));
  });

  it("through Helm's repositories file the chart is pulled and rendered; offline again from the cache; the password in no cache file", async () => {
    const v = await release(path.join(work, 'good', 'repositories.yaml'), 'c1');
    assert.equal(v?.status, 'pass', v?.message);
    assert.match(v?.message ?? '', /from the network/);
    const offline = await release(path.join(work, 'good', 'repositories.yaml'), 'c1', true);
    assert.match(offline?.message ?? '', /from the cache/);
    for (const f of await fs.readdir(path.join(work, 'c1'), { recursive: true })) {
      const file = path.join(work, 'c1', f);
      if ((await fs.stat(file)).isFile()) assert.ok(!(await fs.readFile(file)).includes(login.password), `${f} does not hold the password`);
    }
  });

  it('a wrong password is skipped naming the entry and the refusal, not the password', async () => {
    const v = await release(path.join(work, 'bad', 'repositories.yaml'), 'c2');
    assert.equal(v?.status, 'skipped');
    assert.match(v?.message ?? '', /through the entry "private" of .*repositories\.yaml\): .*401/);
    assert.ok(!v?.message.includes('wrong-password'));
  });
});
