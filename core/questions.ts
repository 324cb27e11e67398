// The questions a run asks people, their answers, and the audit trail of both. Sandbox-safe and
// free of zod (the workflows import it; the answer's schema for the client's edge is in schemas.ts).
import type { AnswerAction } from './phases';


/** What a question is about. */
export type QuestionKind = 'validation' | 'budget' | 'merge-conflict' | 'merged-tree' | 'delivery'
  /** The agent itself asks (AskUserQuestion); the answer goes back to it. */
  | 'agent'
  /** The agent used its turns of an attempt without finishing. */
  | 'turns';

/** A question a run asks a human, with everything needed to answer it. */
export interface Question {
  /** `q1`, `q2`, … in the order the run asked them; `answer --question` names it. */
  id: string;
  kind: QuestionKind;
  question: string;
  /** What failed, as the validators said it. */
  failures: QuestionFailure[];
  /** What was tried: one line per attempt. */
  tried: string[];
  options: { action: AnswerAction; meaning: string }[];
  askedAt: string;
  deadline: string;
  /** What the run does when nobody answers before the deadline. */
  atDeadline: AnswerAction;
  /** For feature workflows: the scope the question belongs to, or the merge conflict's files. */
  scope?: string;
  conflicts?: string[];
  /** Children's questions as their feature shows them: the child run that asks. */
  workflowId?: string;
}

/** An answer as people send it (its zod schema, `Answer`, is in schemas.ts for the client's edge). */
export interface AnswerInput {
  action: AnswerAction;
  /** With retry: guidance that goes into the next fix's prompt. */
  guidance?: string;
  /** The question it answers; an answer to another one than the pending question is refused. */
  question?: string;
  /** Who answers (the CLI sends user@host); recorded in the audit trail. */
  by?: string;
  /** With retry on a budget question: the new budget in US dollars. */
  budgetUsd?: number;
}

/** A failed validation as a question shows it (a ValidationResult of schemas.ts). */
export interface QuestionFailure {
  validator: string;
  target: string;
  status: string;
  message: string;
  file?: string;
  line?: number;
  column?: number;
}

/** One question in the report's audit trail: when it was asked, and how it ended. */
export interface AuditEntry {
  question: string;
  id: string;
  kind: QuestionKind;
  scope?: string;
  askedAt: string;
  /** Set when a person answered. */
  answer?: { action: AnswerAction; guidance?: string; by?: string; at: string };
  /** Set when the deadline applied the default action. */
  timedOut?: { action: AnswerAction; at: string };
}

/**
 * Why an answer cannot be taken for the open questions, or undefined when it can. An answer naming
 * a question that is not pending (answered already, superseded) names the one that is.
 */
export function staleAnswerProblem(a: Pick<AnswerInput, 'question'>, open: Pick<Question, 'id' | 'scope'>[]): string | undefined {
  if (a.question === undefined || open.some((q) => q.id === a.question)) return undefined;
  const current = open.map((q) => `${q.id}${q.scope ? ` (${q.scope})` : ''}`).join(', ');
  return `question ${a.question} is not pending (answered or superseded): the open question is ${current}`;
}

/** The command that answers a question, as the CLI prints it. */
export function answerCommand(workflowId: string, q: Pick<Question, 'id' | 'scope' | 'options'>): string {
  const actions = q.options.map((o) => o.action).join('|');
  return `infra-implementor answer ${workflowId} --question ${q.id}${q.scope ? ` --scope "${q.scope}"` : ''} --action ${actions} [--guidance TEXT]`;
}
