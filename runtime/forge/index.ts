// The pull request of a run from a remote, opened or updated on its forge: idempotent (an open one
// from the same branch into the same base is updated, never opened twice, so a retry after a crash
// between the request and its answer finds it), with the token from the worker's environment only,
// the body passed through the one redactor, and every failure mapped once to the retry taxonomy.
import { ApplicationFailure } from '@temporalio/common';
import { Failure } from '../../core/failures';
import { apiBase, forgeRemote, tokenVariables, type Forge, type PullRequestTarget } from '../../core/forge';
import { isDraft, pullRequestBody, pullRequestTitle, type ReviewedReport } from '../../core/pull-request-body';
import { MAX_RETRY_DELAY_MS, retryAfterMs } from '../../core/retry-after';
import { redactText } from '../../core/redact';
import type { PullRequestRef } from '../../core/schemas';
import { ForgeHttpError, type ForgeApi, type PullRequestContent } from './api';
import { giteaApi } from './gitea';
import { githubApi } from './github';
import { gitlabApi } from './gitlab';

export interface PullRequestRequest {
  /** The remote the branch was pushed to. */
  url: string;
  target: PullRequestTarget;
  /** The branch to merge into (the run's base) and the run's branch. */
  base: string;
  branch: string;
  reviewed: ReviewedReport;
}

export interface PullRequestResult extends PullRequestRef {
  /** False when an open one was found and updated. */
  created: boolean;
}

const CLIENTS: Record<Forge, (o: { apiUrl: string; repo: string; token: string; signal?: AbortSignal }) => ForgeApi> = {
  github: githubApi, gitlab: gitlabApi, gitea: giteaApi,
};

/** The token for the forge, from the worker's environment; a clear non-retryable failure without one. */
export function forgeToken(forge: Forge, env: NodeJS.ProcessEnv): string {
  const names = tokenVariables(forge);
  const token = names.map((n) => env[n]).find((v) => v && v.trim());
  if (!token) throw ApplicationFailure.nonRetryable(`no ${forge} token: set ${names.join(' or ')} in the worker's environment`, Failure.InvalidInput);
  return token.trim();
}

export async function openPullRequest(req: PullRequestRequest, ctx: { runUrl: string; env: NodeJS.ProcessEnv; signal?: AbortSignal }): Promise<PullRequestResult> {
  const { forge } = req.target;
  const remote = forgeRemote(req.url);
  if (!remote) throw ApplicationFailure.nonRetryable(`${req.url} is not a remote on a forge: no pull request can be opened`, Failure.InvalidInput);
  const token = forgeToken(forge, ctx.env);
  const apiUrl = apiBase(req.target, remote);
  const where = { forge, apiUrl, repo: remote.path };
  const api = CLIENTS[forge]({ apiUrl, repo: remote.path, token, ...(ctx.signal ? { signal: ctx.signal } : {}) });
  const content: PullRequestContent = {
    // The one redactor, with the token among the values to hide: nothing secret reaches the forge.
    title: redactText(pullRequestTitle(req.reviewed.report.feature), [token]),
    body: redactText(pullRequestBody(req.reviewed, ctx.runUrl), [token]),
    draft: isDraft(req.reviewed),
  };
  try {
    const existing = await api.findOpen(req.branch, req.base);
    if (existing) return { ...(await api.update(existing, content)), created: false };
    try {
      return { ...(await api.create(req.branch, req.base, content)), created: true };
    } catch (err) {
      // Opened meanwhile (a lost answer, another attempt): the forge says it exists; find and update it.
      if (!(err instanceof ForgeHttpError) || (err.status !== 409 && err.status !== 422)) throw err;
      const raced = await api.findOpen(req.branch, req.base);
      if (!raced) throw err;
      return { ...(await api.update(raced, content)), created: false };
    }
  } catch (err) {
    throw forgeFailure(err, where, token);
  }
}

/** One failure per cause, with the token never in its message: 429/5xx retried (after Retry-After), 401/403 final. */
export function forgeFailure(err: unknown, where: { forge: Forge; apiUrl: string; repo: string }, token: string): unknown {
  if (!(err instanceof ForgeHttpError)) return err;
  const clean = (m: string) => redactText(m, [token]);
  const said = clean(err.message);
  const names = tokenVariables(where.forge).join(' or ');
  const limited = err.status === 429 || (err.status === 403 && (err.headers.has('retry-after') || err.headers.get('x-ratelimit-remaining') === '0'));
  if (limited || err.status === undefined || err.status >= 500) {
    const delay = retryAfterMs(err.headers) ?? resetDelay(err.headers);
    const what = limited ? `${where.forge} is rate limiting (${err.status}: ${said})` : err.status === undefined ? `${where.apiUrl} cannot be reached (${said})` : `${where.forge} failed (${err.status}: ${said})`;
    return ApplicationFailure.create({ message: `${what}; retried`, type: limited ? Failure.ForgeRateLimited : Failure.ForgeUnavailable, nonRetryable: false, ...(delay !== undefined ? { nextRetryDelay: delay } : {}) });
  }
  if (err.status === 401) return ApplicationFailure.nonRetryable(`${where.forge} refused the token (401: ${said}): set a valid one in ${names} on the workers`, Failure.ForgeDenied);
  if (err.status === 403) {
    return ApplicationFailure.nonRetryable(`the ${where.forge} token may not open pull requests on ${where.repo} (403: ${said}): give it write access to pull requests (GitHub: pull_requests write; GitLab: the api scope and the Developer role; Gitea: write:repository)`, Failure.ForgeDenied);
  }
  // Right after the push a forge may not have indexed the branch yet (Gitea updates its branch table
  // from a queue): a 404 is retried, on the activity's schedule, before it is taken as final.
  if (err.status === 404) {
    return ApplicationFailure.create({
      message: `${where.forge} at ${where.apiUrl} has no repository ${where.repo} or branch to open it from, or the token cannot see them (404: ${said}); retried, as a branch just pushed may not be indexed yet`,
      type: Failure.ForgeUnavailable, nonRetryable: false, nextRetryDelay: 2_000,
    });
  }
  return ApplicationFailure.nonRetryable(`${where.forge} refused the pull request (${err.status}: ${said})`, Failure.ForgeRefused);
}

/** GitHub's primary rate limit: the reset time (epoch seconds) when no Retry-After is given. */
function resetDelay(headers: Headers, now = Date.now()): number | undefined {
  const reset = Number(headers.get('x-ratelimit-reset'));
  if (!Number.isFinite(reset) || reset <= 0 || headers.get('x-ratelimit-remaining') !== '0') return undefined;
  return Math.min(Math.max(reset * 1000 - now, 0), MAX_RETRY_DELAY_MS);
}
