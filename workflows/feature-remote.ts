// A feature from a Git remote, for a cluster of workers: every scope is a run of its own (its own
// workspace cloned on whichever worker takes it) that returns what it wrote; the feature opens its
// own workspace on a worker, commits each landed scope on a branch there, merges them (a conflict is
// a question: keep the feature side, or leave the scope out), validates the merged tree once and
// pushes one commit on the feature branch. Everything after the children can be redone from the
// remote and the children's results alone, so when the feature's worker is lost for good the
// feature's workspace is rebuilt on another worker and the landing redone, with the answers given.
import { CancellationScope, isCancellation, log, workflowInfo } from '@temporalio/workflow';
import type { OpenedWorkspace } from '../activities';
import { featureCommitMessage, featureStatus, type FeatureReport } from '../core/feature';
import { Failure } from '../core/failures';
import type { Finding, RunStatus, ValidationResult } from '../core/schemas';
import type { Delivery } from '../runtime/remote';
import { committedSummary, reportsOf, reviewedFeature, settleScope, startScope } from './feature-children';
import { requestReview, type Review } from './pull-request';
import { lands, scopeCommitMessage, type FeatureCore } from './feature-run';
import type { ScopeRecord } from './feature-scopes';
import { failureMessage, failureType, isFailing, summarizeFailures } from './helpers';
import { hostActivities, sharedActivities, type HostActivities } from './run-activities';
import { isHostLost } from './run-workspace';

type Remote = NonNullable<OpenedWorkspace['remote']>;
type Checked = { validations: ValidationResult[]; findings: Finding[] };

/** What people decided while landing: kept across a rebuild so nobody is asked twice. */
interface Decisions {
  merge: Map<string, 'accept' | 'abort'>;
  treeAccepted: boolean;
}

export async function remoteFeature(run: FeatureCore, finish: (status: RunStatus, summary: string, r: { commit: string | null; base: string; delivery?: Delivery } & Checked & Omit<Review, 'summary'>) => Promise<FeatureReport>): Promise<FeatureReport> {
  const { input, records } = run;
  const repo = input.repo as NonNullable<typeof input.repo>;
  const info = workflowInfo();
  let remote: Remote | undefined;
  let acts: HostActivities | undefined;
  const open = async () => {
    const ws = await sharedActivities.openWorkspace({
      source: { kind: 'repo', url: repo.url, subdir: repo.subdir, branch: input.branch, ...(remote ? { base: remote.base } : repo.base ? { base: repo.base } : {}) },
      workflowId: info.workflowId,
    });
    remote = ws.remote as Remote;
    acts = hostActivities(ws.hostQueue, input.options.hostTimeout);
    return { remote, infraRoot: ws.infraRoot };
  };
  let checked: Checked = { validations: [], findings: [] };
  try {
    run.setPhase('workspace', `cloning ${repo.url} on a worker`);
    let ws = await open();
    const base = ws.remote.base;
    run.setPhase('implementing', `${records.length} scope(s) in parallel, each on the worker that takes it`);
    await Promise.allSettled(records.map((r) => runRemoteChild(run, r, base)));
    if (CancellationScope.current().consideredCancelled) await CancellationScope.current().cancelRequested;
    const decisions: Decisions = { merge: new Map(), treeAccepted: false };
    for (let rebuilds = 0; ; rebuilds++) {
      try {
        const landed = await land(run, acts as HostActivities, ws.remote, ws.infraRoot, decisions);
        checked = landed.checked;
        if (landed.aborted) return await finish(landed.aborted.status, landed.aborted.summary, { commit: null, base, ...checked });
        const d = landed.delivery;
        const summary = committedSummary(run, d.commit, checked, d.pushed ? `pushed to ${d.remote}` : 'not pushed (--no-push)');
        const status = d.commit === null ? 'failed' : featureStatus(records.map((r) => r.outcome), { committed: true, accepted: run.accepted });
        const done = { commit: d.commit, base, delivery: d, ...checked };
        const review = await requestReview(repo.pullRequest && { url: repo.url, target: repo.pullRequest, base: ws.remote.baseName, branch: input.branch },
          { kind: 'feature', report: reviewedFeature(run, { status, summary, ...done }) }, d.pushed && d.commit !== null, (details) => run.setPhase('pull-request', details));
        const { summary: reviewed, ...pullRequest } = review;
        return await finish(status, reviewed, { ...done, ...pullRequest });
      } catch (err) {
        if (!isHostLost(err)) throw err;
        log.warn('the worker holding the feature\'s workspace is gone: landing again on another worker', { rebuilds: rebuilds + 1 });
        run.setPhase('workspace', 'rebuilding the feature\'s workspace on another worker');
        ws = await open();
      }
    }
  } catch (err) {
    if (isCancellation(err)) throw err;
    return await finish('failed', `Failed: ${failureMessage(err)}. Nothing was pushed.`, { commit: null, base: remote?.base ?? '', ...checked });
  } finally {
    const branches = records.map((r) => r.outcome.branch).filter(Boolean);
    if (acts && !repo.keepWorkspace) {
      const host = acts;
      await CancellationScope.nonCancellable(async () => {
        await host.delivery.closeWorkspace({ workflowId: info.workflowId, url: repo.url, branch: input.branch });
        await host.delivery.deleteBranches({ url: repo.url, branches });
      }).catch((e) => log.error('could not remove the feature\'s workspace', { error: failureMessage(e) }));
    }
  }
}

/** A scope's child: a run of its own from the same commit, returning what it wrote. */
async function runRemoteChild(run: FeatureCore, r: ScopeRecord, base: string): Promise<void> {
  const repo = run.input.repo as NonNullable<typeof run.input.repo>;
  const o = r.outcome;
  o.branch = `${run.input.branch}--${r.spec.slug}`;
  // The child's own workspace branch is its own: the feature's scope branch is made from what it returns.
  await settleScope(run, r, () => startScope(run, r, { repo: { url: repo.url, base, subdir: repo.subdir, branch: `${o.branch}--work`, push: false, keepWorkspace: false }, returnChanges: true }));
}

type Landed = { checked: Checked; delivery: Delivery; aborted?: undefined } | { checked: Checked; aborted: { status: RunStatus; summary: string } };

/** Commit each landed scope, merge, validate and push: redone from the start after a rebuild. */
async function land(run: FeatureCore, acts: HostActivities, remote: Remote, infraRoot: string, decisions: Decisions): Promise<Landed> {
  const { input, records } = run;
  const repo = input.repo as NonNullable<typeof input.repo>;
  const date = new Date(workflowInfo().startTime).toISOString();
  const landing = records.filter((r) => lands(r.outcome.status) && r.report?.changes);
  run.setPhase('merging', `merging ${landing.length} scope(s)`);
  for (const r of landing) {
    r.commit = await acts.delivery.commitScopeChanges({
      gitDir: remote.gitDir, base: remote.base, subdir: repo.subdir, branch: r.outcome.branch, changes: r.report?.changes ?? [], message: scopeCommitMessage(r.outcome), date,
    });
    if (!r.commit.changed) r.outcome.merged = true;
  }
  for (const r of landing.filter((x) => x.commit?.changed)) r.outcome.merged = await mergeOne(run, acts, remote, r, decisions);
  const none = { validations: [], findings: [] };
  if (!records.some((r) => r.outcome.merged)) {
    return { checked: none, aborted: { status: 'failed', summary: `No scope could be merged: ${records.map((r) => `${r.outcome.scope} ${r.outcome.status}`).join(', ')}. Nothing was pushed.` } };
  }
  run.setPhase('validating', 'validating the merged tree');
  const checked = await acts.validators.validateTree({ infraRoot });
  if (isFailing(checked.validations) && !decisions.treeAccepted) {
    const decision = await run.askOwn({
      kind: 'merged-tree',
      question: `The merged tree fails validation (${summarizeFailures(checked.validations).slice(0, 300)}). Accept and push it with the failures reported, or abort and push nothing?`,
      failures: checked.validations.filter((v) => v.status === 'fail'),
      options: [{ action: 'accept', meaning: 'push the merged tree and report the failures' }, { action: 'abort', meaning: 'push nothing' }],
    });
    if (decision.action !== 'accept') return { checked, aborted: { status: 'aborted', summary: `The merged tree failed validation and ${decision.timedOut ? 'nobody answered before the deadline' : 'a human aborted'}: nothing was pushed.` } };
    decisions.treeAccepted = true;
    run.accepted = true;
  }
  run.setPhase('committing', `${repo.push ? 'pushing' : 'committing'} ${input.branch}`);
  const message = featureCommitMessage({ feature: input.feature, workflowId: workflowInfo().workflowId, children: records.map((r) => r.outcome), reports: reportsOf(records), ...checked });
  for (;;) {
    try {
      const delivery = await acts.delivery.deliverChanges({ dir: remote.dir, gitDir: remote.gitDir, url: repo.url, base: remote.base, branch: input.branch, message, date, push: repo.push });
      return { checked, delivery };
    } catch (err) {
      if (failureType(err) !== Failure.BranchMoved && failureType(err) !== Failure.PushRejected) throw err;
      const decision = await run.askOwn({
        kind: 'delivery',
        question: `${failureMessage(err)}. Retry the push once the remote allows it, or abort and push nothing?`,
        options: [{ action: 'retry', meaning: `push ${input.branch} again` }, { action: 'abort', meaning: 'push nothing' }],
      });
      if (decision.action !== 'retry') return { checked, aborted: { status: 'aborted', summary: `The push of ${input.branch} failed (${failureMessage(err)}) and ${decision.timedOut ? 'nobody answered before the deadline' : 'a human aborted'}: nothing was pushed.` } };
    }
  }
}

/** Merge one scope's branch; a conflict asks once (keep the feature side, or leave the scope out). */
async function mergeOne(run: FeatureCore, acts: HostActivities, remote: Remote, r: ScopeRecord, decisions: Decisions): Promise<boolean> {
  const o = r.outcome;
  const decided = decisions.merge.get(o.slug);
  if (decided === 'abort') return false;
  const m = await acts.git.mergeScope({ dir: remote.dir, branch: o.branch, scope: o.scope, ...(decided === 'accept' ? { strategy: 'ours' as const } : {}) });
  if (m.outcome === 'merged') return true;
  const decision = await run.askOwn({
    kind: 'merge-conflict',
    question: `Merging "${o.scope}" into ${run.input.branch} conflicts in ${m.conflicts.join(', ')}. Accept to keep the feature side of each conflicting hunk, or abort to leave "${o.scope}" out.`,
    scope: o.scope,
    conflicts: m.conflicts,
    options: [
      { action: 'accept', meaning: `keep the feature side of each conflicting hunk; the rest of "${o.scope}" is merged` },
      { action: 'abort', meaning: `leave "${o.scope}" out of the feature branch` },
    ],
  });
  if (decision.action !== 'accept') {
    decisions.merge.set(o.slug, 'abort');
    await acts.git.abortMerge({ dir: remote.dir });
    o.summary = `${o.summary ?? ''} Left out of ${run.input.branch}: merge conflict in ${m.conflicts.join(', ')}.`.trim();
    return false;
  }
  decisions.merge.set(o.slug, 'accept');
  run.accepted = true;
  return (await acts.git.mergeScope({ dir: remote.dir, branch: o.branch, scope: o.scope, strategy: 'ours' })).outcome === 'merged';
}
