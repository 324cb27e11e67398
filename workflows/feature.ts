// featureImplementor: one git worktree per scope → one infrastructureImplementor child per scope,
// all at once → commit each scope on its branch → merge them (conflicts go to a human) → validate
// the merged tree once → one commit on the feature branch. Worktrees go at the end, whatever happens.
import {
  CancellationScope, allHandlersFinished, condition, getExternalWorkflowHandle, isCancellation, log, patched, proxyActivities,
  setCurrentDetails, setHandler, upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { Activities, FeatureWorkspace } from '../activities';
import { featureCommitMessage, featureStatus, type FeatureAnswer, type FeatureInput, type FeatureReport } from '../core/feature';
import type { Answer, Finding, PullRequestRef, RunStatus, ValidationResult } from '../core/schemas';
import { failureMessage, validSignal } from './helpers';
import { HumanGate } from './human-gate';
import { enterPhase } from './telemetry';
import { totalUsage } from '../core/usage';
import { LIVENESS_TIMEOUT } from './liveness';
import { childQuestions, routeAnswer, scopeRecords, takeProgress, type ScopeRecord } from './feature-scopes';
import { mergeLanded, validateMerged } from './feature-merge';
import { lands, onHost, scopeCommitMessage, type FeatureCore, type FeatureRun } from './feature-run';
import { remoteFeature } from './feature-remote';
import { BUDGET_POOL, BudgetPool } from './budget-pool';
import type { Delivery } from '../runtime/remote';
import { committedSummary, featureReport, reportsOf, settleScope, startScope } from './feature-children';
import {
  answerSignal, childProgressSignal, featureAnswerSignal, featureAnswerUpdate, featureStatusQuery, ImplementorPhaseKey, type FeatureStatus,
} from './messages';

// Asked on the shared queue: which worker takes this feature (its worktrees live on its disk).
const shared = proxyActivities<Activities>({ startToCloseTimeout: '1m', heartbeatTimeout: LIVENESS_TIMEOUT, retry: { initialInterval: '1s', maximumAttempts: 5 } });

/**
 * Version marker: each scope is committed on its branch as soon as its child closes (while the others
 * still run), and the branches are merged by one activity call instead of one per scope. Runs that
 * started before this change replay on the old path: commit and merge one scope after another once
 * every child has closed. (Remove the old path with deprecatePatch once no such run is open.)
 */
export const SCOPE_COMMITS_ON_CLOSE = 'scope-commits-on-close';
export async function featureImplementor(input: FeatureInput): Promise<FeatureReport> {
  const info = workflowInfo();
  const commitsOnClose = patched(SCOPE_COMMITS_ON_CLOSE);
  const records = scopeRecords(input, info.workflowId);
  const gate = new HumanGate({
    deadline: input.options.humanDeadline, deadlineAction: input.options.deadlineAction, others: () => childQuestions(records),
    scope: input.feature, reminders: input.options.reminders ?? [],
  });
  const state: FeatureStatus = {
    workflowId: info.workflowId, feature: input.feature, branch: input.branch, phase: 'workspace',
    startedAt: new Date(info.startTime).toISOString(), children: records.map((r) => r.status), questions: [], audit: gate.audit, done: false,
  };
  const setPhase = (phase: string, details: string) => {
    enterPhase(phase);
    state.phase = phase;
    upsertSearchAttributes([{ key: ImplementorPhaseKey, value: phase }]);
    setCurrentDetails(`**${input.feature}** — ${details}`);
    gate.mirror();
  };
  registerHandlers(records, gate, state);
  const core: FeatureCore = {
    input, records, state, gate, accepted: false, setPhase, pooled: false,
    // The feature's own question, one at a time; the deadline applies the configured default.
    askOwn: (q) => {
      const previous = state.phase;
      return gate.ask(q, { asked: (asked) => setPhase('awaiting-human', asked.question), answered: () => setPhase(previous, `continuing ${previous}`) });
    },
  };
  // One budget for the whole feature, its scopes drawing from it (runs before the pool split it evenly).
  const pool = input.options.budgetUsd !== undefined && patched(BUDGET_POOL) ? new BudgetPool(input.options.budgetUsd, core) : undefined;
  pool?.register();
  core.pooled = pool !== undefined;
  const keeping = pool?.keep();
  const finish: Finish = async (status, summary, r) => {
    pool?.close();
    await keeping;
    setPhase('done', summary);
    state.done = true;
    await gate.notices.settle();
    await condition(allHandlersFinished);
    return featureReport(core, { status, summary, ...r });
  };
  return input.repo ? remoteFeature(core, finish) : localFeature(core, commitsOnClose, finish);
}

type Finish = (status: RunStatus, summary: string, r: { commit: string | null; base: string; validations: ValidationResult[]; findings: Finding[]; delivery?: Delivery; pullRequest?: PullRequestRef; pullRequestError?: string }) => Promise<FeatureReport>;

/** One machine: worktrees of the user's repository on the worker that takes the feature, its children pinned there. */
async function localFeature(core: FeatureCore, commitsOnClose: boolean, done: Finish): Promise<FeatureReport> {
  const { input, records, setPhase } = core;
  const info = workflowInfo();
  const infraRoot = input.infraRoot as string;
  setPhase('workspace', 'creating a git worktree per scope');
  const hostQueue = await shared.workerTaskQueue();
  const host = onHost(hostQueue);
  const run: FeatureRun = Object.assign(core, { host, hostQueue });
  let ws: FeatureWorkspace | undefined;
  let commit: string | null = null;
  let validated: { validations: ValidationResult[]; findings: Finding[] } = { validations: [], findings: [] };
  const finish = (status: RunStatus, summary: string) => done(status, summary, { commit, base: ws?.base ?? '', ...validated });

  try {
    ws = await host.git.createFeatureWorkspace({ infraRoot, workflowId: info.workflowId, slugs: input.scopes.map((s) => s.slug), branch: input.branch });
    const workspace = ws;
    records.forEach((r, i) => { r.worktree = workspace.scopes[i]; r.outcome.branch = workspace.scopes[i]?.branch ?? ''; });

    setPhase('implementing', `${records.length} scope(s) in parallel`);
    // allSettled: one child failing or aborted does not stop the others; each is recorded as it closes.
    const settled = await Promise.allSettled(records.map((r) => runChild(run, r, workspace, commitsOnClose)));
    if (CancellationScope.current().consideredCancelled) await CancellationScope.current().cancelRequested;
    // A child's failure is its scope's outcome; a scope commit that failed (after its retries) fails the feature.
    const commitFailed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (commitFailed) throw commitFailed.reason;

    await mergeLanded(run, workspace, commitsOnClose);
    if (!records.some((r) => r.outcome.merged)) {
      return await finish('failed', `No scope could be merged: ${records.map((r) => `${r.outcome.scope} ${r.outcome.status}`).join(', ')}. Nothing was committed.`);
    }
    const merged = await validateMerged(run, workspace);
    validated = merged;
    if (merged.aborted) return await finish('aborted', merged.aborted);

    setPhase('committing', `committing on ${input.branch}`);
    const message = featureCommitMessage({ feature: input.feature, workflowId: info.workflowId, children: records.map((r) => r.outcome), reports: reportsOf(records), ...validated });
    ({ commit } = await host.git.commitFeature({ dir: workspace.merge.dir, base: workspace.base, branch: input.branch, message, gitRoot: workspace.gitRoot }));
    return await finish(featureStatus(records.map((r) => r.outcome), { committed: true, accepted: run.accepted }), committedSummary(run, commit, validated));
  } catch (err) {
    if (isCancellation(err)) throw err;
    return await finish('failed', `Failed: ${failureMessage(err)}.`);
  } finally {
    // Clean-up must run on cancellation too: the worktrees always go; the scope branches unless kept,
    // and a cancelled run takes its feature branch with it.
    const cancelled = CancellationScope.current().consideredCancelled;
    await CancellationScope.nonCancellable(() => host.git.removeFeatureWorkspace({
      infraRoot, workflowId: info.workflowId, slugs: input.scopes.map((s) => s.slug),
      deleteScopeBranches: !input.keepBranches, ...(cancelled && commit && !input.keepBranches ? { alsoDelete: [input.branch] } : {}),
    })).catch((e) => log.error('could not remove the feature worktrees', { error: failureMessage(e) }));
  }
}

/** `status`, the children's progress, and `answer` routed to the question it is for. */
function registerHandlers(records: ScopeRecord[], gate: HumanGate, state: FeatureStatus): void {
  const deliver = async (a: FeatureAnswer): Promise<string> => {
    const route = routeAnswer(a, records, gate.pending);
    if (route.own) {
      gate.receive(a);
      return `accepted: ${a.action}${gate.pending?.scope ? ` for ${gate.pending.scope}` : ''}`;
    }
    const { scope: _scope, ...forwarded } = a;
    route.record.status.pending = undefined; // answered: the child's next progress report says where it went
    gate.mirror();
    await getExternalWorkflowHandle(route.record.status.workflowId).signal(answerSignal, forwarded as Answer);
    return `forwarded: ${a.action} to ${route.record.status.workflowId}`;
  };
  setHandler(featureStatusQuery, () => ({ ...state, pending: gate.pending, questions: gate.open(), usage: totalUsage(records.map((r) => r.status.usage)) }));
  setHandler(childProgressSignal, (p) => { if (takeProgress(records, p)) gate.mirror(); });
  setHandler(featureAnswerSignal, validSignal((a: FeatureAnswer) => void routeAnswer(a, records, gate.pending), (a) => {
    void deliver(a).catch((e) => log.warn('could not forward the answer', { error: String(e) }));
  }));
  setHandler(featureAnswerUpdate, deliver, { validator: (a) => void routeAnswer(a, records, gate.pending) });
}

/** One scope: its child, then (new path) its commit while the other children still run. */
async function runChild(run: FeatureRun, r: ScopeRecord, ws: FeatureWorkspace, commitsOnClose: boolean): Promise<void> {
  const o = r.outcome;
  await settleScope(run, r, () => startScope(run, r, { infraRoot: r.worktree?.infraRoot ?? run.input.infraRoot, activityTaskQueue: run.hostQueue }));
  // commit-manager, per scope: what the child wrote becomes a commit on its own branch.
  if (commitsOnClose && lands(o.status) && r.worktree) {
    r.commit = await run.host.git.commitScope({ dir: r.worktree.dir, base: ws.base, message: scopeCommitMessage(o) });
  }
}

