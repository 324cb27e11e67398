// The feature's merge and its validation of the merged tree: the landed scopes' branches merged in
// the spec's order (a conflict becomes the feature's own question), then the whole merged tree
// validated once (a failing tree, too).
import type { FeatureWorkspace, MergeOutcome, ScopeWorktree } from '../activities';
import type { Finding, ValidationResult } from '../core/schemas';
import { isFailing, summarizeFailures } from './helpers';
import { lands, scopeCommitMessage, type FeatureRun } from './feature-run';
import type { ScopeRecord } from './feature-scopes';

/** Merge every landed scope's branch into the merge worktree; `outcome.merged` says which made it. */
export async function mergeLanded(run: FeatureRun, ws: FeatureWorkspace, commitsOnClose: boolean): Promise<void> {
  const landing = run.records.filter((r) => lands(r.outcome.status));
  run.setPhase('merging', `merging ${landing.length} scope branch(es)`);
  if (!commitsOnClose) {
    // The old path, per scope: commit what each child wrote on its own branch, then merge it.
    for (const r of landing) {
      const w = r.worktree as ScopeWorktree;
      const { changed } = await run.host.git.commitScope({ dir: w.dir, base: ws.base, message: scopeCommitMessage(r.outcome) });
      r.outcome.merged = changed ? await mergeWithHuman(run, r, ws) : true;
    }
    return;
  }
  for (const r of landing) if (!r.commit?.changed) r.outcome.merged = true;
  let queue = landing.filter((r) => r.commit?.changed);
  const branchOf = (r: ScopeRecord) => (r.worktree as ScopeWorktree).branch;
  while (queue.length) {
    const merged = await run.host.git.mergeScopes({ dir: ws.merge.dir, scopes: queue.map((r) => ({ branch: branchOf(r), scope: r.outcome.scope })) });
    for (const r of queue) if (merged.merged.includes(branchOf(r))) r.outcome.merged = true;
    if (!merged.conflict) break;
    const at = queue.findIndex((r) => branchOf(r) === merged.conflict?.branch);
    const r = queue[at] as ScopeRecord;
    r.outcome.merged = await mergeWithHuman(run, r, ws, merged.conflict);
    queue = queue.slice(at + 1);
  }
}

/**
 * Merge one scope branch. A conflict git and the YAML union cannot settle becomes a question:
 * retry = continue after the human resolved it in the merge worktree, accept = keep the feature
 * side of each conflicting hunk (the scope's other changes land), abort = leave the scope out.
 */
async function mergeWithHuman(run: FeatureRun, r: ScopeRecord, ws: FeatureWorkspace, first?: MergeOutcome): Promise<boolean> {
  const { git } = run.host;
  const o = r.outcome;
  const branch = (r.worktree as ScopeWorktree).branch;
  let m = first ?? await git.mergeScope({ dir: ws.merge.dir, branch, scope: o.scope });
  while (m.outcome === 'conflict') {
    const conflicts = m.conflicts.join(', ');
    const decision = await run.askOwn({
      kind: 'merge-conflict',
      question: `Merging "${o.scope}" into ${run.input.branch} conflicts in ${conflicts}. Resolve the files in ${ws.merge.dir} and answer retry, accept to keep the feature side of each conflict, or abort to leave "${o.scope}" out.`,
      scope: o.scope,
      conflicts: m.conflicts,
      options: [
        { action: 'retry', meaning: `continue the merge once the conflict markers are gone from the files in ${ws.merge.dir}` },
        { action: 'accept', meaning: `keep the feature side of each conflicting hunk; the rest of "${o.scope}" is merged` },
        { action: 'abort', meaning: `leave "${o.scope}" out of the feature branch` },
      ],
    });
    if (decision.action === 'abort') {
      await git.abortMerge({ dir: ws.merge.dir });
      o.summary = `${o.summary ?? ''} Left out of ${run.input.branch}: merge conflict in ${conflicts}.`.trim();
      return false;
    }
    if (decision.action === 'accept') {
      run.accepted = true;
      m = await git.mergeScope({ dir: ws.merge.dir, branch, scope: o.scope, strategy: 'ours' });
    } else {
      const cont = await git.continueMerge({ dir: ws.merge.dir, files: m.conflicts });
      m = cont.resolved ? { outcome: 'merged', conflicts: [], autoResolved: [] } : { outcome: 'conflict', conflicts: cont.remaining, autoResolved: [] };
    }
  }
  return true;
}

/** infrastructure-validator: the whole merged tree, once; a failing tree asks a human. */
export async function validateMerged(run: FeatureRun, ws: FeatureWorkspace): Promise<{ validations: ValidationResult[]; findings: Finding[]; aborted?: string }> {
  for (;;) {
    run.setPhase('validating', 'validating the merged tree');
    const { validations, findings } = await run.host.validators.validateTree({ infraRoot: ws.merge.infraRoot });
    if (!isFailing(validations)) return { validations, findings };
    const decision = await run.askOwn({
      kind: 'merged-tree',
      question: `The merged tree fails validation (${summarizeFailures(validations).slice(0, 300)}). Retry after fixing the files in ${ws.merge.infraRoot}, accept and commit with the failures reported, or abort and commit nothing?`,
      failures: validations.filter((v) => v.status === 'fail'),
      options: [
        { action: 'retry', meaning: `validate again (fix the files in ${ws.merge.infraRoot} first; your edits are committed)` },
        { action: 'accept', meaning: 'commit the merged tree and report the failures' },
        { action: 'abort', meaning: 'commit nothing; the scope branches are removed' },
      ],
    });
    if (decision.action === 'abort') {
      return { validations, findings, aborted: `The merged tree failed validation and the commit was ${decision.timedOut ? 'abandoned at the deadline' : 'aborted by a human'}: nothing was committed.` };
    }
    if (decision.action === 'accept') {
      run.accepted = true;
      return { validations, findings };
    }
  }
}
