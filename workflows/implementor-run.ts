// The state of one implementor run and what every step shares: the phase shown in the UI and sent
// to a parent, the journal of what the run wrote (for the report and for abort), usage, and the report.
import {
  CancellationScope, allHandlersFinished, condition, getExternalWorkflowHandle, patched, setCurrentDetails, setHandler,
  upsertSearchAttributes, workflowInfo,
} from '@temporalio/workflow';
import type { AppliedEntry } from '../activities';
import { RunWorkspace } from './run-workspace';
import { addUsage } from '../core/usage';
import { enterPhase } from './telemetry';
import type { Delivery, FileChange } from '../runtime/remote';
import { emptyUsage } from '../core/phases';
import type {
  Assumption, ChangeSet, Dependency, Finding, ImplementorInput, ImplementorReport, LlmUsage, PullRequestRef, RunStatus, ValidationResult,
} from '../core/schemas';
import { validSignal } from './helpers';
import { HumanGate } from './human-gate';
import { PoolClient } from './budget-pool';
import {
  answerSignal, answerUpdate, AwaitingHumanKey, childProgressSignal, ImplementorPhaseKey, statusQuery, type ImplementorStatus,
  type RunProgress,
} from './messages';

/** Version marker: a child waits for its last progress signal to reach its parent before it closes. */
export const DELIVER_LAST_PROGRESS = 'deliver-last-progress';

export class ImplementorRun {
  readonly info = workflowInfo();
  readonly state: ImplementorStatus;
  readonly gate: HumanGate;
  /** What this run wrote: the first "before" of each file, for the report and for abort. */
  readonly journal = new Map<string, AppliedEntry>();
  readonly assumptions: Assumption[] = [];
  readonly dependencies: Dependency[] = [];
  readonly usage: LlmUsage = emptyUsage();
  /** What the fixes changed: the lesson recorded when validation passes after a fix. */
  readonly fixesApplied: string[] = [];
  lastGuidance: string | undefined;
  validations: ValidationResult[] = [];
  /** Where the run's files are: the worker holding them, and the folder there. */
  readonly ws: RunWorkspace;
  /** Runs from a remote: where the result went. */
  delivery: Delivery | undefined;
  /** A feature's child on a remote: what it returns to its parent. */
  changes: FileChange[] | undefined;
  /** Runs from a remote that asked for one: the pull request, or why none was opened. */
  pullRequest: PullRequestRef | undefined;
  pullRequestError: string | undefined;
  private applyCount = 0;

  constructor(readonly input: ImplementorInput) {
    this.ws = new RunWorkspace(input, { workflowId: this.info.workflowId, runId: this.info.runId });
    this.state = {
      workflowId: this.info.workflowId,
      feature: input.featureDescription,
      scope: input.scope,
      phase: 'scope',
      attempt: 0,
      maxAttempts: input.options.maxAttempts,
      startedAt: new Date(this.info.startTime).toISOString(),
      filesTouched: [],
      lastValidations: [],
      findings: [],
      audit: [],
      done: false,
      seq: 0,
      ...(input.options.budgetUsd !== undefined ? { budgetUsd: input.options.budgetUsd } : {}),
    };
    this.gate = new HumanGate({
      deadline: input.options.humanDeadline, deadlineAction: input.options.deadlineAction, scope: input.scope,
      // Runs started before reminders existed have none in their options.
      reminders: input.options.reminders ?? [],
    });
    this.state.audit = this.gate.audit;
  }

  /** A feature's scope drawing from the feature's budget pool (options.budgetPool). */
  readonly pool = new PoolClient();

  /** Handlers first, before the first await: `status`, and `answer` as a signal and as an update. */
  registerHandlers(): void {
    if (this.input.options.budgetPool) this.pool.register();
    setHandler(statusQuery, () => ({ ...this.state, pending: this.gate.pending, usage: this.usage }));
    setHandler(answerSignal, validSignal((a) => this.gate.check(a), (a) => this.gate.receive(a)));
    setHandler(answerUpdate, (a) => {
      this.gate.receive(a);
      return `accepted: ${a.action}`;
    }, { validator: (a) => this.gate.check(a) });
  }

  setPhase(phase: string, details?: string): void {
    enterPhase(phase);
    this.state.phase = phase;
    upsertSearchAttributes([{ key: ImplementorPhaseKey, value: phase }]);
    const attempt = this.state.attempt ? ` (attempt ${this.state.attempt}/${this.state.maxAttempts})` : '';
    setCurrentDetails(`**${this.input.scope}** — ${details ?? phase}${attempt}`);
    this.tellParent();
  }

  /** The progress a parent sees: the run's status without its details, as is. */
  progress(): RunProgress {
    const { workflowId, scope, phase, attempt, maxAttempts, seq, status } = this.state;
    const pending = this.gate.pending;
    return {
      workflowId, scope, phase, attempt, maxAttempts, done: phase === 'done', seq, usage: this.usage,
      ...(pending ? { pending } : {}), ...(status ? { status } : {}),
    };
  }

  /** A feature workflow cannot query its children: each tells its parent where it is instead. */
  private tellParent(): void {
    const parent = this.info.parent;
    if (!parent) return;
    this.state.seq++;
    // Best effort: the run must not fail because its parent is gone.
    this.lastProgress = getExternalWorkflowHandle(parent.workflowId, parent.runId).signal(childProgressSignal, this.progress()).catch(() => undefined);
  }

  /** The last progress signal sent to the parent, until it is delivered. */
  private lastProgress: Promise<void> = Promise.resolve();

  /** The most one proposal has cost so far: the estimate of the next one, against the budget. */
  maxProposalUsd = 0;

  addUsage(u?: LlmUsage): void {
    addUsage(this.usage, u);
    this.maxProposalUsd = Math.max(this.maxProposalUsd, u?.costUsd ?? 0);
  }

  /** Apply a change set; returns how many files it really changed. */
  async apply(changeSet: ChangeSet, step: string): Promise<number> {
    this.applyCount++;
    this.collect(changeSet.assumptions, changeSet.dependencies);
    if (!changeSet.operations.length) return 0;
    const { workflowId, runId } = this.info;
    const journalKey = `${workflowId}/${runId}/${this.applyCount}-${step}`;
    const entries = await this.ws.call((a) => a.files.applyChangeSet({ infraRoot: this.ws.infraRoot, changeSet, journalKey }));
    this.ws.applied.push({ changeSet, step });
    this.record(entries);
    return entries.filter((e) => e.action !== 'unchanged').length;
  }

  /** Assumptions and dependencies for the report, each once. */
  collect(assumptions: readonly Assumption[], dependencies: readonly Dependency[]): void {
    for (const a of assumptions) if (!this.assumptions.some((x) => x.text === a.text && x.file === a.file)) this.assumptions.push(a);
    for (const d of dependencies) if (!this.dependencies.some((x) => x.description === d.description)) this.dependencies.push(d);
  }

  /** Files written (by a change set or an agent's tools) into the journal: the first "before" of each is kept. */
  record(entries: readonly AppliedEntry[]): void {
    for (const e of entries) {
      const first = this.journal.get(e.path);
      this.journal.set(e.path, first ? { ...first, action: recomputeAction(first.before, e) } : e);
    }
    this.state.filesTouched = [...this.journal.keys()];
  }

  /** An agent's progress: its turns, its tool calls and the files it read, in `status` and in the UI. */
  noteAgent(agent: { turns: number; toolCalls: number; filesRead: readonly string[] }, doing: string): void {
    this.agent = { turns: agent.turns, toolCalls: agent.toolCalls, filesRead: [...agent.filesRead] };
    this.state.agent = { ...this.agent, doing };
    setCurrentDetails(`**${this.input.scope}** — ${doing}`);
  }

  /** Set on an agent's run: what the report says of its work. */
  agent: { turns: number; toolCalls: number; filesRead: string[] } | undefined;

  touched(): string[] {
    return [...this.journal.keys()];
  }

  /**
   * Put back every file this run wrote; finishes even when the run is being cancelled. A workspace
   * cloned from a remote is simply not delivered: nothing of it ever left the worker.
   */
  async restore(): Promise<void> {
    const entries = [...this.journal.values()].map(({ path, before }) => ({ path, before }));
    if (!this.input.repo) await CancellationScope.nonCancellable(() => this.ws.call((a) => a.files.restoreChanges({ infraRoot: this.ws.infraRoot, entries })));
    for (const e of this.journal.values()) e.action = 'unchanged';
  }

  async finish(status: RunStatus, summary: string): Promise<ImplementorReport> {
    this.state.status = status;
    this.setPhase('done', summary);
    // The final state is always written, whatever the gate last mirrored.
    upsertSearchAttributes([{ key: AwaitingHumanKey, value: false }]);
    this.state.done = true;
    // A signal still on its way when the run closes is never delivered: the parent would not see
    // the last phases (compliance, done). Runs started before this wait replay without it.
    if (this.info.parent && patched(DELIVER_LAST_PROGRESS)) await this.lastProgress;
    await this.gate.notices.settle();
    await condition(allHandlersFinished);
    return this.report(status, summary);
  }

  report(status: RunStatus, summary: string): ImplementorReport {
    const entries = [...this.journal.values()];
    const files = (action: AppliedEntry['action']) => entries.filter((e) => e.action === action).map((e) => e.path).sort();
    return {
      workflowId: this.info.workflowId,
      feature: this.input.featureDescription,
      scope: this.input.scope,
      status,
      attempts: this.state.attempt,
      filesCreated: files('created'),
      filesModified: files('modified'),
      filesDeleted: files('deleted'),
      assumptions: this.assumptions,
      dependencies: this.dependencies,
      validations: this.validations,
      findings: this.state.findings,
      llmUsage: this.usage,
      humanAnswers: this.gate.answers,
      audit: this.gate.audit,
      summary,
      ...(this.agent ? { filesRead: [...this.agent.filesRead].sort(), agent: { turns: this.agent.turns, toolCalls: this.agent.toolCalls } } : {}),
      ...(this.delivery ? { ...this.delivery } : {}),
      ...(this.pullRequest ? { pullRequest: this.pullRequest } : {}),
      ...(this.pullRequestError ? { pullRequestError: this.pullRequestError } : {}),
      ...(this.changes ? { changes: this.changes } : {}),
    };
  }

  setFindings(findings: Finding[]): void {
    this.state.findings = findings;
  }
}

function recomputeAction(before: AppliedEntry['before'], latest: AppliedEntry): AppliedEntry['action'] {
  if (latest.action === 'deleted') return before === null ? 'unchanged' : 'deleted';
  return before === null ? 'created' : 'modified';
}
