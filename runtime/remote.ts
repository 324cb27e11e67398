// Runs that start from a Git URL: a bare clone of the remote cached under the worker's state dir
// (fetched under a lock, shared by the runs on this worker), a worktree per run on its own branch,
// the commit and the push at the end (never forced, idempotent under retries), and the clean-up.
// Credentials come from the worker's environment only (GIT_SSH_COMMAND, or a token given to git by
// a credential helper that reads INFRA_IMPLEMENTOR_GIT_TOKEN when git asks): never from a run's input.
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import lockfile from 'proper-lockfile';
import { Failure } from '../core/failures';
import { commitAs, git, gitOk } from './git-cli';

export const TOKEN_ENV = 'INFRA_IMPLEMENTOR_GIT_TOKEN';

/** Git with the remote's credentials: the token (if any) reaches git through a helper reading the environment. */
function remoteGit(cwd: string, args: string[], env: Record<string, string> = {}) {
  const helper = process.env[TOKEN_ENV]
    ? ['-c', 'credential.helper=', '-c', `credential.helper=!f() { test "$1" = get && echo username=x-access-token && echo "password=$${TOKEN_ENV}"; }; f`]
    : [];
  return git(cwd, [...helper, ...args], { env });
}

const hash = (s: string, n = 16) => createHash('sha256').update(s).digest('hex').slice(0, n);

/** Where a run's files live on this worker: one folder per workflow id. */
export const workspaceDir = (stateDir: string, workflowId: string) => path.join(stateDir, 'workspaces', hash(workflowId, 20));
const cacheDir = (stateDir: string, url: string) => path.join(stateDir, 'remotes', `${hash(url)}.git`);

// What git says when the remote cannot be had at all (no retry fixes it), else the failure is retried.
const PERMANENT = /repository not found|does not appear to be a git repository|not found|no such file or directory|authentication failed|could not read (username|password)|permission denied|could not resolve host|invalid username or password/i;

function remoteFailure(url: string, err: string): ApplicationFailure {
  const line = err.split('\n').map((l) => l.replace(/^fatal: /, '').trim()).filter(Boolean).slice(0, 2).join('; ');
  const message = `cannot fetch ${url}: ${line || 'git failed'}`;
  return PERMANENT.test(err) ? ApplicationFailure.nonRetryable(message, Failure.RemoteUnavailable) : ApplicationFailure.retryable(message, Failure.RemoteUnavailable);
}

/** Hold the cache of one remote while `fn` runs: fetches and worktree changes of the runs on this worker take turns. */
async function withCache<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  await fs.mkdir(path.dirname(dir), { recursive: true });
  // proper-lockfile: a lock folder beside the cache, refreshed while held, stale after 30 s of silence.
  const release = await lockfile.lock(path.dirname(dir), { lockfilePath: `${dir}.lock`, stale: 30_000, retries: { retries: 600, minTimeout: 50, maxTimeout: 500 } });
  try {
    return await fn();
  } finally {
    await release();
  }
}

/** The cached bare clone of `url`, fetched now; and the remote's default branch. */
async function fetchRemote(stateDir: string, url: string): Promise<{ gitDir: string; head: string }> {
  const gitDir = cacheDir(stateDir, url);
  if (!existsSync(path.join(gitDir, 'HEAD'))) {
    await fs.rm(gitDir, { recursive: true, force: true });
    const init = await git(path.dirname(gitDir), ['init', '-q', '--bare', gitDir]);
    if (!init.ok) throw new Error(`git init ${gitDir}: ${init.err}`);
    await gitOk(gitDir, ['remote', 'add', 'origin', url]);
  }
  // Remote branches go to refs/remotes/origin: a run's own branches in refs/heads never move with a fetch.
  const fetched = await remoteGit(gitDir, ['fetch', '-q', '--prune', 'origin', '+refs/heads/*:refs/remotes/origin/*']);
  if (!fetched.ok) throw remoteFailure(url, fetched.err);
  const symref = await remoteGit(gitDir, ['ls-remote', '--symref', 'origin', 'HEAD']);
  const head = /^ref: refs\/heads\/(\S+)\tHEAD$/m.exec(symref.out)?.[1] ?? 'main';
  return { gitDir, head };
}

export interface RemoteSource {
  url: string;
  /** A branch of the remote, or a commit; the remote's default branch when absent. */
  base?: string;
  /** The infrastructure folder inside the repository ('' for its top). */
  subdir: string;
  /** The run's branch: `infra/<slug>` or `--branch`. */
  branch: string;
}

export interface RemoteWorkspace {
  dir: string;
  infraRoot: string;
  gitDir: string;
  /** The commit the run starts from (a later rebuild starts from this very commit). */
  base: string;
  baseName: string;
}

/** A worktree for the run on its branch at the base; a retry finds a finished one and reuses it. */
export async function openRemoteWorkspace(stateDir: string, req: { source: RemoteSource; workflowId: string }): Promise<RemoteWorkspace> {
  const { source } = req;
  const dir = workspaceDir(stateDir, req.workflowId);
  const gitDir = cacheDir(stateDir, source.url);
  return withCache(gitDir, async () => {
    const { head } = await fetchRemote(stateDir, source.url);
    const baseName = source.base ?? head;
    const resolved = await git(gitDir, ['rev-parse', '--verify', '-q', `refs/remotes/origin/${baseName}^{commit}`]);
    const commit = resolved.ok ? resolved : await git(gitDir, ['rev-parse', '--verify', '-q', `${baseName}^{commit}`]);
    if (!commit.ok || !commit.out) {
      const branches = (await git(gitDir, ['for-each-ref', '--format=%(refname:lstrip=3)', 'refs/remotes/origin/'])).out.split('\n').filter(Boolean);
      throw ApplicationFailure.nonRetryable(`${source.url} has no branch ${baseName} (it has: ${branches.slice(0, 10).join(', ') || 'no branches'})`, Failure.BaseNotFound);
    }
    const base = commit.out;
    // Checked before anything is made on this worker: a wrong folder leaves no workspace behind.
    if (source.subdir && (await git(gitDir, ['cat-file', '-t', `${base}:${source.subdir}`])).out !== 'tree') {
      throw ApplicationFailure.nonRetryable(`${source.url} has no folder ${source.subdir} at ${baseName} (${base.slice(0, 12)})`, Failure.SubdirNotFound);
    }
    const onBranch = existsSync(path.join(dir, '.git')) && (await git(dir, ['symbolic-ref', '-q', 'HEAD'])).out === `refs/heads/${source.branch}`;
    if (!onBranch) {
      await fs.rm(dir, { recursive: true, force: true });
      await gitOk(gitDir, ['worktree', 'prune']);
      await fs.mkdir(path.dirname(dir), { recursive: true });
      await gitOk(gitDir, ['worktree', 'add', '-q', '-B', source.branch, dir, base]);
      await fs.writeFile(path.join(path.dirname(dir), `${path.basename(dir)}.run.json`), JSON.stringify({ workflowId: req.workflowId, url: source.url, created: new Date().toISOString() }));
    }
    const infraRoot = path.join(dir, source.subdir);
    return { dir, infraRoot, gitDir, base, baseName };
  });
}

export interface Delivery {
  remote: string;
  branch: string;
  /** Null when the run changed nothing (there is nothing to commit or push). */
  commit: string | null;
  pushed: boolean;
  /** How to look at the change: a web compare page for known hosts, else a git command. */
  compare: string;
}

/**
 * Commit the workspace on the run's branch and push it. The commit is deterministic (dates from the
 * run, not the clock), so a retry on any worker makes the same commit; a remote branch that already
 * holds it (or the same tree on the same base) is a success, one that moved elsewhere is a
 * `BranchMoved` failure, one the remote refuses a `PushRejected`: never a force push.
 */
export async function deliver(req: { dir: string; gitDir: string; url: string; base: string; branch: string; message: string; date: string; push: boolean }): Promise<Delivery> {
  const date = { GIT_AUTHOR_DATE: req.date, GIT_COMMITTER_DATE: req.date };
  await gitOk(req.dir, ['add', '-A']);
  const tree = await gitOk(req.dir, ['write-tree']);
  const out = (commit: string | null, pushed: boolean): Delivery => ({ remote: req.url, branch: req.branch, commit, pushed, compare: compareHint(req.url, req.base, req.branch) });
  if (tree === (await gitOk(req.dir, ['rev-parse', `${req.base}^{tree}`]))) return out(null, false);
  const commit = await commitAs(req.dir, ['commit-tree', tree, '-p', req.base, '-F', '-'], { input: req.message, env: date });
  await gitOk(req.dir, ['update-ref', `refs/heads/${req.branch}`, commit]);
  if (!req.push) return out(commit, false);
  const remote = await remoteGit(req.gitDir, ['ls-remote', 'origin', `refs/heads/${req.branch}`]);
  if (!remote.ok) throw remoteFailure(req.url, remote.err);
  const tip = remote.out.split('\t')[0];
  if (tip === commit) return out(commit, true);
  if (tip) {
    // Ours from an earlier attempt if it has our tree on our base; anything else is someone else's work.
    await remoteGit(req.gitDir, ['fetch', '-q', 'origin', `+refs/heads/${req.branch}:refs/remotes/origin/${req.branch}`]);
    const [t, p] = [await git(req.gitDir, ['rev-parse', `${tip}^{tree}`]), await git(req.gitDir, ['rev-parse', `${tip}^`])];
    if (t.out === tree && p.out === req.base) return out(tip, true);
    throw ApplicationFailure.nonRetryable(`branch ${req.branch} of ${req.url} moved to ${tip.slice(0, 12)} (not this run's work): nothing was pushed; choose another branch or remove it`, Failure.BranchMoved);
  }
  const pushed = await remoteGit(req.gitDir, ['push', '-q', '--porcelain', 'origin', `${commit}:refs/heads/${req.branch}`]);
  if (pushed.ok) return out(commit, true);
  if (/\[rejected\]|non-fast-forward|fetch first/.test(`${pushed.out}\n${pushed.err}`)) {
    throw ApplicationFailure.nonRetryable(`branch ${req.branch} of ${req.url} moved while this run pushed: nothing was pushed`, Failure.BranchMoved);
  }
  const said = `${pushed.err}\n${pushed.out}`.split('\n').map((l) => l.replace(/^(remote|error|fatal): ?/, '').trim()).filter((l) => l && !/^To |^Done$/.test(l)).slice(0, 3).join('; ');
  if (/remote rejected|pre-receive|hook declined|denied/i.test(`${pushed.out}\n${pushed.err}`)) {
    throw ApplicationFailure.nonRetryable(`${req.url} refused the push of ${req.branch}: ${said}`, Failure.PushRejected);
  }
  throw remoteFailure(req.url, pushed.err || pushed.out);
}

/** A page that shows the change on the hosts people use, else the git command that does. */
export function compareHint(url: string, base: string, branch: string): string {
  const m = /^(?:https:\/\/|git@|ssh:\/\/git@)(github\.com|gitlab\.com)[/:]([^/]+\/[^/]+?)(?:\.git)?\/?$/.exec(url);
  if (m?.[1] === 'github.com') return `https://github.com/${m[2]}/compare/${base}...${branch}`;
  if (m?.[1] === 'gitlab.com') return `https://gitlab.com/${m[2]}/-/compare/${base}...${branch}`;
  return `git fetch ${url} ${branch} && git diff ${base.slice(0, 12)} FETCH_HEAD`;
}

/** Remove a run's worktree and its local branch (what was pushed stays on the remote). */
export async function removeRemoteWorkspace(stateDir: string, req: { workflowId: string; url: string; branch: string }): Promise<{ removed: boolean }> {
  const dir = workspaceDir(stateDir, req.workflowId);
  const gitDir = cacheDir(stateDir, req.url);
  const existed = existsSync(dir);
  await fs.rm(dir, { recursive: true, force: true });
  await fs.rm(`${dir}.run.json`, { force: true });
  if (existsSync(gitDir)) {
    await withCache(gitDir, async () => {
      await git(gitDir, ['worktree', 'prune']);
      await git(gitDir, ['branch', '-q', '-D', req.branch]);
    });
  }
  return { removed: existed };
}

/** Workspaces left behind by runs that are closed (a worker died before its clean-up): removed at worker start. */
export async function sweepWorkspaces(stateDir: string, isOpen: (workflowId: string) => Promise<boolean>): Promise<string[]> {
  const root = path.join(stateDir, 'workspaces');
  const entries = existsSync(root) ? await fs.readdir(root) : [];
  const swept: string[] = [];
  for (const name of entries.filter((n) => n.endsWith('.run.json'))) {
    const meta = JSON.parse(await fs.readFile(path.join(root, name), 'utf8').catch(() => '{}')) as { workflowId?: string; url?: string };
    if (!meta.workflowId || (await isOpen(meta.workflowId).catch(() => true))) continue;
    await fs.rm(path.join(root, name.replace(/\.run\.json$/, '')), { recursive: true, force: true });
    await fs.rm(path.join(root, name), { force: true });
    swept.push(meta.workflowId);
  }
  const remotes = path.join(stateDir, 'remotes');
  if (swept.length && existsSync(remotes)) {
    for (const cache of (await fs.readdir(remotes)).filter((n) => n.endsWith('.git'))) await git(path.join(remotes, cache), ['worktree', 'prune']);
  }
  return swept;
}

/** A file as a run left it: its content, or null when the run deleted it. */
export interface FileChange {
  path: string;
  content: string | null;
}

/** What a run wrote, as it stands now in its workspace (a feature's child returns it to its parent). */
export async function collectChanges(infraRoot: string, paths: string[]): Promise<FileChange[]> {
  const out: FileChange[] = [];
  for (const p of [...paths].sort()) {
    const abs = path.join(infraRoot, p);
    out.push({ path: p, content: existsSync(abs) ? await fs.readFile(abs, 'utf8') : null });
  }
  return out;
}

/**
 * A scope's changes as a commit on its own branch of the cache, from the base, with git's plumbing
 * (a private index, no worktree): deterministic (dates from the run), so a retry or a rebuild on
 * another worker makes the same commit.
 */
export async function commitChanges(req: { gitDir: string; base: string; subdir: string; branch: string; changes: FileChange[]; message: string; date: string }): Promise<{ commit: string; changed: boolean }> {
  const index = path.join(req.gitDir, `index-${hash(req.branch, 12)}`);
  const env = { GIT_INDEX_FILE: index, GIT_AUTHOR_DATE: req.date, GIT_COMMITTER_DATE: req.date };
  await fs.rm(index, { force: true });
  try {
    await gitOk(req.gitDir, ['read-tree', req.base], { env });
    const modes = new Map((await gitOk(req.gitDir, ['ls-files', '-s', '-z'], { env })).split('\0').filter(Boolean).map((l) => {
      const m = /^(\d+) [0-9a-f]+ \d\t(.*)$/s.exec(l);
      return [m?.[2] ?? '', m?.[1] ?? '100644'] as const;
    }));
    for (const c of req.changes) {
      const file = req.subdir ? `${req.subdir}/${c.path}` : c.path;
      if (c.content === null) {
        await gitOk(req.gitDir, ['update-index', '--force-remove', '--', file], { env });
        continue;
      }
      const blob = await gitOk(req.gitDir, ['hash-object', '-w', '--stdin'], { env, input: c.content });
      await gitOk(req.gitDir, ['update-index', '--add', '--cacheinfo', `${modes.get(file) ?? '100644'},${blob},${file}`], { env });
    }
    const tree = await gitOk(req.gitDir, ['write-tree'], { env });
    if (tree === (await gitOk(req.gitDir, ['rev-parse', `${req.base}^{tree}`]))) return { commit: req.base, changed: false };
    const commit = await commitAs(req.gitDir, ['commit-tree', tree, '-p', req.base, '-F', '-'], { env, input: req.message });
    await gitOk(req.gitDir, ['update-ref', `refs/heads/${req.branch}`, commit]);
    return { commit, changed: true };
  } finally {
    await fs.rm(index, { force: true });
  }
}

/** Local branches of a feature's scopes, gone with the feature's workspace. */
export async function deleteBranches(stateDir: string, url: string, branches: string[]): Promise<void> {
  const gitDir = cacheDir(stateDir, url);
  if (!branches.length || !existsSync(gitDir)) return;
  await withCache(gitDir, async () => {
    const existing = (await git(gitDir, ['branch', '--list', '--format=%(refname:short)', ...branches])).out.split('\n').filter(Boolean);
    if (existing.length) await gitOk(gitDir, ['branch', '-q', '-D', ...existing]);
  });
}
