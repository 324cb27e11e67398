// Git for the feature workflow (runtime/git.ts): its worktrees on this worker, scope commits, merges,
// the feature commit and the clean-up.
import {
  abortMerge, commitFeature, commitScope, continueMerge, createFeatureWorkspace, mergeScope, mergeScopes, removeFeatureWorkspace,
  type FeatureWorkspace, type MergeOutcome,
} from '../runtime/git';
import type { ActivityDeps } from '.';

export const featureGitActivities = (deps: ActivityDeps) => ({
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

  async commitFeature(req: { dir: string; base: string; branch: string; message: string; gitRoot: string }): Promise<{ commit: string | null }> {
    return commitFeature(req);
  },

  async removeFeatureWorkspace(req: { infraRoot: string; workflowId: string; slugs: string[]; deleteScopeBranches: boolean; alsoDelete?: string[] }): Promise<{ removed: string[]; deletedBranches: string[] }> {
    return removeFeatureWorkspace(deps.stateDir, req);
  },
});
