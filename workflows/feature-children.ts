// A feature's children and its report: starting each scope's child, and what the feature says
// when it closes (both the one-machine and the remote flows use them).
import { ParentClosePolicy, executeChild, isCancellation, workflowInfo } from '@temporalio/workflow';
import type { FeatureReport } from '../core/feature';
import type { Finding, ImplementorInput, ImplementorReport, PullRequestRef, RunStatus, ValidationResult } from '../core/schemas';
import type { Delivery } from '../runtime/remote';
import { totalUsage } from '../core/usage';
import type { FeatureCore } from './feature-run';
import type { ScopeRecord } from './feature-scopes';
import { failureMessage, isFailing } from './helpers';
import type { infrastructureImplementor } from './implementor';
import { AwaitingHumanKey, IMPLEMENTOR_WORKFLOW, ImplementorPhaseKey } from './messages';

/**
 * Start a scope's child. On one machine it works in its worktree on the parent's worker; from a
 * remote it is a run of its own (its own workspace, on any worker) that returns what it wrote.
 */
export function startScope(run: FeatureCore, r: ScopeRecord, where: Pick<ImplementorInput, 'infraRoot' | 'repo' | 'returnChanges'> & { activityTaskQueue?: string }): Promise<ImplementorReport> {
  const { input } = run;
  const info = workflowInfo();
  const s = r.spec;
  const { activityTaskQueue, ...source } = where;
  return executeChild<typeof infrastructureImplementor>(IMPLEMENTOR_WORKFLOW, {
    workflowId: r.status.workflowId,
    args: [{
      featureDescription: input.feature, scope: s.scope, files: s.files, ...source, parentId: info.workflowId,
      implementer: s.implementer,
      options: { ...input.options, ...(activityTaskQueue ? { activityTaskQueue } : {}), ...budgetOf(run) },
      ...(s.spec ? { spec: s.spec } : {}), ...(input.reposRoot ? { reposRoot: input.reposRoot } : {}),
    }],
    memo: { feature: input.feature, scope: s.scope, parentId: info.workflowId },
    typedSearchAttributes: [{ key: ImplementorPhaseKey, value: 'queued' }, { key: AwaitingHumanKey, value: false }],
    staticSummary: `${s.scope} — ${input.feature}`.slice(0, 200),
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
  });
}

/**
 * A scope's budget: the feature's pool, drawn through the feature; or (runs started before the pool)
 * its even share, which it spends alone.
 */
function budgetOf(run: FeatureCore): Partial<ImplementorInput['options']> {
  const usd = run.input.options.budgetUsd;
  if (usd === undefined) return {};
  return run.pooled ? { budgetUsd: usd, budgetPool: true } : { budgetUsd: usd / run.input.scopes.length };
}

export const reportsOf = (records: ScopeRecord[]) => records.flatMap((r) => r.report ?? []);

export function committedSummary(run: FeatureCore, commit: string | null, v: { validations: ValidationResult[]; findings: Finding[] }, delivered = 'nothing was pushed'): string {
  const landed = run.records.filter((r) => r.outcome.merged).length;
  const errors = v.findings.filter((f) => f.severity === 'error' && !f.suppressed).length;
  return [
    commit ? `${landed} of ${run.records.length} scope(s) committed on ${run.input.branch} (${commit.slice(0, 12)}); ${delivered}.` : `${landed} of ${run.records.length} scope(s) merged, but they change nothing: no commit.`,
    isFailing(v.validations) ? 'The merged tree fails validation (accepted).' : 'The merged tree validates.',
    errors ? `${errors} compliance finding(s) of severity error to review.` : '',
  ].filter(Boolean).join(' ');
}

export function featureReport(run: FeatureCore, r: {
  status: RunStatus; summary: string; commit: string | null; base: string; validations: ValidationResult[]; findings: Finding[]; delivery?: Delivery;
  pullRequest?: PullRequestRef; pullRequestError?: string;
}): FeatureReport {
  // Children finish in any order; reports follow the spec's scope order.
  const all = reportsOf(run.records);
  return {
    workflowId: run.state.workflowId, feature: run.input.feature, status: r.status, branch: r.commit ? run.input.branch : null, commit: r.commit, base: r.base,
    children: run.records.map((x) => x.outcome), validations: r.validations, findings: r.findings,
    assumptions: dedupe(all.flatMap((x) => x.assumptions), (a) => `${a.file}:${a.text}`),
    dependencies: dedupe(all.flatMap((x) => x.dependencies), (d) => d.description),
    humanAnswers: run.gate.answers, audit: run.gate.audit, summary: r.summary, llmUsage: totalUsage(all.map((x) => x.llmUsage)),
    ...(r.delivery ? { remote: r.delivery.remote, pushed: r.delivery.pushed, compare: r.delivery.compare } : {}),
    ...(r.pullRequest ? { pullRequest: r.pullRequest } : {}), ...(r.pullRequestError ? { pullRequestError: r.pullRequestError } : {}),
  };
}

/** The feature's report as its pull request shows it: every scope's questions, and who answered them, in its audit too. */
export function reviewedFeature(run: FeatureCore, r: Parameters<typeof featureReport>[1]): FeatureReport {
  const report = featureReport(run, r);
  const scopes = run.records.flatMap((x) => (x.report?.audit ?? []).map((e) => ({ ...e, scope: e.scope ?? x.outcome.scope })));
  return { ...report, audit: [...report.audit, ...scopes] };
}

function dedupe<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((t) => (seen.has(key(t)) ? false : (seen.add(key(t)), true)));
}

/** Run a scope's child and record how it ended; a child that fails or is cancelled is its scope's outcome. */
export async function settleScope(run: FeatureCore, r: ScopeRecord, start: () => Promise<ImplementorReport>): Promise<void> {
  const o = r.outcome;
  try {
    const report = await start();
    r.report = report;
    Object.assign(o, { status: report.status, summary: report.summary, filesCreated: report.filesCreated, filesModified: report.filesModified, filesDeleted: report.filesDeleted });
  } catch (err) {
    Object.assign(o, { status: 'failed', summary: isCancellation(err) ? 'cancelled' : `the child failed: ${failureMessage(err)}` });
  }
  Object.assign(r.status, { status: o.status, done: true, phase: 'done', pending: undefined });
  run.gate.mirror();
}
