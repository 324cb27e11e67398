// Git for the feature workflow: one worktree per scope and one for the merge, outside the user's
// checkout (under the worker's state folder), scope commits, merges with YAML-aware conflict
// resolution, the feature commit and the clean-up. The user's HEAD, index and working tree are
// never touched: only worktrees of the same repository and refs are created.
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { execa } from 'execa';
import { resolveYamlConflict } from '../core/yaml-merge';

export const NOT_A_GIT_REPOSITORY = 'NotAGitRepository';
export const BRANCH_EXISTS = 'BranchExists';

// Intermediate commits are ours: no user hooks, no signing prompts, no pager, no editor.
const GIT_FLAGS = ['-c', 'commit.gpgsign=false', '-c', 'merge.conflictStyle=diff3', '-c', 'core.hooksPath=/dev/null'];
const FALLBACK_IDENTITY = {
  GIT_AUTHOR_NAME: 'infra-implementor', GIT_AUTHOR_EMAIL: 'infra-implementor@localhost',
  GIT_COMMITTER_NAME: 'infra-implementor', GIT_COMMITTER_EMAIL: 'infra-implementor@localhost',
};

async function git(cwd: string, args: string[], opts: { input?: string; env?: Record<string, string> } = {}) {
  const r = await execa('git', [...GIT_FLAGS, ...args], {
    cwd, reject: false, stripFinalNewline: true,
    env: { GIT_TERMINAL_PROMPT: '0', GIT_EDITOR: 'true', LC_ALL: 'C', ...opts.env },
    ...(opts.input !== undefined ? { input: opts.input } : {}),
  });
  return { ok: r.exitCode === 0, out: String(r.stdout), err: String(r.stderr) };
}

async function gitOk(cwd: string, args: string[], opts: Parameters<typeof git>[2] = {}): Promise<string> {
  const r = await git(cwd, args, opts);
  if (!r.ok) throw new Error(`git ${args.join(' ')} failed in ${cwd}: ${r.err || r.out}`);
  return r.out;
}

/** The committer people configured, else a neutral one: a missing user.email must not fail a run. */
async function identity(cwd: string): Promise<Record<string, string>> {
  return (await git(cwd, ['var', 'GIT_COMMITTER_IDENT'])).ok ? {} : FALLBACK_IDENTITY;
}

export interface ScopeWorktree {
  slug: string;
  dir: string;
  branch: string;
  /** The infra root inside the worktree (the infra root may be a folder of the repository). */
  infraRoot: string;
}

export interface FeatureWorkspace {
  gitRoot: string;
  /** The commit of the user's checkout the work starts from. */
  base: string;
  scopes: ScopeWorktree[];
  /** Where the scope branches are merged, detached at `base`. */
  merge: { dir: string; infraRoot: string };
}

const key = (workflowId: string) => createHash('sha256').update(workflowId).digest('hex').slice(0, 12);
const scopeBranch = (workflowId: string, scopeSlug: string) => `infra-implementor/${key(workflowId)}/${scopeSlug}`;

/** Top level and subfolder of the repository holding `infraRoot`; a clear non-retryable error when there is none. */
export async function repositoryOf(infraRoot: string): Promise<{ gitRoot: string; subdir: string }> {
  const real = await fs.realpath(infraRoot).catch(() => infraRoot);
  const top = existsSync(real) ? await git(real, ['rev-parse', '--show-toplevel']) : { ok: false, out: '', err: '' };
  if (!top.ok || !top.out) throw ApplicationFailure.nonRetryable(`feature needs a git repository: ${infraRoot} is not one`, NOT_A_GIT_REPOSITORY);
  const gitRoot = await fs.realpath(top.out);
  return { gitRoot, subdir: path.relative(gitRoot, real) };
}

async function isWorktreeOn(dir: string, ref: string | null): Promise<boolean> {
  if (!existsSync(path.join(dir, '.git'))) return false;
  const head = await git(dir, ['symbolic-ref', '-q', 'HEAD']);
  return ref === null ? !head.ok : head.out === `refs/heads/${ref}`;
}

async function addWorktree(gitRoot: string, dir: string, branch: string | null, base: string): Promise<void> {
  // Idempotent: a retry after a crash reuses a finished worktree and replaces a half-made one.
  if (await isWorktreeOn(dir, branch)) return;
  await fs.rm(dir, { recursive: true, force: true });
  await gitOk(gitRoot, ['worktree', 'prune']);
  await fs.mkdir(path.dirname(dir), { recursive: true });
  await gitOk(gitRoot, ['worktree', 'add', '-q', ...(branch ? ['-B', branch] : ['--detach']), dir, base]);
}

export async function createFeatureWorkspace(stateDir: string, req: { infraRoot: string; workflowId: string; slugs: string[]; branch: string }): Promise<FeatureWorkspace> {
  const { gitRoot, subdir } = await repositoryOf(req.infraRoot);
  const head = await git(gitRoot, ['rev-parse', '--verify', '-q', 'HEAD^{commit}']);
  if (!head.ok) throw ApplicationFailure.nonRetryable(`feature needs a commit to branch from: ${gitRoot} has none yet`, NOT_A_GIT_REPOSITORY);
  if ((await git(gitRoot, ['rev-parse', '--verify', '-q', `refs/heads/${req.branch}`])).ok) {
    throw ApplicationFailure.nonRetryable(`branch ${req.branch} already exists in ${gitRoot}: choose another with --branch`, BRANCH_EXISTS);
  }
  const root = path.join(stateDir, 'worktrees', key(req.workflowId));
  const scopes: ScopeWorktree[] = [];
  for (const s of req.slugs) {
    const dir = path.join(root, s);
    const branch = scopeBranch(req.workflowId, s);
    await addWorktree(gitRoot, dir, branch, head.out);
    scopes.push({ slug: s, dir, branch, infraRoot: path.join(dir, subdir) });
  }
  const mergeDir = path.join(root, '_merge');
  await addWorktree(gitRoot, mergeDir, null, head.out);
  return { gitRoot, base: head.out, scopes, merge: { dir: mergeDir, infraRoot: path.join(mergeDir, subdir) } };
}

/** Commit what a child wrote on its scope branch; `changed` is false when it wrote nothing. */
export async function commitScope(req: { dir: string; base: string; message: string }): Promise<{ commit: string; changed: boolean }> {
  await gitOk(req.dir, ['add', '-A']);
  if (!(await git(req.dir, ['diff', '--cached', '--quiet'])).ok) {
    await gitOk(req.dir, ['commit', '-q', '--no-verify', '-F', '-'], { input: req.message, env: await identity(req.dir) });
  }
  const commit = await gitOk(req.dir, ['rev-parse', 'HEAD']);
  return { commit, changed: commit !== req.base };
}

export interface MergeOutcome {
  outcome: 'merged' | 'conflict';
  /** Files still in conflict (for the human). */
  conflicts: string[];
  /** Files whose conflict was resolved as the union of both sides' YAML. */
  autoResolved: string[];
}

const mergeHead = async (dir: string) => {
  const r = await git(dir, ['rev-parse', '-q', '--verify', 'MERGE_HEAD']);
  return r.ok ? r.out : null;
};
const unmerged = async (dir: string) => (await gitOk(dir, ['diff', '--name-only', '--diff-filter=U'])).split('\n').filter(Boolean);
const stage = async (dir: string, n: 1 | 2 | 3, file: string) => {
  const r = await git(dir, ['show', `:${n}:${file}`]);
  return r.ok ? `${r.out}\n` : undefined;
};

/** Additive YAML conflicts (two services appended to one list) resolved in place; returns those resolved. */
async function resolveYaml(dir: string, files: string[]): Promise<string[]> {
  const resolved: string[] = [];
  for (const f of files.filter((x) => /\.ya?ml$/i.test(x))) {
    const [base, ours, theirs] = [await stage(dir, 1, f), await stage(dir, 2, f), await stage(dir, 3, f)];
    if (ours === undefined || theirs === undefined) continue;
    const conflicted = await fs.readFile(path.join(dir, f), 'utf8');
    const text = resolveYamlConflict({ conflicted, ours, theirs, ...(base !== undefined ? { base } : {}) });
    if (text === null) continue;
    await fs.writeFile(path.join(dir, f), text);
    await gitOk(dir, ['add', '--', f]);
    resolved.push(f);
  }
  return resolved;
}

/**
 * Merge a scope branch into the merge worktree. `strategy: 'ours'` keeps the feature side of every
 * conflicting hunk (the scope's other changes still land). A real conflict is left in progress.
 */
export async function mergeScope(req: { dir: string; branch: string; scope: string; strategy?: 'ours' }): Promise<MergeOutcome> {
  const tip = await gitOk(req.dir, ['rev-parse', req.branch]);
  const inProgress = await mergeHead(req.dir);
  if (inProgress === tip && !req.strategy) return { outcome: 'conflict', conflicts: await unmerged(req.dir), autoResolved: [] };
  if (inProgress) await gitOk(req.dir, ['merge', '--abort']);
  if ((await git(req.dir, ['merge-base', '--is-ancestor', tip, 'HEAD'])).ok) return { outcome: 'merged', conflicts: [], autoResolved: [] };
  const env = await identity(req.dir);
  const r = await git(req.dir, ['merge', '-q', '--no-ff', '--no-verify', ...(req.strategy ? ['-X', 'ours'] : []), '-m', `Merge scope: ${req.scope}`, tip], { env });
  if (r.ok) return { outcome: 'merged', conflicts: [], autoResolved: [] };
  const files = await unmerged(req.dir);
  if (!files.length) throw new Error(`git merge of ${req.branch} failed: ${r.err || r.out}`);
  const autoResolved = await resolveYaml(req.dir, files);
  let remaining = files.filter((f) => !autoResolved.includes(f));
  if (remaining.length && req.strategy === 'ours') {
    // What -X ours cannot settle (modify/delete): the feature side's version, or its absence.
    for (const f of remaining) {
      if ((await stage(req.dir, 2, f)) !== undefined) await gitOk(req.dir, ['checkout', '--ours', '--', f]);
      else await gitOk(req.dir, ['rm', '-q', '--cached', '--ignore-unmatch', '--', f]).then(() => fs.rm(path.join(req.dir, f), { force: true }));
      await git(req.dir, ['add', '--', f]);
    }
    remaining = [];
  }
  if (remaining.length) return { outcome: 'conflict', conflicts: remaining, autoResolved };
  await gitOk(req.dir, ['commit', '-q', '--no-edit', '--no-verify'], { env });
  return { outcome: 'merged', conflicts: [], autoResolved };
}

const MARKERS = /^(<<<<<<< |\|\|\|\|\|\|\| |>>>>>>> )/m;

/** After a human resolved a conflict in the merge worktree: conclude the merge, or say which files still conflict. */
export async function continueMerge(req: { dir: string; files: string[] }): Promise<{ resolved: boolean; remaining: string[] }> {
  if (!(await mergeHead(req.dir))) return { resolved: true, remaining: [] }; // concluded already (by a retry or by the human)
  const remaining: string[] = [];
  for (const f of new Set([...req.files, ...(await unmerged(req.dir))])) {
    const abs = path.join(req.dir, f);
    if (existsSync(abs) && MARKERS.test(await fs.readFile(abs, 'utf8'))) remaining.push(f);
  }
  if (remaining.length) return { resolved: false, remaining };
  await gitOk(req.dir, ['add', '-A']);
  await gitOk(req.dir, ['commit', '-q', '--no-edit', '--no-verify'], { env: await identity(req.dir) });
  return { resolved: true, remaining: [] };
}

/** Leave a scope out: undo its merge in progress. */
export async function abortMerge(req: { dir: string }): Promise<void> {
  if (await mergeHead(req.dir)) await gitOk(req.dir, ['merge', '--abort']);
}

/**
 * The feature's single commit: the merged tree (with any edits a human made there) on top of
 * `base`, on a new branch. No checkout moves; nothing is pushed. Null when the tree equals base.
 */
export async function commitFeature(req: { dir: string; base: string; branch: string; message: string; gitRoot: string }): Promise<{ commit: string | null }> {
  await gitOk(req.dir, ['add', '-A']);
  const tree = await gitOk(req.dir, ['write-tree']);
  if (tree === (await gitOk(req.dir, ['rev-parse', `${req.base}^{tree}`]))) return { commit: null };
  const existing = await git(req.gitRoot, ['rev-parse', '-q', '--verify', `refs/heads/${req.branch}`]);
  if (existing.ok) {
    // A retry after the branch was made: the same tree on the same base is our own commit.
    const [t, p] = [await gitOk(req.gitRoot, ['rev-parse', `${existing.out}^{tree}`]), await git(req.gitRoot, ['rev-parse', `${existing.out}^`])];
    if (t === tree && p.out === req.base) return { commit: existing.out };
    throw ApplicationFailure.nonRetryable(`branch ${req.branch} already exists in ${req.gitRoot}: choose another with --branch`, BRANCH_EXISTS);
  }
  const commit = await gitOk(req.dir, ['commit-tree', tree, '-p', req.base, '-F', '-'], { input: req.message, env: await identity(req.gitRoot) });
  await gitOk(req.gitRoot, ['branch', req.branch, commit]);
  return { commit };
}

/**
 * Remove the feature's worktrees (found from the workflow id, so this works even when their creation
 * was interrupted) and delete its scope branches unless kept; tolerant of what is already gone.
 */
export async function removeFeatureWorkspace(stateDir: string, req: {
  infraRoot: string; workflowId: string; slugs: string[]; deleteScopeBranches: boolean; alsoDelete?: string[];
}): Promise<{ removed: string[]; deletedBranches: string[] }> {
  const { gitRoot } = await repositoryOf(req.infraRoot);
  const root = path.join(stateDir, 'worktrees', key(req.workflowId));
  const removed: string[] = [];
  for (const dir of [...req.slugs, '_merge'].map((s) => path.join(root, s))) {
    if (!existsSync(dir)) continue;
    await git(gitRoot, ['worktree', 'remove', '--force', '--force', dir]);
    await fs.rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  await fs.rm(root, { recursive: true, force: true });
  await git(gitRoot, ['worktree', 'prune']);
  const branches = [...(req.deleteScopeBranches ? req.slugs.map((s) => scopeBranch(req.workflowId, s)) : []), ...(req.alsoDelete ?? [])];
  const deletedBranches: string[] = [];
  for (const b of branches) if ((await git(gitRoot, ['branch', '-q', '-D', b])).ok) deletedBranches.push(b);
  return { removed, deletedBranches };
}
