// `--pull-request`, `--forge` and `--forge-url` of `implement` and `feature` (and a feature spec's
// `pullRequest`): checked here, before anything starts, into the forge the run opens its pull request
// on. The token is never a flag: the workers take it from their environment.
import { resolveForge, type PullRequestTarget } from '../core/forge';
import { PullRequestTarget as TargetSchema } from '../core/schemas';
import { UsageError } from './usage';

export interface PullRequestFlags {
  pullRequest?: boolean;
  forge?: string;
  forgeUrl?: string;
}

/** The three options, as `.option(...PR_OPTIONS.pullRequest)` takes them on both commands. */
export const PR_OPTIONS = {
  pullRequest: ['--pull-request', 'with --repo: after the push, open a pull request (merge request) from the branch into the base, or update the open one; its body is the report'],
  forge: ['--forge <name>', 'with --pull-request: github, gitlab or gitea (Gitea and Forgejo), for hosts other than github.com, gitlab.com and codeberg.org'],
  forgeUrl: ['--forge-url <url>', 'with --pull-request: the forge\'s API base, for GitHub Enterprise (https://ghe.example.com/api/v3) and self-hosted forges'],
} as const;

/** A commit id: a pull request needs a branch to merge into. */
const looksLikeCommit = (base: string) => /^[0-9a-f]{7,40}$/.test(base);

/** The run's pull request, or undefined when none is asked for; every wrong combination is one line. */
export function pullRequestTarget(flags: PullRequestFlags, repo: { url: string; base?: string; push: boolean } | undefined): PullRequestTarget | undefined {
  if (!flags.pullRequest) {
    for (const [flag, given] of [['--forge', flags.forge], ['--forge-url', flags.forgeUrl]] as const) {
      if (given !== undefined) throw new UsageError(`${flag} goes with --pull-request`);
    }
    return undefined;
  }
  if (!repo) throw new UsageError('--pull-request goes with --repo URL: a run on a folder pushes no branch to open it from');
  if (!repo.push) throw new UsageError('--pull-request needs the branch pushed: drop --no-push');
  if (repo.base && looksLikeCommit(repo.base)) throw new UsageError(`--pull-request: --base ${repo.base} looks like a commit; a pull request needs a branch to merge into`);
  const resolved = resolveForge(repo.url, flags.forge);
  if ('problem' in resolved) throw new UsageError(resolved.problem);
  const parsed = TargetSchema.safeParse({ forge: resolved.forge, ...(flags.forgeUrl ? { apiUrl: flags.forgeUrl } : {}) });
  if (!parsed.success) throw new UsageError(`--forge-url ${flags.forgeUrl}: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}
