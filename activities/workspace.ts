// The run's files on this worker: where its workspace is (this worker's own queue), reading the
// scope and the patterns, applying and restoring change sets, and lessons learned.
import { existsSync, statSync } from 'node:fs';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { Failure } from '../core/failures';
import type { ScopeFile } from '../core/implementer';
import { applyChangeSet, restoreChanges, type AppliedEntry, type ApplyRequest } from '../runtime/changes';
import { appendLearnedPattern, type LearnedEntry } from '../runtime/learned-patterns';
import { surveyPatterns } from '../runtime/patterns';
import { readScope } from '../runtime/scope';
import { postNotification, type NotifyEvent } from '../runtime/notify';
import {
  collectChanges, commitChanges, deleteBranches, deliver, openRemoteWorkspace, removeRemoteWorkspace, type Delivery, type FileChange,
  type RemoteSource, type RemoteWorkspace,
} from '../runtime/remote';
import { loadRunContext, type LoadedContext, type LoadRequest } from './implement';
import type { ActivityDeps } from '.';

/**
 * Where a run's files come from: a folder every worker that may take the run can reach, or a Git
 * remote the worker clones (its cache shared by the runs on this worker) into a workspace of its own.
 */
export type WorkspaceSource = { kind: 'path'; infraRoot: string } | ({ kind: 'repo' } & RemoteSource);

/** The run's workspace as the worker that opened it says: its own queue, and the infra root there. */
export interface OpenedWorkspace {
  hostQueue: string;
  infraRoot: string;
  /** For a remote: the worktree, the cache it belongs to, and the commit the run starts from. */
  remote?: Omit<RemoteWorkspace, 'infraRoot'>;
  /** The run's context, loaded and stored here when the run asked for it with the workspace (one step, not two). */
  loaded?: LoadedContext;
}

/** The workspace on this worker: a clone of its own for a remote, the folder itself for a path. */
async function open(deps: ActivityDeps, req: { source: WorkspaceSource; workflowId: string }): Promise<OpenedWorkspace> {
  const hostQueue = deps.hostTaskQueue ?? Context.current().info.taskQueue;
  if (req.source.kind === 'repo') {
    const { infraRoot, ...remote } = await openRemoteWorkspace(deps.stateDir, { source: req.source, workflowId: req.workflowId });
    return { hostQueue, infraRoot, remote };
  }
  const { infraRoot } = req.source;
  // Another worker may reach the folder: let the retry find one (a wrong path was refused by the CLI).
  if (!existsSync(infraRoot) || !statSync(infraRoot).isDirectory()) {
    throw ApplicationFailure.retryable(`${infraRoot} is not a folder on this worker (${deps.hostTaskQueue ?? 'shared queue'})`, Failure.WorkspaceUnavailable);
  }
  return { hostQueue, infraRoot };
}

export const workspaceActivities = (deps: ActivityDeps) => ({
  /** The queue that reaches this very worker; falls back to the shared queue on a single-queue worker. */
  async workerTaskQueue(): Promise<string> {
    return deps.hostTaskQueue ?? Context.current().info.taskQueue;
  },

  /**
   * The first step of a run, on the shared queue: the worker that takes it holds the run's
   * workspace from now on, and every later step touching its files goes to this worker's queue.
   * With `load`, the run's context is loaded here too (the step loadContext would be next).
   */
  async openWorkspace(req: { source: WorkspaceSource; workflowId: string; load?: Omit<LoadRequest, 'infraRoot'> }): Promise<OpenedWorkspace> {
    const opened = await open(deps, req);
    return req.load ? { ...opened, loaded: await loadRunContext(deps, { ...req.load, infraRoot: opened.infraRoot }) } : opened;
  },

  /** The run's result leaves as a commit on its branch, pushed unless the run says not to. */
  async deliverChanges(req: Parameters<typeof deliver>[0]): Promise<Delivery> {
    return deliver(req);
  },

  /** What the run wrote, as it stands now: a feature's child returns it to its parent. */
  async collectChanges(req: { infraRoot: string; paths: string[] }): Promise<FileChange[]> {
    return collectChanges(req.infraRoot, req.paths);
  },

  /** A feature's scope: the changes its child returned, as a commit on the scope's branch of this worker's clone. */
  async commitScopeChanges(req: Parameters<typeof commitChanges>[0]): Promise<{ commit: string; changed: boolean }> {
    return commitChanges(req);
  },

  async deleteBranches(req: { url: string; branches: string[] }): Promise<void> {
    return deleteBranches(deps.stateDir, req.url, req.branches);
  },

  /** The workspace goes when the run closes; what was pushed stays on the remote. */
  async closeWorkspace(req: { workflowId: string; url: string; branch: string }): Promise<{ removed: boolean }> {
    return removeRemoteWorkspace(deps.stateDir, req);
  },

  async readScope(req: { infraRoot: string; files: string[] }): Promise<ScopeFile[]> {
    return readScope(req);
  },

  async surveyPatterns(req: { infraRoot: string; reposRoot?: string }) {
    return surveyPatterns(req);
  },

  async applyChangeSet(req: ApplyRequest): Promise<AppliedEntry[]> {
    return applyChangeSet(deps.stateDir, req);
  },

  async restoreChanges(req: { infraRoot: string; entries: Pick<AppliedEntry, 'path' | 'before'>[] }): Promise<string[]> {
    return restoreChanges(deps.stateDir, req);
  },

  /** Tell people about a question (a no-op without INFRA_IMPLEMENTOR_NOTIFY_URL); retried when the endpoint fails. */
  async notifyHumans(req: NotifyEvent): Promise<{ delivered: boolean }> {
    if (!deps.notifyUrl) return { delivered: false };
    await postNotification(deps.notifyUrl, req, Context.current().cancellationSignal);
    return { delivered: true };
  },

  async recordLearnedPattern(req: { reposRoot: string; entry: LearnedEntry }): Promise<{ added: boolean; id: string }> {
    return appendLearnedPattern(req.reposRoot, req.entry);
  },
});
