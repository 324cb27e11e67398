// The pull request of a run from a remote (runtime/forge/): any worker opens it, with the token of
// its own environment, and links the run in the Temporal Web UI (INFRA_IMPLEMENTOR_UI_URL).
import { Context } from '@temporalio/activity';
import { runLink } from '../core/forge';
import { openPullRequest, type PullRequestRequest, type PullRequestResult } from '../runtime/forge';
import type { ActivityDeps } from '.';

/** The Web UI of the embedded dev server (`infra-implementor dev`). */
export const DEFAULT_UI_URL = 'http://localhost:8233';

export const forgeActivities = (deps: ActivityDeps) => ({
  /** Open the pull request from the run's branch into its base, or update the open one. */
  async openPullRequest(req: PullRequestRequest): Promise<PullRequestResult> {
    const { info, cancellationSignal } = Context.current();
    const runUrl = runLink(deps.uiUrl ?? DEFAULT_UI_URL, info.workflowNamespace ?? 'default', req.reviewed.report.workflowId);
    return openPullRequest(req, { runUrl, env: process.env, signal: cancellationSignal });
  },
});
