// The end of a run from a remote: its result as a commit on its branch, pushed (unless the run says
// not to). A branch that moved on the remote, or a push the remote refuses, becomes a question —
// retry the push once the remote allows it, or abort and push nothing — never a force push.
import { Failure } from '../core/failures';
import type { RunStatus } from '../core/schemas';
import { failureMessage, failureType } from './helpers';
import type { ImplementorRun } from './implementor-run';
import { requestReview } from './pull-request';

const QUESTIONS: readonly string[] = [Failure.BranchMoved, Failure.PushRejected];

export async function deliverResult(run: ImplementorRun, status: RunStatus, summary: string): Promise<{ status: RunStatus; summary: string }> {
  const repo = run.input.repo;
  if (!repo) return { status, summary };
  if (run.input.returnChanges) {
    // A feature's child: its parent commits, merges and pushes what the scope wrote.
    run.setPhase('delivering', 'returning the changes to the feature');
    run.changes = await run.ws.call((a) => a.files.collectChanges({ infraRoot: run.ws.infraRoot, paths: run.touched() }));
    return { status, summary };
  }
  const message = commitMessage(run, summary);
  const date = new Date(run.info.startTime).toISOString();
  for (;;) {
    run.setPhase('delivering', repo.push ? `pushing ${repo.branch} to ${repo.url}` : `committing on ${repo.branch}`);
    try {
      const d = await run.ws.deliver(message, date);
      run.delivery = d;
      const where = d.commit === null ? 'The run changed nothing: no commit, nothing pushed.'
        : d.pushed ? `Pushed ${d.branch} (${d.commit.slice(0, 12)}) to ${d.remote}.` : `Committed on ${d.branch} (${d.commit.slice(0, 12)}); not pushed (--no-push).`;
      return { status, summary: await reviewRun(run, status, `${summary} ${where}`) };
    } catch (err) {
      if (!QUESTIONS.includes(failureType(err) ?? '')) throw err;
      const reason = failureMessage(err);
      const decision = await run.gate.ask({
        kind: 'delivery',
        question: `${reason}. Retry the push once the remote allows it, or abort and push nothing?`,
        options: [
          { action: 'retry', meaning: `push ${repo.branch} again (after the remote branch was removed or the rule that refused it was changed)` },
          { action: 'abort', meaning: 'push nothing; the workspace is removed' },
        ],
      }, { asked: () => run.setPhase('awaiting-human', 'waiting for a human answer about the push') });
      if (decision.action !== 'retry') {
        return { status: 'aborted', summary: `${decision.timedOut ? 'No answer before the deadline' : 'Aborted by a human'} after the push failed (${reason}): nothing was pushed.` };
      }
    }
  }
}

/** A run asked for a pull request: opened (or updated) after the push; the report says which, or why not. */
async function reviewRun(run: ImplementorRun, status: RunStatus, summary: string): Promise<string> {
  const { repo } = run.input;
  const d = run.delivery;
  const remote = run.ws.remote;
  const where = repo?.pullRequest && d && remote ? { url: repo.url, target: repo.pullRequest, base: remote.baseName, branch: d.branch } : undefined;
  const review = await requestReview(where, { kind: 'scope', report: run.report(status, summary) }, Boolean(d?.pushed && d.commit), (details) => run.setPhase('pull-request', details));
  run.pullRequest = review.pullRequest;
  run.pullRequestError = review.pullRequestError;
  return review.summary;
}

function commitMessage(run: ImplementorRun, summary: string): string {
  const { input } = run;
  const bullets = (items: string[]) => items.map((i) => `- ${i}`);
  return [
    `${input.scope}: ${input.featureDescription}`.split('\n')[0]?.slice(0, 72) ?? input.scope,
    '',
    summary,
    ...(run.assumptions.length ? ['', 'Assumptions to review:', ...bullets(run.assumptions.map((a) => (a.file ? `${a.file}: ${a.text}` : a.text)))] : []),
    ...(run.dependencies.length ? ['', 'Dependencies:', ...bullets(run.dependencies.map((d) => `[${d.kind}] ${d.description}`))] : []),
    '',
    `Infra-Implementor-Workflow: ${run.info.workflowId}`,
    '',
  ].join('\n');
}
