// The activities of the implementor workflows, built by a factory that receives their
// dependencies (implementers, validation engine, state folder), so tests pass doubles without mocks.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { Failure } from '../core/failures';
import type { FixRequest, ImplementContext, Implementer, ScopeFile } from '../core/implementer';
import type { Finding, Phase, ValidationResult } from '../core/schemas';
import { ScaffoldError } from '../core/scaffold/plan';
import { applyChangeSet, restoreChanges, type AppliedEntry, type ApplyRequest } from '../runtime/changes';
import { repoReader, realRoot } from '../runtime/repo-fs';
import { readScope } from '../runtime/scope';
import { surveyPatterns } from '../runtime/patterns';
import { createScaffoldImplementer } from '../implementers/scaffold';
import { validateRepository } from '../validation';
import { inValidationQueue } from '../validation/pool';
import { appendLearnedPattern, type LearnedEntry } from '../runtime/learned-patterns';
import type { Proposal } from '../core/implementer';
import { BlobStore, type StoredChangeSet } from '../runtime/blob-store';
import { sealProposal } from '../runtime/secrets';

/** A proposal as it travels through history: large contents by digest. */
export type StoredProposal = Omit<Proposal, 'changeSet'> & { changeSet: StoredChangeSet };
import {
  abortMerge, commitFeature, commitScope, continueMerge, createFeatureWorkspace, mergeScope, mergeScopes, removeFeatureWorkspace,
  type FeatureWorkspace, type MergeOutcome,
} from '../runtime/git';

export type { AppliedEntry } from '../runtime/changes';
export type { FeatureWorkspace, MergeOutcome, ScopeWorktree } from '../runtime/git';

/** Tools an implementer gets for one call: heartbeats and the activity's cancellation signal. */
export interface ImplementerTools {
  heartbeat: (details?: unknown) => void;
  signal: AbortSignal;
}

export interface ActivityDeps {
  /** Where journals of applied changes are kept (outside the infra root). */
  stateDir: string;
  /** Implementers by name; each call builds one with the current activity's tools. */
  implementers: Record<string, (tools: ImplementerTools) => Implementer>;
  /** Validation and compliance of the files a run changed (the whole tree when `changedFiles` is absent). */
  validate?: (req: { infraRoot: string; changedFiles?: string[] }) => Promise<{ validations: ValidationResult[]; findings: Finding[] }>;
  /**
   * This worker's own task queue, polled by its host-specific worker: activities that touch a
   * worktree it created are sent there (Temporal's file-processing pattern).
   */
  hostTaskQueue?: string;
}

export const defaultImplementers: ActivityDeps['implementers'] = {
  scaffold: () => createScaffoldImplementer(),
};

function tools(): ImplementerTools {
  const ctx = Context.current();
  return { heartbeat: (d) => ctx.heartbeat(d), signal: ctx.cancellationSignal };
}

function implementerFor(deps: ActivityDeps, name: string): Implementer {
  const make = deps.implementers[name];
  if (!make) {
    throw ApplicationFailure.nonRetryable(`unknown implementer "${name}" (this worker has: ${Object.keys(deps.implementers).join(', ')})`, Failure.InvalidInput);
  }
  return make(tools());
}

/** Errors no retry can fix become non-retryable failures named by their cause. */
async function planning(fn: () => Promise<Proposal>): Promise<Proposal> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ScaffoldError) throw ApplicationFailure.nonRetryable(e.message, Failure.ScaffoldError);
    throw e;
  }
}

/**
 * The validation engine, incremental on the changed files, heartbeating as targets complete; in
 * the worker's queue of validations (a few at a time per process), heartbeating while it waits.
 */
async function engine(req: { infraRoot: string; changedFiles?: string[] }) {
  const ctx = Context.current();
  const root = await realRoot(req.infraRoot);
  return inValidationQueue(() => validateRepository({
    root,
    ...(req.changedFiles ? { changedFiles: req.changedFiles } : {}),
    signal: ctx.cancellationSignal,
    onProgress: () => ctx.heartbeat(),
  }), { signal: ctx.cancellationSignal, onWait: () => ctx.heartbeat('waiting for a validation slot') });
}

export const createActivities = (deps: ActivityDeps) => {
  const validate = deps.validate ?? engine;
  const blobs = new BlobStore(deps.stateDir);
  /** Large contents leave by digest: no payload nears Temporal's limits. */
  const stored = async (p: Proposal): Promise<StoredProposal> => ({ ...p, changeSet: await blobs.externalize(p.changeSet) });
  return {
  async readScope(req: { infraRoot: string; files: string[] }): Promise<ScopeFile[]> {
    return readScope(req);
  },

  async surveyPatterns(req: { infraRoot: string; reposRoot?: string }) {
    return surveyPatterns(req);
  },

  async proposePhase(req: { ctx: ImplementContext; phase: Phase }): Promise<StoredProposal> {
    const root = await realRoot(req.ctx.input.infraRoot);
    const proposal = await planning(() => implementerFor(deps, req.ctx.input.implementer).implementPhase(req.ctx, req.phase, repoReader(root)));
    // Seal Secrets before anything leaves the activity: only ciphertext reaches history or the store.
    return stored(await sealProposal(root, proposal, { signal: Context.current().cancellationSignal }));
  },

  async proposeFix(req: { ctx: ImplementContext; request: FixRequest }): Promise<StoredProposal> {
    const root = await realRoot(req.ctx.input.infraRoot);
    const proposal = await planning(() => implementerFor(deps, req.ctx.input.implementer).fix(req.ctx, req.request, repoReader(root)));
    return stored(await sealProposal(root, proposal, { signal: Context.current().cancellationSignal }));
  },

  async applyChangeSet(req: ApplyRequest): Promise<AppliedEntry[]> {
    return applyChangeSet(deps.stateDir, req);
  },

  async restoreChanges(req: { infraRoot: string; entries: Pick<AppliedEntry, 'path' | 'before'>[] }): Promise<string[]> {
    return restoreChanges(deps.stateDir, req);
  },

  /** The validators, and the compliance checklist of the same pass (the workflow keeps it when the tree passes). */
  async validateChanges(req: { infraRoot: string; changedFiles: string[] }): Promise<{ validations: ValidationResult[]; findings: Finding[] }> {
    return validate(req);
  },

  async recordLearnedPattern(req: { reposRoot: string; entry: LearnedEntry }): Promise<{ added: boolean; id: string }> {
    return appendLearnedPattern(req.reposRoot, req.entry);
  },

  /** The checklist on the rendered overlays the change touches (builds come from the content-hash cache). */
  async checkCompliance(req: { infraRoot: string; changedFiles: string[] }): Promise<{ findings: Finding[] }> {
    return { findings: (await validate(req)).findings };
  },

  // The feature workflow: where its worktrees live, and git on them (runtime/git.ts).

  /** The queue that reaches this very worker; falls back to the shared queue on a single-queue worker. */
  async workerTaskQueue(): Promise<string> {
    return deps.hostTaskQueue ?? Context.current().info.taskQueue;
  },

  async createFeatureWorkspace(req: { infraRoot: string; workflowId: string; slugs: string[]; branch: string }): Promise<FeatureWorkspace> {
    return createFeatureWorkspace(deps.stateDir, req);
  },

  async commitScope(req: { dir: string; base: string; message: string }): Promise<{ commit: string; changed: boolean }> {
    return commitScope(req);
  },

  async mergeScope(req: { dir: string; branch: string; scope: string; strategy?: 'ours' }): Promise<MergeOutcome> {
    return mergeScope(req);
  },

  /** The landed scopes' branches in order, until one needs a human (it is left in progress). */
  async mergeScopes(req: { dir: string; scopes: { branch: string; scope: string }[] }): Promise<Awaited<ReturnType<typeof mergeScopes>>> {
    return mergeScopes(req);
  },

  async continueMerge(req: { dir: string; files: string[] }): Promise<{ resolved: boolean; remaining: string[] }> {
    return continueMerge(req);
  },

  async abortMerge(req: { dir: string }): Promise<void> {
    return abortMerge(req);
  },

  /** Whole-repository validation and compliance of the merged tree (infrastructure-validator), once. */
  async validateTree(req: { infraRoot: string }): Promise<{ validations: ValidationResult[]; findings: Finding[] }> {
    return validate({ infraRoot: req.infraRoot });
  },

  async commitFeature(req: { dir: string; base: string; branch: string; message: string; gitRoot: string }): Promise<{ commit: string | null }> {
    return commitFeature(req);
  },

  async removeFeatureWorkspace(req: { infraRoot: string; workflowId: string; slugs: string[]; deleteScopeBranches: boolean; alsoDelete?: string[] }): Promise<{ removed: string[]; deletedBranches: string[] }> {
    return removeFeatureWorkspace(deps.stateDir, req);
  },
};
};

export type Activities = ReturnType<typeof createActivities>;
