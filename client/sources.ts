// Where a run's files come from, as the command line says it: a folder (--infra-root) for one
// machine or a volume every worker mounts (--shared-path), or a Git remote (--repo) that the worker
// taking the run clones. Every refusal is one line naming the flag.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { GitUrl, RelativePath, RepoSource } from '../core/schemas';
import { pullRequestTarget, type PullRequestFlags } from './pull-request-flags';
import { UsageError, existingDir, zodLine } from './usage';

export interface SourceFlags extends PullRequestFlags {
  infraRoot?: string;
  repo?: string;
  base?: string;
  subdir?: string;
  branch?: string;
  /** Commander's `--no-push`: false when given. */
  push?: boolean;
  keepWorkspace?: boolean;
  sharedPath?: boolean;
}

/** A Temporal address on this machine: a folder given here is a folder the workers see. */
export function isLocalAddress(address: string): boolean {
  const host = address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** A local repository path becomes an absolute path git accepts; URLs (scheme://, user@host:path) stay. */
function gitUrl(value: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value);
  const scp = /^[^/\s]+@[^/\s:]+:/.test(value);
  if (scheme || scp) return value;
  const abs = path.resolve(value);
  if (!existsSync(abs)) throw new UsageError(`--repo ${value}: no such repository (a URL such as https://…, ssh://…, git@host:org/repo.git, file://…, or a local repository path)`);
  return abs;
}

export function runSource(flags: SourceFlags, defaultBranch: string, env: NodeJS.ProcessEnv = process.env): { infraRoot: string } | { repo: RepoSource } {
  if (flags.repo && flags.infraRoot) throw new UsageError('give either --infra-root DIR or --repo URL, not both');
  if (!flags.repo && !flags.infraRoot) throw new UsageError('--infra-root DIR or --repo URL is required');
  if (flags.infraRoot) {
    for (const [flag, given] of [['--base', flags.base], ['--subdir', flags.subdir], ['--branch', flags.branch]] as const) {
      if (given !== undefined) throw new UsageError(`${flag} goes with --repo; with --infra-root the run edits the folder in place`);
    }
    pullRequestTarget(flags, undefined);
    const address = env.TEMPORAL_ADDRESS ?? 'localhost:7233';
    if (!isLocalAddress(address) && !flags.sharedPath) {
      throw new UsageError(`--infra-root ${flags.infraRoot}: Temporal is at ${address}, whose workers cannot see this machine's folders; use --repo URL, or --shared-path if every worker mounts ${flags.infraRoot} at this path`);
    }
    return { infraRoot: existingDir(flags.infraRoot, '--infra-root') };
  }
  const lexical = GitUrl.safeParse(flags.repo);
  if (!lexical.success) throw new UsageError(`--repo: ${lexical.error.issues[0]?.message}`);
  if (flags.subdir !== undefined && flags.subdir !== '' && !RelativePath.safeParse(flags.subdir).success) {
    throw new UsageError(`--subdir ${flags.subdir}: ${RelativePath.safeParse(flags.subdir).error?.issues[0]?.message}`);
  }
  const url = gitUrl(flags.repo as string);
  const pullRequest = pullRequestTarget(flags, { url, push: flags.push !== false, ...(flags.base ? { base: flags.base } : {}) });
  const parsed = RepoSource.safeParse({
    url,
    ...(pullRequest ? { pullRequest } : {}),
    ...(flags.base ? { base: flags.base } : {}),
    subdir: (flags.subdir ?? '').replace(/\/+$/, ''),
    branch: flags.branch ?? defaultBranch,
    push: flags.push !== false,
    keepWorkspace: Boolean(flags.keepWorkspace),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const flag = { base: '--base', branch: '--branch', subdir: '--subdir', url: '--repo' }[String(issue?.path[0])] ?? '--repo';
    throw new UsageError(zodLine(flag, parsed.error).replace(/^(\S+): \w+: /, '$1: '));
  }
  return { repo: parsed.data };
}
