// A real Gitea on loopback for the pull-request tests: the binary scripts/setup.sh builds into the
// cache, a fresh SQLite instance per test file prepared without a browser (`gitea migrate`, `gitea
// admin user create`, access tokens), an owner with a full token, a reader whose token may only read,
// and repositories made from examples/ and pushed over HTTP.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { freePort } from './net';
import { EXAMPLES, git, gitCopy } from './repo';
import { until } from './until';

export const GITEA_VERSION = '1.27.3';

/** Where scripts/setup.sh caches the build: the binary, and the options/ and templates/ it reads. */
export const giteaCache = () =>
  process.env.INFRA_IMPLEMENTOR_GITEA_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'infra-implementor', `gitea-${GITEA_VERSION}`);

export interface Gitea {
  url: string;
  owner: { name: string; token: string };
  /** A user whose token has the read:repository scope only. */
  reader: { name: string; token: string };
  /** A repository of the owner holding examples/ on main; its clone URL (no credentials). */
  repository(name: string): Promise<string>;
  /** The API as the owner, for the test's own checks. */
  api<T>(method: string, route: string, body?: unknown, token?: string): Promise<{ status: number; body: T }>;
  /** Every request body and header the server logged is not ours to see; the log file is. */
  logFile: string;
  stop(): Promise<void>;
}

export async function startGitea(): Promise<Gitea> {
  const cache = giteaCache();
  const bin = path.join(cache, 'bin', 'gitea');
  if (!existsSync(bin)) throw new Error(`no Gitea at ${bin}: run bash scripts/setup.sh`);
  const work = mkdtempSync(path.join(os.tmpdir(), 'ii-gitea-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = path.join(work, 'app.ini');
  mkdirSync(path.join(work, 'log'));
  writeFileSync(config, [
    'APP_NAME = infra-implementor tests', 'RUN_MODE = prod', `WORK_PATH = ${work}`,
    // The tests run as root here; Gitea refuses that unless told.
    'I_AM_BEING_UNSAFE_RUNNING_AS_ROOT = true',
    '[server]', 'PROTOCOL = http', 'HTTP_ADDR = 127.0.0.1', `HTTP_PORT = ${port}`, `ROOT_URL = ${url}/`,
    'DISABLE_SSH = true', 'START_SSH_SERVER = false', 'OFFLINE_MODE = true', 'LFS_START_SERVER = false',
    `STATIC_ROOT_PATH = ${cache}`, `APP_DATA_PATH = ${path.join(work, 'data')}`,
    '[database]', 'DB_TYPE = sqlite3', `PATH = ${path.join(work, 'gitea.db')}`,
    '[repository]', `ROOT = ${path.join(work, 'repos')}`, 'DEFAULT_BRANCH = main',
    '[security]', 'INSTALL_LOCK = true', `SECRET_KEY = ${randomBytes(24).toString('hex')}`,
    '[service]', 'DISABLE_REGISTRATION = true', '[mailer]', 'ENABLED = false', '[cron]', 'ENABLED = false',
    '[log]', 'MODE = file', 'LEVEL = Info', `ROOT_PATH = ${path.join(work, 'log')}`,
    '[indexer]', 'REPO_INDEXER_ENABLED = false',
    '',
  ].join('\n'));
  const env = { ...process.env, GITEA_WORK_DIR: work, HOME: work, USER: 'root' };
  const admin = (...args: string[]) => execa(bin, [...args, '--config', config], { env, cwd: work });
  await admin('migrate');
  const users = { owner: 'owner', reader: 'reader' };
  for (const [name, isAdmin] of [[users.owner, true], [users.reader, false]] as const) {
    await admin('admin', 'user', 'create', '--username', name, '--password', `pw-${randomBytes(8).toString('hex')}`, '--email', `${name}@example.com`, '--must-change-password=false', ...(isAdmin ? ['--admin'] : []));
  }
  const token = async (name: string, scopes: string) => String((await admin('admin', 'user', 'generate-access-token', '--username', name, '--token-name', `t-${scopes}`, '--scopes', scopes, '--raw')).stdout).trim();
  const owner = { name: users.owner, token: await token(users.owner, 'all') };
  const reader = { name: users.reader, token: await token(users.reader, 'read:repository') };
  const child: ChildProcess = spawn(bin, ['web', '--config', config], { env, cwd: work, stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const api = async <T>(method: string, route: string, body?: unknown, as = owner.token) => {
    const res = await fetch(`${url}/api/v1${route}`, { method, headers: { authorization: `token ${as}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  await until('Gitea to answer', async () => (await fetch(`${url}/api/v1/version`).then((r) => r.ok).catch(() => false)) || undefined, 60_000);
  return {
    url, owner, reader, api, logFile: path.join(work, 'log', 'gitea.log'),
    async repository(name) {
      const made = await api('POST', '/user/repos', { name, default_branch: 'main', private: false });
      if (made.status !== 201) throw new Error(`Gitea refused the repository ${name}: ${made.status} ${JSON.stringify(made.body)}`);
      const work = await gitCopy(EXAMPLES);
      const clone = `${url}/${owner.name}/${name}.git`;
      await git(work, '-c', `http.extraHeader=Authorization: token ${owner.token}`, 'push', '-q', clone, 'main:main');
      return clone;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
