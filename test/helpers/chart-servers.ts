// Real chart servers on loopback for the fetch tests: the CNCF distribution registry (built by
// scripts/setup.sh) for OCI charts, pushed with the real `helm push`; a Helm HTTP repository (an
// index.yaml made by the real `helm repo index`) served by a small Node http server; and a Git
// repository served by the real `git http-backend`. Charts come from test/fixtures/charts, packaged with
// the real `helm package` (webapp with its library dependency built in).
import bcrypt from 'bcryptjs';
import { execa, type ResultPromise } from 'execa';
import { createReadStream, existsSync, promises as fs } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { toolbox } from '../../validation/tools';
import { freePort } from './net';
import { until } from './until';

const CHARTS = path.join(import.meta.dirname, '..', 'fixtures', 'charts');
export const REGISTRY_VERSION = '3.1.2';

export async function helmBinary(): Promise<string> {
  const helm = (await toolbox()).helm?.file;
  if (!helm) throw new Error('helm is not installed: run bash scripts/setup.sh');
  return helm;
}

/** Where scripts/setup.sh builds the registry. */
export function registryBinary(): string {
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const bin = process.env.INFRA_IMPLEMENTOR_REGISTRY_BIN ?? path.join(cache, 'infra-implementor', `registry-${REGISTRY_VERSION}`, 'bin', 'registry');
  if (!existsSync(bin)) throw new Error(`no OCI registry at ${bin}: run bash scripts/setup.sh`);
  return bin;
}

/** webapp-0.1.0.tgz (lib-common inside) and lib-common-1.0.0.tgz, packaged into `out`. */
export async function packageCharts(out: string): Promise<{ webapp: string; lib: string }> {
  const helm = await helmBinary();
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'charts-src-'));
  await fs.cp(CHARTS, work, { recursive: true });
  await fs.mkdir(out, { recursive: true });
  await execa(helm, ['dependency', 'build', path.join(work, 'webapp')]);
  await execa(helm, ['package', path.join(work, 'lib-common'), path.join(work, 'webapp'), '--destination', out]);
  await fs.rm(work, { recursive: true, force: true });
  return { webapp: path.join(out, 'webapp-0.1.0.tgz'), lib: path.join(out, 'lib-common-1.0.0.tgz') };
}

export interface Server {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** A folder served over HTTP on loopback; `requests` counts what was asked; with `login`, behind basic auth. */
export async function serveFolder(dir: string, login?: { user: string; password: string }): Promise<Server & { requests: string[] }> {
  const requests: string[] = [];
  const expected = login ? `Basic ${Buffer.from(`${login.user}:${login.password}`).toString('base64')}` : undefined;
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
    requests.push(rel);
    if (expected && req.headers.authorization !== expected) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="charts"' }).end('unauthorized');
      return;
    }
    const file = path.join(dir, path.normalize(rel));
    if (!file.startsWith(dir) || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200);
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`, port, requests,
    stop: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** A Helm HTTP repository of the charts in `dir` (index made by `helm repo index`); with `login`, behind basic auth. */
export async function startHelmRepository(dir: string, login?: { user: string; password: string }): Promise<Server & { requests: string[] }> {
  await execa(await helmBinary(), ['repo', 'index', dir]);
  return serveFolder(dir, login);
}

async function stopProcess(p: ResultPromise): Promise<void> {
  p.kill('SIGTERM');
  await p.catch(() => undefined);
}

/** The distribution registry on loopback, storing in a fresh folder; with `login`, behind htpasswd basic auth. */
export async function startRegistry(login?: { user: string; password: string }): Promise<Server & { host: string }> {
  const port = await freePort();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'registry-'));
  const config = path.join(dir, 'config.yml');
  if (login) await fs.writeFile(path.join(dir, 'htpasswd'), `${login.user}:${bcrypt.hashSync(login.password, 10)}\n`);
  await fs.writeFile(config, [
    'version: 0.1', 'log:', '  level: error', 'storage:', '  filesystem:', `    rootdirectory: ${path.join(dir, 'data')}`,
    'http:', `  addr: 127.0.0.1:${port}`,
    ...(login ? ['auth:', '  htpasswd:', '    realm: test-registry', `    path: ${path.join(dir, 'htpasswd')}`] : []), '',
  ].join('\n'));
  const proc = execa(registryBinary(), ['serve', config], { reject: false, stdout: 'ignore', stderr: 'pipe' });
  await until('the registry to answer /v2/', async () => (await fetch(`http://127.0.0.1:${port}/v2/`).then((r) => r.ok || r.status === 401, () => false)) || undefined, 60_000);
  return {
    url: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}`, port,
    stop: async () => { await stopProcess(proc); await fs.rm(dir, { recursive: true, force: true }); },
  };
}

/** `helm push` a packaged chart to `oci://<host>/<repo>` over plain HTTP (credentials from `env`, e.g. DOCKER_CONFIG). */
export async function pushChart(archive: string, host: string, repo: string, env: Record<string, string> = {}): Promise<void> {
  await execa(await helmBinary(), ['push', archive, `oci://${host}/${repo}`, '--plain-http'], { env });
}

/** The files of `src` committed on `main` of a fresh repository (tagged `tag`), cloned bare to `bare` for a Git server. */
export async function commitBare(src: string, bare: string, tag?: string): Promise<void> {
  const git = (...args: string[]) => execa('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: src });
  await git('init', '-q', '-b', 'main');
  await git('add', '.');
  await git('commit', '-qm', 'initial');
  if (tag) await git('tag', tag);
  await execa('git', ['clone', '-q', '--bare', src, bare]);
}

/**
 * Git's smart HTTP protocol on loopback: the real `git http-backend` run as a CGI per request by a
 * small Node server (Flux's GitRepository takes http(s) and ssh URLs only, so no git://).
 */
export async function startGitHttp(base: string): Promise<Server> {
  const server = http.createServer((req, res) => {
    const [pathInfo = '/', query = ''] = (req.url ?? '/').split('?');
    const cgi = execa('git', ['http-backend'], {
      env: {
        GIT_PROJECT_ROOT: base, GIT_HTTP_EXPORT_ALL: '1', PATH_INFO: pathInfo, QUERY_STRING: query,
        REQUEST_METHOD: req.method ?? 'GET', CONTENT_TYPE: req.headers['content-type'] ?? '', REMOTE_ADDR: '127.0.0.1',
        ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
      },
      input: req, encoding: 'buffer', reject: false,
    });
    void cgi.then((r) => {
      const out = Buffer.from(r.stdout);
      const split = out.indexOf('\r\n\r\n');
      const head = out.subarray(0, split).toString('latin1').split('\r\n');
      const status = Number(/^Status:\s*(\d+)/m.exec(head.join('\n'))?.[1] ?? 200);
      for (const h of head) {
        const [k, ...v] = h.split(':');
        if (k && k.toLowerCase() !== 'status') res.setHeader(k.trim(), v.join(':').trim());
      }
      res.writeHead(status).end(out.subarray(split + 4));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, port, stop: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}
