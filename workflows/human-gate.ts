// The human in the loop, once for both workflows: the question a run asks (with its id, options and
// deadline), the check of an answer (refused when nothing is pending, for an unknown action, or for a
// question that is not the pending one), the durable wait with the deadline's default action, the
// `AwaitingHuman` search attribute, and the audit trail of every question and answer.
import { upsertSearchAttributes } from '@temporalio/workflow';
import type { AnswerAction } from '../core/phases';
import type { AnswerInput, AuditEntry, Question, QuestionKind } from '../core/questions';
import { staleAnswerProblem } from '../core/questions';
import { checkAction, deadlineFrom } from './helpers';
import { AwaitingHumanKey } from './messages';
import { Notices } from './notices';

export type QuestionDraft = Pick<Question, 'question' | 'options'> & Partial<Omit<Question, 'id' | 'askedAt' | 'deadline' | 'atDeadline'>> & { kind: QuestionKind };

export interface Decision {
  action: AnswerAction;
  guidance?: string;
  budgetUsd?: number;
  timedOut: boolean;
}

export interface GateOptions {
  /** How long a question waits, e.g. `24h`; then `deadlineAction` applies. */
  deadline: string;
  deadlineAction: AnswerAction;
  /** Questions of others this run shows and routes (a feature's children), beside its own. */
  others?: () => Question[];
  /** Who is asking, for notices: the scope (or the feature). */
  scope: string;
  /** When to remind people before the deadline (e.g. `1h`). */
  reminders: readonly string[];
}

/** What the driver does around the wait: the phase it shows while waiting, and after; and its own check of an answer. */
export interface AskHooks {
  asked(q: Question): void;
  answered?(): void;
  check?(a: AnswerInput): void;
}

/** An answer must be one of the question's options (a failed push cannot be accepted, say). */
export function checkOption(a: AnswerInput, q: Question): void {
  if (!q.options.some((o) => o.action === a.action)) {
    throw new Error(`${a.action} is not an answer to ${q.id}: answer ${q.options.map((o) => o.action).join(', ').replace(/, (?=[^,]*$)/, ' or ')}`);
  }
}

export class HumanGate {
  /** The run's own pending question. */
  pending: Question | undefined;
  /** Every answer people gave, in order, as given. */
  readonly answers: AnswerInput[] = [];
  readonly audit: AuditEntry[] = [];
  readonly notices: Notices;
  private received: AnswerInput | undefined;
  private asked = 0;
  private awaiting = false;
  private extraCheck: ((a: AnswerInput) => void) | undefined;

  constructor(private readonly opts: GateOptions) {
    this.notices = new Notices(opts.scope, opts.reminders);
  }

  /** Every open question: others' first, then the run's own. */
  open(): Question[] {
    return [...(this.opts.others?.() ?? []), ...(this.pending ? [this.pending] : [])];
  }

  /** Throws the reason an answer for the run's own question cannot be taken (the update validator). */
  check(a: AnswerInput | undefined): void {
    if (!this.pending) throw new Error('nothing is pending: this run is not waiting for an answer');
    checkAction(a);
    checkOption(a as AnswerInput, this.pending);
    const stale = staleAnswerProblem(a as AnswerInput, [this.pending]);
    if (stale) throw new Error(stale);
    this.extraCheck?.(a as AnswerInput);
  }

  /** Take an answer already checked. */
  receive(a: AnswerInput): void {
    this.received = a;
  }

  /** `AwaitingHuman` follows the open questions; written only when it changes. */
  mirror(): void {
    const now = this.open().length > 0;
    if (now !== this.awaiting) upsertSearchAttributes([{ key: AwaitingHumanKey, value: now }]);
    this.awaiting = now;
  }

  /** Ask, wait durably until an answer or the deadline, and record both in the audit trail. */
  async ask(draft: QuestionDraft, hooks: AskHooks): Promise<Decision> {
    const now = new Date().getTime(); // workflow time: replay-safe inside the sandbox
    const q: Question = {
      failures: [], tried: [], ...draft,
      id: `q${++this.asked}`,
      askedAt: new Date(now).toISOString(),
      deadline: new Date(now + deadlineFrom(this.opts.deadline)).toISOString(),
      atDeadline: this.opts.deadlineAction,
    };
    const entry: AuditEntry = { question: q.question, id: q.id, kind: q.kind, askedAt: q.askedAt, ...(q.scope ? { scope: q.scope } : {}) };
    this.audit.push(entry);
    this.pending = q;
    this.received = undefined;
    this.extraCheck = hooks.check;
    hooks.asked(q);
    this.mirror();
    this.notices.send('asked', q);
    const answered = await this.notices.wait(() => this.received !== undefined, q, this.opts.deadline);
    this.pending = undefined;
    this.extraCheck = undefined;
    hooks.answered?.();
    this.mirror();
    const at = new Date().toISOString();
    if (!answered || !this.received) {
      entry.timedOut = { action: this.opts.deadlineAction, at };
      this.notices.send('timed-out', q, { action: this.opts.deadlineAction });
      return { action: this.opts.deadlineAction, timedOut: true };
    }
    const a: AnswerInput = this.received;
    this.notices.send('answered', q, { action: a.action, ...(a.by ? { by: a.by } : {}) });
    this.answers.push(a);
    entry.answer = { action: a.action, at, ...(a.guidance !== undefined ? { guidance: a.guidance } : {}), ...(a.by ? { by: a.by } : {}) };
    return { action: a.action, timedOut: false, ...(a.guidance !== undefined ? { guidance: a.guidance } : {}), ...(a.budgetUsd !== undefined ? { budgetUsd: a.budgetUsd } : {}) };
  }
}
