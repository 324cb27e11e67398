// Git for the feature workflow: one worktree per scope and one for the merge, outside the user's
// checkout (under the worker's state folder), scope commits, merges with YAML-aware conflict
// resolution, the feature commit and the clean-up. The user's HEAD, index and working tree are
// never touched: only worktrees of the same repository and refs are created.
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { Failure } from '../core/failures';
import { launch } from './launcher';
import { commitAs, git, gitOk, identity } from './git-cli';
import { resolveYamlConflict } from '../core/yaml-merge';

export const NOT_A_GIT_REPOSITORY = Failure.NotAGitRepository;
export const BRANCH_EXISTS = Failure.BranchExists;

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
  // Idempotent: a retry after a crash reuses a finished worktree and replaces a half-made one (the
  // caller prunes git's records of removed worktrees once, before adding any).
  if (await isWorktreeOn(dir, branch)) return;
  await fs.rm(dir, { recursive: true, force: true });
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
  await gitOk(gitRoot, ['worktree', 'prune']);
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
    await commitAs(req.dir, ['commit', '-q', '--no-verify', '-F', '-'], { input: req.message });
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

/** The index's conflict stages (1 base, 2 ours, 3 theirs) of every unmerged file, from one `ls-files -u`. */
async function unmergedStages(dir: string): Promise<Map<string, Partial<Record<1 | 2 | 3, string>>>> {
  const out = await gitOk(dir, ['ls-files', '-u', '-z']);
  const files = new Map<string, Partial<Record<1 | 2 | 3, string>>>();
  for (const entry of out.split('\0').filter(Boolean)) {
    const m = /^\d+ ([0-9a-f]+) ([123])\t(.*)$/s.exec(entry);
    if (!m) continue;
    const [, sha, n, file] = m as unknown as [string, string, string, string];
    files.set(file, { ...files.get(file), [Number(n) as 1 | 2 | 3]: sha });
  }
  return files;
}
const unmerged = async (dir: string) => [...(await unmergedStages(dir)).keys()];

/** Contents of many blobs with one `git cat-file --batch` (exact bytes, as UTF-8 text). */
async function readBlobs(dir: string, shas: string[]): Promise<Map<string, string>> {
  const blobs = new Map<string, string>();
  const wanted = [...new Set(shas)];
  if (!wanted.length) return blobs;
  const r = await launch('git', ['cat-file', '--batch'], { cwd: dir, input: `${wanted.join('\n')}\n`, encoding: 'buffer', stripFinalNewline: false, env: { LC_ALL: 'C' } });
  if (r.failed) throw new Error(`git cat-file --batch failed in ${dir}: ${Buffer.from(r.stderr).toString('utf8').trim() || r.message}`);
  const buf = Buffer.from(r.stdout);
  let at = 0;
  for (const sha of wanted) {
    const eol = buf.indexOf(0x0a, at);
    const header = buf.subarray(at, eol).toString('latin1').split(' ');
    if (header[1] === 'missing') throw new Error(`git cat-file: blob ${sha} is missing in ${dir}`);
    const size = Number(header[2]);
    blobs.set(sha, buf.subarray(eol + 1, eol + 1 + size).toString('utf8'));
    at = eol + 1 + size + 1;
  }
  return blobs;
}

/** Additive YAML conflicts (two services appended to one list) resolved in place; returns those resolved. */
async function resolveYaml(dir: string, stages: Map<string, Partial<Record<1 | 2 | 3, string>>>): Promise<string[]> {
  const yamlFiles = [...stages].filter(([f, s]) => /\.ya?ml$/i.test(f) && s[2] && s[3]);
  const blobs = await readBlobs(dir, yamlFiles.flatMap(([, s]) => Object.values(s)));
  const resolved: string[] = [];
  for (const [f, s] of yamlFiles) {
    const conflicted = await fs.readFile(path.join(dir, f), 'utf8');
    const base = s[1] ? blobs.get(s[1]) : undefined;
    const text = resolveYamlConflict({ conflicted, ours: blobs.get(s[2] as string) as string, theirs: blobs.get(s[3] as string) as string, ...(base !== undefined ? { base } : {}) });
    if (text === null) continue;
    await fs.writeFile(path.join(dir, f), text);
    resolved.push(f);
  }
  if (resolved.length) await gitOk(dir, ['add', '--', ...resolved]);
  return resolved;
}

/**
 * Merge a scope branch into the merge worktree. `strategy: 'ours'` keeps the feature side of every
 * conflicting hunk (the scope's other changes still land). A real conflict is left in progress.
 */
export async function mergeScope(req: { dir: string; branch: string; scope: string; strategy?: 'ours' }): Promise<MergeOutcome> {
  return resumeOrMerge(req, await identity(req.dir));
}

async function resumeOrMerge(req: { dir: string; branch: string; scope: string; strategy?: 'ours' }, env: Record<string, string>): Promise<MergeOutcome> {
  const tip = await gitOk(req.dir, ['rev-parse', req.branch]);
  const inProgress = await mergeHead(req.dir);
  if (inProgress === tip && !req.strategy) return { outcome: 'conflict', conflicts: await unmerged(req.dir), autoResolved: [] };
  if (inProgress) await gitOk(req.dir, ['merge', '--abort']);
  if ((await git(req.dir, ['merge-base', '--is-ancestor', tip, 'HEAD'])).ok) return { outcome: 'merged', conflicts: [], autoResolved: [] };
  return mergeInto(req.dir, req.branch, req.scope, env, req.strategy);
}

/**
 * Merge scope branches one after another, in the order given, until one conflicts beyond what the
 * YAML union settles: that one is left in progress for a human and the rest are not started.
 * Idempotent: a retry skips the branches already merged.
 */
export async function mergeScopes(req: { dir: string; scopes: { branch: string; scope: string }[] }): Promise<{
  merged: string[];
  conflict?: { branch: string } & MergeOutcome;
}> {
  const merged: string[] = [];
  const [first, ...rest] = req.scopes;
  if (!first) return { merged };
  const env = await identity(req.dir);
  // The first may be a retry of a merge left in progress: the single-merge path knows that case.
  const r = await resumeOrMerge({ dir: req.dir, ...first }, env);
  if (r.outcome === 'conflict') return { merged, conflict: { branch: first.branch, ...r } };
  merged.push(first.branch);
  const done = new Set((await gitOk(req.dir, ['branch', '--format=%(refname:short)', '--merged', 'HEAD'])).split('\n'));
  for (const s of rest) {
    const outcome = done.has(s.branch) ? { outcome: 'merged' as const, conflicts: [], autoResolved: [] } : await mergeInto(req.dir, s.branch, s.scope, env);
    if (outcome.outcome === 'conflict') return { merged, conflict: { branch: s.branch, ...outcome } };
    merged.push(s.branch);
  }
  return { merged };
}

/** `git merge` of one branch, with additive YAML conflicts resolved; a real conflict is left in progress. */
async function mergeInto(dir: string, branch: string, scope: string, env: Record<string, string>, strategy?: 'ours'): Promise<MergeOutcome> {
  const r = await git(dir, ['merge', '-q', '--no-ff', '--no-verify', ...(strategy ? ['-X', 'ours'] : []), '-m', `Merge scope: ${scope}`, branch], { env });
  if (r.ok) return { outcome: 'merged', conflicts: [], autoResolved: [] };
  const stages = await unmergedStages(dir);
  if (!stages.size) throw new Error(`git merge of ${branch} failed: ${r.err || r.out}`);
  const autoResolved = await resolveYaml(dir, stages);
  let remaining = [...stages.keys()].filter((f) => !autoResolved.includes(f));
  if (remaining.length && strategy === 'ours') {
    // What -X ours cannot settle (modify/delete): the feature side's version, or its absence.
    for (const f of remaining) {
      if (stages.get(f)?.[2]) await gitOk(dir, ['checkout', '--ours', '--', f]);
      else await gitOk(dir, ['rm', '-q', '--cached', '--ignore-unmatch', '--', f]).then(() => fs.rm(path.join(dir, f), { force: true }));
      await git(dir, ['add', '--', f]);
    }
    remaining = [];
  }
  if (remaining.length) return { outcome: 'conflict', conflicts: remaining, autoResolved };
  await gitOk(dir, ['commit', '-q', '--no-edit', '--no-verify'], { env });
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
  await commitAs(req.dir, ['commit', '-q', '--no-edit', '--no-verify']);
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
  const commit = await commitAs(req.dir, ['commit-tree', tree, '-p', req.base, '-F', '-'], { input: req.message });
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
  // Deleting a worktree's folder and pruning is what `git worktree remove --force` does, for all at once.
  const removed = [...req.slugs, '_merge'].map((s) => path.join(root, s)).filter((dir) => existsSync(dir));
  await Promise.all(removed.map((dir) => fs.rm(dir, { recursive: true, force: true })));
  await fs.rm(root, { recursive: true, force: true });
  await git(gitRoot, ['worktree', 'prune']);
  const wanted = [...(req.deleteScopeBranches ? req.slugs.map((s) => scopeBranch(req.workflowId, s)) : []), ...(req.alsoDelete ?? [])];
  const existing = wanted.length ? (await git(gitRoot, ['branch', '--list', '--format=%(refname:short)', ...wanted])).out.split('\n').filter(Boolean) : [];
  const deletedBranches = wanted.filter((b) => existing.includes(b));
  if (deletedBranches.length) await gitOk(gitRoot, ['branch', '-q', '-D', ...deletedBranches]);
  return { removed, deletedBranches };
}
