// Turning command-line flags and spec files into validated workflow inputs, before anything starts.
// Every problem becomes one UsageError line naming the flag or field and the fix.
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { defaultBranch, slug, type FeatureInput } from '../core/feature';
import { runSource, type SourceFlags } from './sources';
import { UsageError, existingDir, readYamlFile, zodLine } from './usage';
import { FeatureSpec, scopeProblems, scopeSlug } from '../core/feature-spec';
import { durationMs } from '../core/duration';
import { IMPLEMENTERS, ImplementorInput, ImplementorOptions, RelativePath, ServiceSpec } from '../core/schemas';

export { UsageError, existingDir, readYamlFile, zodLine } from './usage';

export function parseSpecFile(file: string): ServiceSpec {
  const parsed = ServiceSpec.safeParse(readYamlFile(file, '--spec'));
  if (!parsed.success) throw new UsageError(zodLine(`--spec ${file}`, parsed.error));
  return parsed.data;
}

/** Scope files of a remote: the lexical rules here, the rest on the worker. */
function lexicalFiles(files: string[]): string[] {
  for (const f of files) {
    const lexical = RelativePath.safeParse(f);
    if (!lexical.success) throw new UsageError(`--files ${f}: ${lexical.error.issues[0]?.message}`);
  }
  return files;
}

/** Scope files: relative to the infra root and inside it (symlinks included). */
export function scopeFiles(infraRoot: string, files: string[]): string[] {
  return files.map((f) => {
    const lexical = RelativePath.safeParse(f);
    if (!lexical.success) throw new UsageError(`--files ${f}: ${lexical.error.issues[0]?.message}`);
    let probe = path.resolve(infraRoot, f);
    while (!existsSync(probe)) probe = path.dirname(probe);
    const real = realpathSync(probe);
    if (real !== infraRoot && !real.startsWith(infraRoot + path.sep)) throw new UsageError(`--files ${f}: leads outside the infra root through a symlink`);
    return f;
  });
}

export interface ImplementFlags extends SourceFlags {
  feature?: string;
  scope?: string;
  files?: string;
  reposRoot?: string;
  parentId?: string;
  spec?: string;
  implementer?: string;
  maxAttempts?: string;
  maxTurns?: string;
  humanDeadline?: string;
  budgetUsd?: string;
  remind?: string;
  hostTimeout?: string;
  allowNewEnvironment?: boolean;
}

export function implementInput(flags: ImplementFlags, env: NodeJS.ProcessEnv = process.env): ImplementorInput {
  for (const [flag, value] of [['--feature', flags.feature], ['--scope', flags.scope]] as const) {
    if (!value || !value.trim()) throw new UsageError(`${flag} is required`);
  }
  const implementer = flags.implementer ?? 'scaffold';
  if (!(IMPLEMENTERS as readonly string[]).includes(implementer)) throw new UsageError(`--implementer ${implementer}: use one of ${IMPLEMENTERS.join(', ')}`);
  if (implementer === 'anthropic' && !env.ANTHROPIC_API_KEY) {
    throw new UsageError('--implementer anthropic needs ANTHROPIC_API_KEY in the environment of the worker and of this command');
  }
  const parsedSpec = flags.spec ? parseSpecFile(flags.spec) : undefined;
  const spec = parsedSpec && flags.allowNewEnvironment ? { ...parsedSpec, allowNewEnvironment: true } : parsedSpec;
  const source = runSource(flags, `infra/${slug(spec?.service ?? (flags.scope as string))}`, env);
  const reposRoot = flags.reposRoot ? existingDir(flags.reposRoot, '--repos-root') : undefined;
  const listed = (flags.files ?? '').split(',').map((f) => f.trim()).filter(Boolean);
  // A remote's files are checked by the worker that clones it; a folder's here, symlinks included.
  const files = 'infraRoot' in source ? scopeFiles(source.infraRoot, listed) : lexicalFiles(listed);
  if (implementer === 'scaffold' && !spec) throw new UsageError('--implementer scaffold needs --spec FILE (a service spec); use --implementer anthropic for free-form features');
  const options: Record<string, unknown> = {};
  if (flags.maxAttempts !== undefined) options.maxAttempts = Number(flags.maxAttempts);
  if (flags.maxTurns !== undefined) options.maxTurns = Number(flags.maxTurns);
  if (flags.humanDeadline !== undefined) options.humanDeadline = flags.humanDeadline;
  Object.assign(options, spendingAndReminders(flags));
  if (flags.hostTimeout !== undefined) options.hostTimeout = flags.hostTimeout;
  const parsed = ImplementorInput.safeParse({
    featureDescription: flags.feature,
    scope: flags.scope,
    files,
    ...source,
    ...(reposRoot ? { reposRoot } : {}),
    ...(flags.parentId ? { parentId: flags.parentId } : {}),
    ...(spec ? { spec } : {}),
    implementer,
    options,
  });
  if (!parsed.success) throw new UsageError(zodLine('input', parsed.error));
  return parsed.data;
}

const gitIn = (cwd: string, ...args: string[]) => {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0' } });
  return { ok: r.status === 0, out: (r.stdout ?? '').trim() };
};

/** The infra root of a feature must be in a git repository with a commit to branch from. */
export function gitRepositoryOf(infraRoot: string): string {
  const top = gitIn(infraRoot, 'rev-parse', '--show-toplevel');
  if (!top.ok || !top.out) throw new UsageError(`feature needs a git repository: ${infraRoot} is not one`);
  if (!gitIn(infraRoot, 'rev-parse', '--verify', '-q', 'HEAD^{commit}').ok) throw new UsageError(`feature needs a commit to branch from: ${top.out} has none yet`);
  return top.out;
}

function checkImplementer(implementer: string, where: string, env: NodeJS.ProcessEnv): void {
  if (!(IMPLEMENTERS as readonly string[]).includes(implementer)) throw new UsageError(`${where}: implementer ${implementer}: use one of ${IMPLEMENTERS.join(', ')}`);
  if (implementer === 'anthropic' && !env.ANTHROPIC_API_KEY) {
    throw new UsageError(`${where}: the anthropic implementer needs ANTHROPIC_API_KEY in the environment of the worker and of this command`);
  }
}

/**
 * `feature --spec FILE [--branch NAME]`: the spec parsed, its folders resolved against the spec's
 * folder, and every refusal (repeated service, a new file claimed twice, no git) as one line.
 */
export interface FeatureFlags extends Omit<SourceFlags, 'infraRoot'> {
  spec?: string;
  budgetUsd?: string;
  remind?: string;
  keepBranches?: boolean;
  hostTimeout?: string;
}

export function featureInput(flags: FeatureFlags, env: NodeJS.ProcessEnv = process.env): FeatureInput {
  if (!flags.spec) throw new UsageError('--spec is required');
  const where = `--spec ${flags.spec}`;
  const parsed = FeatureSpec.safeParse(readYamlFile(flags.spec, '--spec'));
  if (!parsed.success) throw new UsageError(zodLine(where, parsed.error));
  const spec = parsed.data;
  const dir = path.dirname(path.resolve(flags.spec));
  const url = flags.repo ?? spec.repo?.url;
  const pr = typeof spec.pullRequest === 'object' ? spec.pullRequest : {};
  const pullRequest = { pullRequest: flags.pullRequest ?? Boolean(spec.pullRequest), forge: flags.forge ?? pr.forge, forgeUrl: flags.forgeUrl ?? pr.apiUrl };
  if (url) return remoteFeatureInput(spec, { ...flags, ...pullRequest, repo: url, base: flags.base ?? spec.repo?.base, subdir: flags.subdir ?? spec.repo?.subdir }, dir, env);
  if (!spec.infraRoot) throw new UsageError(`${where}: infraRoot (a folder) or repo (a Git URL) is required`);
  runSource({ infraRoot: path.resolve(dir, spec.infraRoot), ...(flags.sharedPath ? { sharedPath: true } : {}), ...pullRequest }, '', env);
  const infraRoot = existingDir(path.resolve(dir, spec.infraRoot), `${where}: infraRoot`);
  const reposRoot = spec.reposRoot ? existingDir(path.resolve(dir, spec.reposRoot), `${where}: reposRoot`) : undefined;
  const gitRoot = gitRepositoryOf(infraRoot);
  const problems = scopeProblems(spec.scopes, (f) => existsSync(path.join(infraRoot, f)));
  if (problems.length) throw new UsageError(`${where}: ${problems[0]}`);
  const scopes = featureScopes(spec, where, env, (listed) => scopeFiles(infraRoot, listed));
  const branch = flags.branch ?? spec.branch ?? defaultBranch(spec.feature);
  if (!gitIn(gitRoot, 'check-ref-format', '--branch', branch).ok) throw new UsageError(`--branch ${branch}: not a valid branch name`);
  if (gitIn(gitRoot, 'rev-parse', '--verify', '-q', `refs/heads/${branch}`).ok) throw new UsageError(`--branch ${branch}: the branch already exists in ${gitRoot}; choose another with --branch`);
  return {
    feature: spec.feature, infraRoot, branch, scopes, options: featureOptions(spec, flags, where),
    ...(reposRoot ? { reposRoot } : {}), ...(flags.keepBranches ? { keepBranches: true } : {}),
  };
}

/** `--budget-usd N` and `--remind 1h,10m`, as options (checked with the rest by ImplementorOptions). */
function spendingAndReminders(flags: { budgetUsd?: string; remind?: string }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (flags.budgetUsd !== undefined) {
    const usd = Number(flags.budgetUsd);
    if (!Number.isFinite(usd) || usd <= 0) throw new UsageError(`--budget-usd ${flags.budgetUsd}: must be a positive number of US dollars, e.g. 5 or 0.50`);
    out.budgetUsd = usd;
  }
  if (flags.remind !== undefined) out.reminders = flags.remind.split(',').map((r) => r.trim()).filter(Boolean);
  return out;
}

function featureOptions(spec: FeatureSpec, flags: FeatureFlags, where: string) {
  const options = ImplementorOptions.safeParse({ ...spec.options, ...(flags.hostTimeout ? { hostTimeout: flags.hostTimeout } : {}), ...spendingAndReminders(flags) });
  if (!options.success) throw new UsageError(zodLine(`${where}: options`, options.error));
  return options.data;
}

function featureScopes(spec: FeatureSpec, where: string, env: NodeJS.ProcessEnv, files: (listed: string[]) => string[]): FeatureInput['scopes'] {
  return spec.scopes.map((s, i) => {
    const implementer = s.implementer ?? spec.implementer;
    checkImplementer(implementer, `${where}: scopes[${i}]`, env);
    if (implementer === 'scaffold' && !s.spec) throw new UsageError(`${where}: scopes[${i}] (${s.scope}): the scaffold implementer needs a spec; use implementer: anthropic for free-form scopes`);
    const scopeSpec = s.spec && s.allowNewEnvironment ? { ...s.spec, allowNewEnvironment: true } : s.spec;
    return { scope: s.scope, slug: scopeSlug(s), files: files(s.files), implementer, ...(scopeSpec ? { spec: scopeSpec } : {}) };
  });
}

/** A feature from a Git remote: checked here as far as this machine can (the workers fetch it). */
function remoteFeatureInput(spec: FeatureSpec, flags: FeatureFlags & { repo: string }, dir: string, env: NodeJS.ProcessEnv): FeatureInput {
  const where = `--spec ${flags.spec}`;
  if (spec.infraRoot && !flags.repo) throw new UsageError(`${where}: give either infraRoot or repo, not both`);
  const branch = flags.branch ?? spec.branch ?? defaultBranch(spec.feature);
  const source = runSource({ ...flags, branch }, branch, env);
  if (!('repo' in source)) throw new UsageError(`${where}: repo is required`);
  // Several scopes may well change one shared file (a kustomization): the merge settles it.
  const problems = scopeProblems(spec.scopes, () => true);
  if (problems.length) throw new UsageError(`${where}: ${problems[0]}`);
  const reposRoot = spec.reposRoot ? existingDir(path.resolve(dir, spec.reposRoot), `${where}: reposRoot`) : undefined;
  const { url, base, subdir, push, keepWorkspace, pullRequest } = source.repo;
  return {
    feature: spec.feature, branch, scopes: featureScopes(spec, where, env, lexicalFiles), options: featureOptions(spec, flags, where),
    repo: { url, subdir, push, keepWorkspace, ...(base ? { base } : {}), ...(pullRequest ? { pullRequest } : {}) },
    ...(reposRoot ? { reposRoot } : {}),
  };
}

/**
 * `--run-timeout`: the server ends a run that takes longer, without the workflow's own clean-up,
 * so it must leave room for the human deadline (which ends a waiting run and restores the files).
 */
export function runTimeout(value: string | undefined, humanDeadline: string): string | undefined {
  if (value === undefined) return undefined;
  const ms = durationMs(value);
  if (ms === undefined || ms <= 0) throw new UsageError(`--run-timeout ${value}: must be a duration such as 90m, 12h or 2d`);
  if (ms <= (durationMs(humanDeadline) ?? 0)) {
    throw new UsageError(`--run-timeout ${value}: must be longer than the human deadline (${humanDeadline}), so that a waiting run ends through its deadline and restores the repository; shorten --human-deadline too`);
  }
  return value;
}
