// Where a run's files are, seen from the workflow: the workspace the first step opens on the worker
// that takes it, every later step sent to that worker's own queue, and — when that worker is gone
// for good (no worker takes a step from its queue within the host timeout) — the same workspace
// rebuilt on another worker from the source plus the change sets the run already applied, with no
// proposal asked again. At the end a run from a remote delivers its result as a pushed branch.
import { ActivityFailure, ApplicationFailure, TimeoutFailure, log } from '@temporalio/workflow';
import { Failure } from '../core/failures';
import type { LoadedContext, OpenedWorkspace, WorkspaceSource } from '../activities';
import type { LoadRequest, StoredContext } from '../activities/implement';
import type { StoredChangeSet } from '../runtime/blob-store';
import type { ImplementorInput } from '../core/schemas';
import { hostActivities, sharedActivities, type HostActivities } from './run-activities';

export const isHostLost = (err: unknown): boolean =>
  err instanceof ActivityFailure && err.cause instanceof TimeoutFailure && err.cause.timeoutType === 'SCHEDULE_TO_START';

export class RunWorkspace {
  acts: HostActivities;
  infraRoot: string;
  remote: OpenedWorkspace['remote'];
  /** Change sets applied so far, in order: what a rebuild applies again. */
  readonly applied: { changeSet: StoredChangeSet; step: string }[] = [];
  /** The run's context and its digest on the worker holding the workspace. */
  context: { stored: StoredContext; ref: string } | undefined;
  rebuilds = 0;
  /** A run pinned by its parent works in the parent's worktree: it never moves on its own. */
  readonly movable: boolean;
  /**
   * What of the run lives only on the worker holding the workspace and cannot be rebuilt elsewhere
   * (an agent's conversation and the files it wrote, which never enter history): set, a lost worker
   * ends the run instead of letting it go on in a workspace without its work.
   */
  onlyHere: string | undefined;

  constructor(private readonly input: ImplementorInput, private readonly ids: { workflowId: string; runId: string }) {
    this.acts = hostActivities(input.options.activityTaskQueue);
    this.infraRoot = input.infraRoot ?? '';
    this.movable = !input.options.activityTaskQueue;
  }

  private source(): WorkspaceSource {
    const { repo } = this.input;
    if (!repo) return { kind: 'path', infraRoot: this.input.infraRoot as string };
    // A rebuild starts from the very commit the run started from, whatever the branch did since.
    return { kind: 'repo', url: repo.url, subdir: repo.subdir, branch: repo.branch, ...(this.remote ? { base: this.remote.base } : repo.base ? { base: repo.base } : {}) };
  }

  /**
   * The first step, on the shared queue: the worker that takes it holds the workspace from now on.
   * With `load`, it loads the run's context there in the same step and returns it.
   */
  async open(load?: Omit<LoadRequest, 'infraRoot'>): Promise<LoadedContext | undefined> {
    const ws = await sharedActivities.openWorkspace({ source: this.source(), workflowId: this.ids.workflowId, ...(load ? { load } : {}) });
    this.infraRoot = ws.infraRoot;
    this.remote = ws.remote;
    this.acts = hostActivities(ws.hostQueue, this.movable ? this.input.options.hostTimeout : undefined);
    return ws.loaded;
  }

  /** A step on the worker holding the workspace; when that worker is lost for good, rebuilt elsewhere first. */
  async call<T>(step: (acts: HostActivities) => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await step(this.acts);
      } catch (err) {
        if (!this.movable || !isHostLost(err)) throw err;
        await this.rebuild();
      }
    }
  }

  private async rebuild(): Promise<void> {
    if (this.onlyHere) {
      throw ApplicationFailure.nonRetryable(`the worker holding the run's workspace is gone for good, and ${this.onlyHere} lived only there: start the run again`, Failure.WorkspaceUnavailable);
    }
    for (;;) {
      this.rebuilds++;
      log.warn('the worker holding the workspace is gone: rebuilding it on another worker', { rebuild: this.rebuilds, applied: this.applied.length });
      try {
        await this.open();
        if (this.context) this.context.ref = (await this.acts.files.storeContext({ context: this.context.stored })).ref;
        // A folder every worker reaches already holds the changes; a clone from the remote does not.
        if (this.remote) {
          for (const [i, a] of this.applied.entries()) {
            const journalKey = `${this.ids.workflowId}/${this.ids.runId}/rebuild-${this.rebuilds}-${i}-${a.step}`;
            await this.acts.files.applyChangeSet({ infraRoot: this.infraRoot, changeSet: a.changeSet, journalKey });
          }
        }
        return;
      } catch (err) {
        if (!isHostLost(err)) throw err;
      }
    }
  }

  /** The result as a commit on the run's branch, pushed unless the run says not to. */
  deliver(message: string, date: string) {
    const repo = this.input.repo;
    if (!repo) throw new Error('only a run from a remote delivers a branch');
    return this.call((a) => {
      const remote = this.remote as NonNullable<OpenedWorkspace['remote']>;
      return a.delivery.deliverChanges({ dir: remote.dir, gitDir: remote.gitDir, url: repo.url, base: remote.base, branch: repo.branch, message, date, push: repo.push });
    });
  }

  /** The workspace goes when the run closes (a folder the run was given stays, of course). */
  async close(): Promise<void> {
    const repo = this.input.repo;
    if (!repo || !this.remote || repo.keepWorkspace) return;
    await this.call((a) => a.delivery.closeWorkspace({ workflowId: this.ids.workflowId, url: repo.url, branch: repo.branch }));
  }
}
