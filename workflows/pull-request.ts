// After the push, the run's pull request: its own durable step, on any worker (it needs no workspace),
// with the forge's retry taxonomy (429 and 5xx retried after their Retry-After, 401/403 final). A
// pull request that cannot be opened never undoes the push: the report says why, and the branch stays.
import { isCancellation, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities, PullRequestRequest } from '../activities';
import { NON_RETRYABLE } from '../core/failures';
import type { ReviewedReport } from '../core/pull-request-body';
import type { PullRequestRef, RunStatus } from '../core/schemas';
import { failureMessage } from './helpers';
import { LIVENESS_TIMEOUT } from './liveness';

/** Version marker: a run asked for a pull request opens it after the push (runs before it never asked). */
export const PULL_REQUEST = 'pull-request';

const forge = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  heartbeatTimeout: LIVENESS_TIMEOUT,
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 8, nonRetryableErrorTypes: [...NON_RETRYABLE.forge] },
});

/** Runs that leave a branch worth reviewing; `aborted` and `failed` open nothing. */
const opensPullRequest = (status: RunStatus): boolean => status === 'succeeded' || status === 'accepted' || status === 'partial' || status === 'unvalidated';

/** What the report gains: the pull request, or why there is none; and the summary saying so. */
export interface Review {
  summary: string;
  pullRequest?: PullRequestRef;
  pullRequestError?: string;
}

/**
 * Open (or update) the pull request of a pushed branch. `where` is undefined when the run did not
 * ask for one; a run that ends `aborted` or `failed`, or pushed nothing, opens none.
 */
export async function requestReview(where: Omit<PullRequestRequest, 'reviewed'> | undefined, reviewed: ReviewedReport, pushed: boolean, setPhase: (details: string) => void): Promise<Review> {
  const { summary, status } = reviewed.report;
  if (!where) return { summary };
  if (!opensPullRequest(status) || !pushed) return { summary: `${summary} No pull request: ${pushed ? `the run ended ${status}` : 'nothing was pushed'}.` };
  patched(PULL_REQUEST);
  setPhase(`opening the pull request of ${where.branch} into ${where.base} on ${where.target.forge}`);
  try {
    const { created, ...pr } = await forge.openPullRequest({ ...where, reviewed });
    return { summary: `${summary} ${pr.draft ? 'Draft pull request' : 'Pull request'} ${created ? 'opened' : 'updated'}: ${pr.url}.`, pullRequest: pr };
  } catch (err) {
    if (isCancellation(err)) throw err;
    const error = failureMessage(err);
    return { summary: `${summary} The pull request could not be opened (${error}); the branch ${where.branch} stays pushed.`, pullRequestError: error };
  }
}
