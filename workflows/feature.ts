// featureImplementor: one git worktree per scope → one infrastructureImplementor child per scope,
// all at once → commit each scope on its branch → merge them (conflicts go to a human) → validate
// the merged tree once → one commit on the feature branch. Worktrees go at the end, whatever happens.
import {
  CancellationScope, ParentClosePolicy, allHandlersFinished, condition, executeChild,
  getExternalWorkflowHandle, isCancellation, log, patched, proxyActivities, setCurrentDetails, setHandler,
  upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { Activities, FeatureWorkspace } from '../activities';
import { featureCommitMessage, featureStatus, type FeatureAnswer, type FeatureInput, type FeatureReport } from '../core/feature';
import type { Answer, Finding, ImplementorReport, RunStatus, ValidationResult } from '../core/schemas';
import { failureMessage, isFailing, validSignal } from './helpers';
import { HumanGate } from './human-gate';
import type { infrastructureImplementor } from './implementor';
import { childQuestions, routeAnswer, scopeRecords, takeProgress, type ScopeRecord } from './feature-scopes';
import { mergeLanded, validateMerged } from './feature-merge';
import { lands, onHost, scopeCommitMessage, type FeatureRun } from './feature-run';
import {
  answerSignal, AwaitingHumanKey, childProgressSignal, featureAnswerSignal, featureAnswerUpdate, featureStatusQuery,
  IMPLEMENTOR_WORKFLOW, ImplementorPhaseKey, type FeatureStatus,
} from './messages';

// Asked on the shared queue: which worker takes this feature (its worktrees live on its disk).
const shared = proxyActivities<Activities>({ startToCloseTimeout: '1m', retry: { maximumAttempts: 5 } });

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
  const gate = new HumanGate({ deadline: input.options.humanDeadline, deadlineAction: input.options.deadlineAction, others: () => childQuestions(records) });
  const state: FeatureStatus = {
    workflowId: info.workflowId, feature: input.feature, branch: input.branch, phase: 'workspace',
    startedAt: new Date(info.startTime).toISOString(), children: records.map((r) => r.status), questions: [], audit: gate.audit, done: false,
  };
  const setPhase = (phase: string, details: string) => {
    state.phase = phase;
    upsertSearchAttributes([{ key: ImplementorPhaseKey, value: phase }]);
    setCurrentDetails(`**${input.feature}** — ${details}`);
    gate.mirror();
  };
  registerHandlers(records, gate, state);

  setPhase('workspace', 'creating a git worktree per scope');
  const hostQueue = await shared.workerTaskQueue();
  const host = onHost(hostQueue);
  const run: FeatureRun = {
    input, records, state, gate, host, hostQueue, accepted: false, setPhase,
    // The feature's own question, one at a time; the deadline applies the configured default.
    askOwn: (q) => {
      const previous = state.phase;
      return gate.ask(q, { asked: (asked) => setPhase('awaiting-human', asked.question), answered: () => setPhase(previous, `continuing ${previous}`) });
    },
  };
  let ws: FeatureWorkspace | undefined;
  let commit: string | null = null;
  let validated: { validations: ValidationResult[]; findings: Finding[] } = { validations: [], findings: [] };
  const finish = async (status: RunStatus, summary: string): Promise<FeatureReport> => {
    setPhase('done', summary);
    state.done = true;
    await condition(allHandlersFinished);
    return featureReport(run, { status, summary, commit, base: ws?.base ?? '', ...validated });
  };

  try {
    ws = await host.git.createFeatureWorkspace({ infraRoot: input.infraRoot, workflowId: info.workflowId, slugs: input.scopes.map((s) => s.slug), branch: input.branch });
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
      infraRoot: input.infraRoot, workflowId: info.workflowId, slugs: input.scopes.map((s) => s.slug),
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
  setHandler(featureStatusQuery, () => ({ ...state, pending: gate.pending, questions: gate.open() }));
  setHandler(childProgressSignal, (p) => { if (takeProgress(records, p)) gate.mirror(); });
  setHandler(featureAnswerSignal, validSignal((a: FeatureAnswer) => void routeAnswer(a, records, gate.pending), (a) => {
    void deliver(a).catch((e) => log.warn('could not forward the answer', { error: String(e) }));
  }));
  setHandler(featureAnswerUpdate, deliver, { validator: (a) => void routeAnswer(a, records, gate.pending) });
}

/** One scope: its child, then (new path) its commit while the other children still run. */
async function runChild(run: FeatureRun, r: ScopeRecord, ws: FeatureWorkspace, commitsOnClose: boolean): Promise<void> {
  const o = r.outcome;
  try {
    const report = await startScope(run, r);
    r.report = report;
    Object.assign(o, { status: report.status, summary: report.summary, filesCreated: report.filesCreated, filesModified: report.filesModified, filesDeleted: report.filesDeleted });
  } catch (err) {
    Object.assign(o, { status: 'failed', summary: isCancellation(err) ? 'cancelled' : `the child failed: ${failureMessage(err)}` });
  }
  Object.assign(r.status, { status: o.status, done: true, phase: 'done', pending: undefined });
  run.gate.mirror();
  // commit-manager, per scope: what the child wrote becomes a commit on its own branch.
  if (commitsOnClose && lands(o.status) && r.worktree) {
    r.commit = await run.host.git.commitScope({ dir: r.worktree.dir, base: ws.base, message: scopeCommitMessage(o) });
  }
}

function startScope(run: FeatureRun, r: ScopeRecord): Promise<ImplementorReport> {
  const { input } = run;
  const info = workflowInfo();
  const s = r.spec;
  return executeChild<typeof infrastructureImplementor>(IMPLEMENTOR_WORKFLOW, {
    workflowId: r.status.workflowId,
    args: [{
      featureDescription: input.feature, scope: s.scope, files: s.files, infraRoot: r.worktree?.infraRoot ?? input.infraRoot, parentId: info.workflowId,
      implementer: s.implementer, options: { ...input.options, activityTaskQueue: run.hostQueue },
      ...(s.spec ? { spec: s.spec } : {}), ...(input.reposRoot ? { reposRoot: input.reposRoot } : {}),
    }],
    memo: { feature: input.feature, scope: s.scope, parentId: info.workflowId },
    typedSearchAttributes: [{ key: ImplementorPhaseKey, value: 'queued' }, { key: AwaitingHumanKey, value: false }],
    staticSummary: `${s.scope} — ${input.feature}`.slice(0, 200),
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
  });
}

const reportsOf = (records: ScopeRecord[]) => records.flatMap((r) => r.report ?? []);

function committedSummary(run: FeatureRun, commit: string | null, v: { validations: ValidationResult[]; findings: Finding[] }): string {
  const landed = run.records.filter((r) => r.outcome.merged).length;
  const errors = v.findings.filter((f) => f.severity === 'error' && !f.suppressed).length;
  return [
    commit ? `${landed} of ${run.records.length} scope(s) committed on ${run.input.branch} (${commit.slice(0, 12)}); nothing was pushed.` : `${landed} of ${run.records.length} scope(s) merged, but they change nothing: no commit.`,
    isFailing(v.validations) ? 'The merged tree fails validation (accepted).' : 'The merged tree validates.',
    errors ? `${errors} compliance finding(s) of severity error to review.` : '',
  ].filter(Boolean).join(' ');
}

function featureReport(run: FeatureRun, r: { status: RunStatus; summary: string; commit: string | null; base: string; validations: ValidationResult[]; findings: Finding[] }): FeatureReport {
  // Children finish in any order; reports follow the spec's scope order.
  const all = reportsOf(run.records);
  return {
    workflowId: run.state.workflowId, feature: run.input.feature, status: r.status, branch: r.commit ? run.input.branch : null, commit: r.commit, base: r.base,
    children: run.records.map((x) => x.outcome), validations: r.validations, findings: r.findings,
    assumptions: dedupe(all.flatMap((x) => x.assumptions), (a) => `${a.file}:${a.text}`),
    dependencies: dedupe(all.flatMap((x) => x.dependencies), (d) => d.description),
    humanAnswers: run.gate.answers, audit: run.gate.audit, summary: r.summary,
  };
}

function dedupe<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((t) => (seen.has(key(t)) ? false : (seen.add(key(t)), true)));
}
