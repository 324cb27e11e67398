// The progress of one run built from the facts of its own history (run-facts.ts): its row (scope,
// phase, attempt, whether it waits, how it ended), the children a feature starts, and the questions
// those children report. Pure: the watcher feeds it facts and reads rows and questions back.
import type { Question } from '../core/questions';
import type { RunStatus } from '../core/schemas';
import type { RunProgress } from '../workflows/messages';
import type { ProgressRow } from './progress';
import type { ClosedHow, RunFact, ScopeRef } from './run-facts';

/** The row a feature shows for its own phases, below its children. */
export const FEATURE_ROW = '(feature)';

export class RunTracker {
  feature = false;
  closed: ClosedHow | undefined;
  /** The feature's scopes in spec order (empty for an implement run). */
  children: ScopeRef[] = [];
  /** Bumped whenever the run's own phase changes: its own question may have changed. */
  ownChanges = 0;
  private readonly row: ProgressRow;
  private readonly childSeq = new Map<string, number>();
  private readonly childAsks = new Map<string, Question>();

  /** `scope` names the row until the run's first event says its own (a feature knows its children's). */
  constructor(readonly workflowId: string, scope = workflowId) {
    this.row = { scope, phase: 'queued' };
  }

  /** Takes a fact; returns whether the row changed. */
  apply(f: RunFact): boolean {
    switch (f.kind) {
      case 'started':
        this.feature = f.feature;
        this.children = f.children;
        this.row.scope = f.feature ? FEATURE_ROW : f.scope;
        return true;
      case 'phase':
        this.ownChanges++;
        return this.phase(f.phase);
      case 'tools':
        this.row.doing = f.line;
        return true;
      case 'child-progress':
        this.childProgress(f.progress);
        return false;
      case 'child-closed':
        this.childAsks.delete(f.workflowId);
        return false;
      case 'child-started':
        return false;
      case 'closed':
        return this.close(f.how, f.status);
    }
  }

  private phase(phase: string): boolean {
    // `attempt` is the number of validations run so far (core/run-machine.ts): one per validate phase.
    if (phase === 'validate' && !this.feature) this.row.attempt = (this.row.attempt ?? 0) + 1;
    this.row.phase = phase;
    this.row.waiting = phase === 'awaiting-human';
    delete this.row.doing;
    return true;
  }

  private close(how: ClosedHow, status: RunStatus | undefined): boolean {
    this.closed = how;
    this.childAsks.clear();
    this.row.waiting = false;
    // A run that failed, was cancelled, terminated or timed out has no report: it failed.
    this.row.status = status ?? (how === 'continued as new' ? undefined : 'failed');
    if (!status) this.row.phase = how;
    return true;
  }

  /** A child's question as its feature shows it, unless a newer report came first. */
  private childProgress(p: RunProgress): void {
    if (p.seq <= (this.childSeq.get(p.workflowId) ?? 0)) return;
    this.childSeq.set(p.workflowId, p.seq);
    if (p.pending && !p.done) this.childAsks.set(p.workflowId, { ...p.pending, scope: p.scope, workflowId: p.workflowId });
    else this.childAsks.delete(p.workflowId);
  }

  get progress(): ProgressRow {
    return { ...this.row };
  }

  /** The children's open questions (with their scope and run), in the order they were asked. */
  childQuestions(): Question[] {
    return [...this.childAsks.values()];
  }

  /**
   * Whether the run holds a question of its own, which only its `status` can tell: both workflows
   * are in the awaiting-human phase exactly while their own question is open.
   */
  mayAskItself(): boolean {
    return !this.closed && this.row.phase === 'awaiting-human';
  }
}
