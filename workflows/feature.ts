// featureImplementor: one git worktree per scope → one infrastructureImplementor child per scope,
// all at once → commit each scope on its branch → merge them (conflicts go to a human) → validate
// the merged tree once → one commit on the feature branch. Worktrees go at the end, whatever happens.
import {
  ActivityCancellationType, ActivityFailure, ApplicationFailure, ChildWorkflowFailure, CancellationScope, ParentClosePolicy,
  allHandlersFinished, condition, executeChild, getExternalWorkflowHandle, isCancellation, log, patched, proxyActivities,
  setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { Activities, FeatureWorkspace, MergeOutcome, ScopeWorktree } from '../activities';
import {
  childWorkflowId, featureCommitMessage, featureStatus, slug, type FeatureAnswer, type FeatureChild, type FeatureInput, type FeatureReport,
} from '../core/feature';
import { NON_RETRYABLE } from '../core/failures';
import type { Answer, Finding, ImplementorReport, ValidationResult } from '../core/schemas';
import { checkAction, deadlineFrom, isFailing, summarizeFailures, validSignal } from './helpers';
import { enterPhase } from './telemetry';
import type { infrastructureImplementor } from './implementor';
import {
  answerSignal, AwaitingHumanKey, childProgressSignal, featureAnswerSignal, featureAnswerUpdate, featureStatusQuery,
  IMPLEMENTOR_WORKFLOW, ImplementorPhaseKey, type FeatureChildStatus, type FeatureStatus, type PendingQuestion,
} from './messages';

// Asked on the shared queue: which worker takes this feature (its worktrees live on its disk).
const shared = proxyActivities<Activities>({ startToCloseTimeout: '1m', retry: { maximumAttempts: 5 } });

// Everything touching the worktrees runs on the worker that holds them. A cancelled git step is
// waited for, so the clean-up never races a worktree being created.
const onHost = (taskQueue: string) => ({
  git: proxyActivities<Activities>({
    taskQueue,
    startToCloseTimeout: '5m',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '1s', maximumAttempts: 5, nonRetryableErrorTypes: [...NON_RETRYABLE.git] },
  }),
  validators: proxyActivities<Activities>({
    taskQueue,
    startToCloseTimeout: '30m',
    heartbeatTimeout: '2m',
    retry: { initialInterval: '2s', maximumAttempts: 3, nonRetryableErrorTypes: [...NON_RETRYABLE.validators] },
  }),
});

type OwnDecision = { action: Answer['action']; timedOut: boolean };

/**
 * Version marker: each scope is committed on its branch as soon as its child closes (while the others
 * still run), and the branches are merged by one activity call instead of one per scope. Runs that
 * started before this change replay on the old path: commit and merge one scope after another once
 * every child has closed. (Remove the old path with deprecatePatch once no such run is open.)
 */
export const SCOPE_COMMITS_ON_CLOSE = 'scope-commits-on-close';
const lands = (status: string | undefined) => status === 'succeeded' || status === 'accepted';

export async function featureImplementor(input: FeatureInput): Promise<FeatureReport> {
  const info = workflowInfo();
  const commitsOnClose = patched(SCOPE_COMMITS_ON_CLOSE);
  const children: FeatureChildStatus[] = input.scopes.map((s) => ({
    scope: s.scope, slug: s.slug, workflowId: childWorkflowId(info.workflowId, s.slug),
    phase: 'queued', attempt: 0, maxAttempts: input.options.maxAttempts, done: false,
  }));
  const state: FeatureStatus = {
    workflowId: info.workflowId, feature: input.feature, branch: input.branch, phase: 'workspace',
    startedAt: new Date(info.startTime).toISOString(), children, questions: [], done: false,
  };
  const seqs = new Map<string, number>();
  const humanAnswers: FeatureAnswer[] = [];
  let ownAnswer: FeatureAnswer | undefined;
  let awaiting = false;

  const openQuestions = (): PendingQuestion[] => [
    ...children.filter((c) => c.pending && !c.done).map((c) => ({ ...(c.pending as PendingQuestion), scope: c.scope })),
    ...(state.pending ? [state.pending] : []),
  ];
  /** Search attributes mirror the tree: AwaitingHuman while any child or the merge waits. */
  const mirror = () => {
    state.questions = openQuestions();
    const now = state.questions.length > 0;
    if (now !== awaiting) upsertSearchAttributes([{ key: AwaitingHumanKey, value: now }]);
    awaiting = now;
  };
  const setPhase = (phase: string, details: string) => {
    enterPhase(phase);
    state.phase = phase;
    upsertSearchAttributes([{ key: ImplementorPhaseKey, value: phase }]);
    setCurrentDetails(`**${input.feature}** — ${details}`);
    mirror();
  };

  // Routing an answer: the scope names a child (scope text, slug or workflow id), or the feature's
  // own question; without a scope, the only open question.
  const matches = (c: FeatureChildStatus, scope: string) => c.scope === scope || c.slug === slug(scope) || c.workflowId === scope;
  const routeOf = (a: FeatureAnswer): { own: true } | { own: false; child: FeatureChildStatus } => {
    checkAction(a);
    const open = openQuestions();
    if (!open.length) throw new Error('nothing is pending: this run is not waiting for an answer');
    if (a.scope === undefined) {
      if (open.length > 1) throw new Error(`${open.length} questions are pending: name one with --scope (${open.map((q) => q.scope).join(', ')})`);
      if (state.pending) return { own: true };
      return { own: false, child: children.find((c) => c.pending && !c.done) as FeatureChildStatus };
    }
    const scope = a.scope;
    if (state.pending && (scope === 'merge' || (state.pending.scope !== undefined && (state.pending.scope === scope || slug(state.pending.scope) === slug(scope))))) return { own: true };
    const child = children.find((c) => c.pending && !c.done && matches(c, scope));
    if (!child) throw new Error(`no question pending for scope "${scope}" (open: ${open.map((q) => q.scope ?? 'merge').join(', ')})`);
    return { own: false, child };
  };
  const deliver = async (a: FeatureAnswer): Promise<string> => {
    const route = routeOf(a);
    if (route.own) {
      ownAnswer = a;
      return `accepted: ${a.action}${state.pending?.scope ? ` for ${state.pending.scope}` : ''}`;
    }
    const forwarded: Answer = { action: a.action, ...(a.guidance !== undefined ? { guidance: a.guidance } : {}) };
    route.child.pending = undefined; // answered: the child's next progress report says where it went
    mirror();
    await getExternalWorkflowHandle(route.child.workflowId).signal(answerSignal, forwarded);
    return `forwarded: ${a.action} to ${route.child.workflowId}`;
  };

  setHandler(featureStatusQuery, () => ({ ...state, questions: openQuestions() }));
  setHandler(childProgressSignal, (p) => {
    const c = children.find((x) => x.workflowId === p.workflowId);
    if (!c || (seqs.get(p.workflowId) ?? 0) >= p.seq || c.status) return;
    seqs.set(p.workflowId, p.seq);
    Object.assign(c, { phase: p.phase, attempt: p.attempt, maxAttempts: p.maxAttempts, pending: p.pending });
    mirror();
  });
  setHandler(featureAnswerSignal, validSignal((a: FeatureAnswer) => void routeOf(a), (a) => {
    void deliver(a).catch((e) => log.warn('could not forward the answer', { error: String(e) }));
  }));
  setHandler(featureAnswerUpdate, deliver, { validator: (a) => void routeOf(a) });

  const reports = new Map<string, ImplementorReport>();
  // Children finish in any order; reports and the commit message follow the spec's scope order.
  const inScopeOrder = () => outcome.flatMap((o) => reports.get(o.workflowId) ?? []);
  const outcome: FeatureChild[] = children.map((c) => ({
    scope: c.scope, workflowId: c.workflowId, slug: c.slug, branch: '', merged: false,
    filesCreated: [], filesModified: [], filesDeleted: [],
  }));
  /** Per scope: whether its commit changed anything (filled as children close, on the new path). */
  const scopeCommits: ({ changed: boolean } | undefined)[] = [];
  let validations: ValidationResult[] = [];
  let findings: Finding[] = [];
  let ws: FeatureWorkspace | undefined;
  let commit: string | null = null;
  let accepted = false;

  setPhase('workspace', 'creating a git worktree per scope');
  const hostQueue = await shared.workerTaskQueue();
  const { git, validators } = onHost(hostQueue);

  const finish = async (status: FeatureReport['status'], summary: string): Promise<FeatureReport> => {
    setPhase('done', summary);
    state.done = true;
    await condition(allHandlersFinished);
    const all = inScopeOrder();
    return {
      workflowId: info.workflowId, feature: input.feature, status, branch: commit ? input.branch : null, commit, base: ws?.base ?? '',
      children: outcome, validations, findings,
      assumptions: dedupe(all.flatMap((r) => r.assumptions), (a) => `${a.file}:${a.text}`),
      dependencies: dedupe(all.flatMap((r) => r.dependencies), (d) => d.description),
      humanAnswers, summary,
    };
  };

  try {
    ws = await git.createFeatureWorkspace({ infraRoot: input.infraRoot, workflowId: info.workflowId, slugs: input.scopes.map((s) => s.slug), branch: input.branch });
    const workspace = ws;
    workspace.scopes.forEach((w, i) => { (outcome[i] as FeatureChild).branch = w.branch; });

    setPhase('implementing', `${children.length} scope(s) in parallel`);
    // allSettled: one child failing or aborted does not stop the others; each is recorded as it closes.
    const settled = await Promise.allSettled(input.scopes.map((_s, i) => runChild(i, workspace.scopes[i] as ScopeWorktree)));
    if (CancellationScope.current().consideredCancelled) await CancellationScope.current().cancelRequested;
    // A child's failure is its scope's outcome; a scope commit that failed (after its retries) fails the feature.
    const commitFailed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (commitFailed) throw commitFailed.reason;

    const landing = input.scopes.map((_s, i) => i).filter((i) => lands(outcome[i]?.status));
    setPhase('merging', `merging ${landing.length} scope branch(es)`);
    if (commitsOnClose) {
      for (const i of landing) if (!scopeCommits[i]?.changed) (outcome[i] as FeatureChild).merged = true;
      let queue = landing.filter((i) => scopeCommits[i]?.changed);
      const branchOf = (i: number) => (workspace.scopes[i] as ScopeWorktree).branch;
      while (queue.length) {
        const r = await git.mergeScopes({ dir: workspace.merge.dir, scopes: queue.map((i) => ({ branch: branchOf(i), scope: (outcome[i] as FeatureChild).scope })) });
        for (const i of queue) if (r.merged.includes(branchOf(i))) (outcome[i] as FeatureChild).merged = true;
        if (!r.conflict) break;
        const at = queue.findIndex((i) => branchOf(i) === r.conflict?.branch);
        const i = queue[at] as number;
        (outcome[i] as FeatureChild).merged = await mergeWithHuman(outcome[i] as FeatureChild, workspace.scopes[i] as ScopeWorktree, workspace, r.conflict);
        queue = queue.slice(at + 1);
      }
    } else {
      // commit-manager, per scope: what each child wrote becomes a commit on its own branch.
      for (const i of landing) {
        const o = outcome[i] as FeatureChild;
        const w = workspace.scopes[i] as ScopeWorktree;
        const { changed } = await git.commitScope({ dir: w.dir, base: workspace.base, message: scopeCommitMessage(o) });
        o.merged = changed ? await mergeWithHuman(o, w, workspace) : true;
      }
    }
    if (!outcome.some((o) => o.merged)) {
      return await finish('failed', `No scope could be merged: ${outcome.map((o) => `${o.scope} ${o.status}`).join(', ')}. Nothing was committed.`);
    }

    // infrastructure-validator: the whole merged tree, once.
    for (;;) {
      setPhase('validating', 'validating the merged tree');
      ({ validations, findings } = await validators.validateTree({ infraRoot: workspace.merge.infraRoot }));
      if (!isFailing(validations)) break;
      const decision = await askOwn({
        question: `The merged tree fails validation (${summarizeFailures(validations).slice(0, 300)}). Retry after fixing the files in ${workspace.merge.infraRoot}, accept and commit with the failures reported, or abort and commit nothing?`,
        failures: validations.filter((v) => v.status === 'fail'),
        options: [
          { action: 'retry', meaning: `validate again (fix the files in ${workspace.merge.infraRoot} first; your edits are committed)` },
          { action: 'accept', meaning: 'commit the merged tree and report the failures' },
          { action: 'abort', meaning: 'commit nothing; the scope branches are removed' },
        ],
      });
      if (decision.action === 'abort') return await finish('aborted', `The merged tree failed validation and the commit was ${decision.timedOut ? 'abandoned at the deadline' : 'aborted by a human'}: nothing was committed.`);
      if (decision.action === 'accept') {
        accepted = true;
        break;
      }
    }

    setPhase('committing', `committing on ${input.branch}`);
    const message = featureCommitMessage({ feature: input.feature, workflowId: info.workflowId, children: outcome, reports: inScopeOrder(), validations, findings });
    ({ commit } = await git.commitFeature({ dir: workspace.merge.dir, base: workspace.base, branch: input.branch, message, gitRoot: workspace.gitRoot }));
    const status = featureStatus(outcome, { committed: true, accepted });
    const landed = outcome.filter((o) => o.merged).length;
    const errors = findings.filter((f) => f.severity === 'error' && !f.suppressed).length;
    return await finish(status, [
      commit ? `${landed} of ${outcome.length} scope(s) committed on ${input.branch} (${commit.slice(0, 12)}); nothing was pushed.` : `${landed} of ${outcome.length} scope(s) merged, but they change nothing: no commit.`,
      isFailing(validations) ? 'The merged tree fails validation (accepted).' : 'The merged tree validates.',
      errors ? `${errors} compliance finding(s) of severity error to review.` : '',
    ].filter(Boolean).join(' '));
  } catch (err) {
    if (isCancellation(err)) throw err;
    return await finish('failed', `Failed: ${failureMessage(err)}.`);
  } finally {
    // Clean-up must run on cancellation too: the worktrees always go; the scope branches unless kept,
    // and a cancelled run takes its feature branch with it.
    const cancelled = CancellationScope.current().consideredCancelled;
    await CancellationScope.nonCancellable(() => git.removeFeatureWorkspace({
      infraRoot: input.infraRoot, workflowId: info.workflowId, slugs: input.scopes.map((s) => s.slug),
      deleteScopeBranches: !input.keepBranches, ...(cancelled && commit && !input.keepBranches ? { alsoDelete: [input.branch] } : {}),
    })).catch((e) => log.error('could not remove the feature worktrees', { error: failureMessage(e) }));
  }

  async function runChild(i: number, w: ScopeWorktree): Promise<void> {
    const s = input.scopes[i] as FeatureInput['scopes'][number];
    const c = children[i] as FeatureChildStatus;
    const o = outcome[i] as FeatureChild;
    try {
      const r = await startScope(s, c, w);
      reports.set(o.workflowId, r);
      Object.assign(o, { status: r.status, summary: r.summary, filesCreated: r.filesCreated, filesModified: r.filesModified, filesDeleted: r.filesDeleted });
    } catch (err) {
      Object.assign(o, { status: 'failed', summary: isCancellation(err) ? 'cancelled' : `the child failed: ${failureMessage(err)}` });
    }
    Object.assign(c, { status: o.status, done: true, phase: 'done', pending: undefined });
    mirror();
    // commit-manager, per scope: what the child wrote becomes a commit on its own branch, while the
    // other children still run.
    if (commitsOnClose && lands(o.status) && ws) {
      scopeCommits[i] = await git.commitScope({ dir: w.dir, base: ws.base, message: scopeCommitMessage(o) });
    }
  }

  function startScope(s: FeatureInput['scopes'][number], c: FeatureChildStatus, w: ScopeWorktree): Promise<ImplementorReport> {
    return executeChild<typeof infrastructureImplementor>(IMPLEMENTOR_WORKFLOW, {
      workflowId: c.workflowId,
      args: [{
        featureDescription: input.feature, scope: s.scope, files: s.files, infraRoot: w.infraRoot, parentId: info.workflowId,
        implementer: s.implementer, options: { ...input.options, activityTaskQueue: hostQueue },
        ...(s.spec ? { spec: s.spec } : {}), ...(input.reposRoot ? { reposRoot: input.reposRoot } : {}),
      }],
      memo: { feature: input.feature, scope: s.scope, parentId: info.workflowId },
      typedSearchAttributes: [{ key: ImplementorPhaseKey, value: 'queued' }, { key: AwaitingHumanKey, value: false }],
      staticSummary: `${s.scope} — ${input.feature}`.slice(0, 200),
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    });
  }

  /**
   * Merge one scope branch. A conflict git and the YAML union cannot settle becomes a question:
   * retry = continue after the human resolved it in the merge worktree, accept = keep the feature
   * side of each conflicting hunk (the scope's other changes land), abort = leave the scope out.
   */
  async function mergeWithHuman(o: FeatureChild, w: ScopeWorktree, workspace: FeatureWorkspace, first?: MergeOutcome): Promise<boolean> {
    let r = first ?? await git.mergeScope({ dir: workspace.merge.dir, branch: w.branch, scope: o.scope });
    while (r.outcome === 'conflict') {
      const decision = await askOwn({
        question: `Merging "${o.scope}" into ${input.branch} conflicts in ${r.conflicts.join(', ')}. Resolve the files in ${workspace.merge.dir} and answer retry, accept to keep the feature side of each conflict, or abort to leave "${o.scope}" out.`,
        scope: o.scope,
        conflicts: r.conflicts,
        options: [
          { action: 'retry', meaning: `continue the merge once the conflict markers are gone from the files in ${workspace.merge.dir}` },
          { action: 'accept', meaning: `keep the feature side of each conflicting hunk; the rest of "${o.scope}" is merged` },
          { action: 'abort', meaning: `leave "${o.scope}" out of the feature branch` },
        ],
      });
      if (decision.action === 'abort') {
        await git.abortMerge({ dir: workspace.merge.dir });
        o.summary = `${o.summary ?? ''} Left out of ${input.branch}: merge conflict in ${r.conflicts.join(', ')}.`.trim();
        return false;
      }
      if (decision.action === 'accept') {
        accepted = true;
        r = await git.mergeScope({ dir: workspace.merge.dir, branch: w.branch, scope: o.scope, strategy: 'ours' });
      } else {
        const cont = await git.continueMerge({ dir: workspace.merge.dir, files: r.conflicts });
        r = cont.resolved ? { outcome: 'merged', conflicts: [], autoResolved: [] } : { outcome: 'conflict', conflicts: cont.remaining, autoResolved: [] };
      }
    }
    return true;
  }

  /** The feature's own question, one at a time; the deadline applies the configured default. */
  async function askOwn(q: Pick<PendingQuestion, 'question' | 'options'> & Partial<PendingQuestion>): Promise<OwnDecision> {
    const now = new Date().getTime();
    const previous = state.phase;
    state.pending = {
      failures: [], tried: [], ...q,
      askedAt: new Date(now).toISOString(), deadline: new Date(now + deadlineFrom(input.options.humanDeadline)).toISOString(),
    };
    ownAnswer = undefined;
    setPhase('awaiting-human', q.question);
    const answered = await condition(() => ownAnswer !== undefined, input.options.humanDeadline);
    state.pending = undefined;
    setPhase(previous, `continuing ${previous}`);
    if (!answered || !ownAnswer) return { action: input.options.deadlineAction, timedOut: true };
    const a: FeatureAnswer = ownAnswer;
    humanAnswers.push(a);
    return { action: a.action, timedOut: false };
  }
}

const scopeCommitMessage = (o: FeatureChild) => `${o.scope}\n\n${o.summary ?? ''}\n\nInfra-Implementor-Workflow: ${o.workflowId}\n`;

function dedupe<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((t) => (seen.has(key(t)) ? false : (seen.add(key(t)), true)));
}

function failureMessage(err: unknown): string {
  let e: unknown = err;
  while ((e instanceof ActivityFailure || e instanceof ChildWorkflowFailure) && e.cause) e = e.cause;
  if (e instanceof ApplicationFailure || e instanceof Error) return e.message;
  return String(e);
}
