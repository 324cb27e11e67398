// Watch a run from its events until it closes: a progress row per scope as every phase is written,
// and each question the moment it is asked. Every run's phases come from its own history (for a
// feature, each child's too, followed from the moment it starts): a child's progress signal sent
// as it finishes can be lost with the child's close, its own history cannot. A child's question
// comes with its progress signal in the feature's history; a run's own question is read from its
// `status` when its phase says it asks (no event carries it).
import type { Client } from '@temporalio/client';
import type { AuditEntry, Question } from '../core/questions';
import { followHistory } from './history';
import type { ProgressRow } from './progress';
import { FactReader } from './run-facts';
import { RunTracker } from './run-tracker';
import { readStatus } from './status-read';

export interface WatchHandlers {
  /** Every change of a row, in the order each run's events were written. */
  progress?(rows: ProgressRow[]): void;
  /**
   * A question newly open; `runId` is the run it is answered through (the feature for its
   * children), `scope` the scope that asks (the feature's own row for a merge question).
   */
  asked?(q: Question, runId: string, scope: string): void;
  /**
   * A question shown earlier is no longer open; `outcome` is how it ended as the asking run's audit
   * trail says it (answered, or timed out), when it could be read.
   */
  settled?(q: Question, runId: string, scope: string, outcome?: AuditEntry): void;
  /** Something the watcher could not find out. */
  problem?(message: string): void;
}

/** How long the children's histories may still be read after the feature closed. */
const CHILD_GRACE_MS = 3000;

/** Resolves with the run's tracker when it has closed (or `signal` aborted). */
export async function watchRun(client: Client, workflowId: string, h: WatchHandlers, signal?: AbortSignal): Promise<RunTracker> {
  const { loadedDataConverter: converter, namespace } = client.options;
  const run = new RunTracker(workflowId);
  const children = new Map<string, RunTracker>();
  const followers: Promise<void>[] = [];
  const stopChildren = new AbortController();
  const childSignal = signal ? AbortSignal.any([signal, stopChildren.signal]) : stopChildren.signal;
  const rows = (): ProgressRow[] => (run.feature
    ? [...run.children.map((c) => children.get(c.workflowId)?.progress ?? { scope: c.scope, phase: 'queued' }), run.progress]
    : [run.progress]);
  const emit = () => h.progress?.(rows());

  const follow = async (tracker: RunTracker, abort: AbortSignal | undefined, onPage?: () => Promise<void>) => {
    const reader = new FactReader(converter, namespace, tracker.workflowId);
    for await (const events of followHistory(client, tracker.workflowId, abort)) {
      for (const e of events) {
        for (const f of await reader.read(e)) {
          if (tracker.apply(f)) emit();
          if (f.kind === 'child-started' && !children.has(f.workflowId)) {
            const child = new RunTracker(f.workflowId, run.children.find((c) => c.workflowId === f.workflowId)?.scope);
            children.set(f.workflowId, child);
            followers.push(follow(child, childSignal).catch((err: Error) => h.problem?.(`cannot follow ${f.workflowId}: ${err.message.split('\n')[0]}`)));
          }
        }
      }
      await onPage?.();
    }
  };

  const questions = new QuestionBoard(client, workflowId, run, h);
  try {
    await follow(run, signal, () => questions.update());
    // The children closed before their feature did; let their last events arrive, then stop.
    await Promise.race([Promise.all(followers), new Promise((resolve) => setTimeout(resolve, CHILD_GRACE_MS).unref())]);
  } finally {
    stopChildren.abort();
    await Promise.allSettled(followers);
  }
  return run;
}

/** The open questions of a run, announced once each as they open and again as they settle. */
class QuestionBoard {
  private readonly shown = new Map<string, Question>();
  private own: Question[] = [];
  private ownReadAt = 0;

  constructor(private readonly client: Client, private readonly workflowId: string, private readonly run: RunTracker, private readonly h: WatchHandlers) {}

  /** Once per page: a question asked and answered within one page (a run caught up later) is not news. */
  async update(): Promise<void> {
    if (!this.run.mayAskItself()) this.own = [];
    else if (this.ownReadAt !== this.run.ownChanges) {
      this.ownReadAt = this.run.ownChanges;
      this.own = await this.readOwn();
    }
    const open = [...this.run.childQuestions(), ...this.own];
    const keyOf = (q: Question) => `${q.workflowId ?? this.workflowId}/${q.id}`;
    const openKeys = new Set(open.map(keyOf));
    for (const [key, q] of this.shown) {
      if (openKeys.has(key)) continue;
      this.shown.delete(key);
      this.h.settled?.(q, this.workflowId, this.scopeOf(q), await this.outcome(q));
    }
    for (const q of open) {
      if (!this.shown.has(keyOf(q))) this.h.asked?.(q, this.workflowId, this.scopeOf(q));
      this.shown.set(keyOf(q), q);
    }
  }

  private scopeOf(q: Question): string {
    return q.scope ?? this.run.progress.scope;
  }

  /** How a question ended, from the audit trail of the run that asked it (a child's own, for its questions). */
  private async outcome(q: Question): Promise<AuditEntry | undefined> {
    if (!this.h.settled) return undefined;
    try {
      const s = await readStatus(this.client, q.workflowId ?? this.workflowId);
      return s.audit.find((a) => a.id === q.id && (a.answer || a.timedOut));
    } catch {
      return undefined; // said as "no longer pending": the run goes on either way
    }
  }

  private async readOwn(): Promise<Question[]> {
    try {
      const s = await readStatus(this.client, this.workflowId);
      // A feature's status lists its children's questions too: their signals said those already.
      return s.pending ? [s.pending] : [];
    } catch (e) {
      this.h.problem?.(`${this.workflowId} waits for a human, but its question could not be read: ${(e as Error).message.split('\n')[0]}; \`infra-implementor status ${this.workflowId}\` shows it`);
      return [];
    }
  }
}
