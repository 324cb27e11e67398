// Signals, queries, updates and search attributes of the implementor workflows, declared once so
// that the client imports the very same definitions.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { Answer, Finding, RunStatus, ValidationResult } from '../core/schemas';
import type { FeatureAnswer } from '../core/feature';

export const TASK_QUEUE = 'infra-implementor';
export const IMPLEMENTOR_WORKFLOW = 'infrastructureImplementor';
export const FEATURE_WORKFLOW = 'featureImplementor';

export const ImplementorPhaseKey = defineSearchAttributeKey('ImplementorPhase', SearchAttributeType.KEYWORD);
export const AwaitingHumanKey = defineSearchAttributeKey('AwaitingHuman', SearchAttributeType.BOOL);
export const SEARCH_ATTRIBUTES = [ImplementorPhaseKey, AwaitingHumanKey];

/** The question a stuck run asks a human. */
export interface PendingQuestion {
  question: string;
  /** What failed, as the validators said it. */
  failures: ValidationResult[];
  /** What was tried: one line per attempt. */
  tried: string[];
  options: { action: Answer['action']; meaning: string }[];
  askedAt: string;
  deadline: string;
  /** For feature workflows: the scope the question belongs to, or the merge conflict's files. */
  scope?: string;
  conflicts?: string[];
}

export interface ImplementorStatus {
  workflowId: string;
  feature: string;
  scope: string;
  phase: string;
  attempt: number;
  maxAttempts: number;
  startedAt: string;
  pending?: PendingQuestion;
  filesTouched: string[];
  lastValidations: ValidationResult[];
  findings: Finding[];
  done: boolean;
}

export const answerSignal = defineSignal<[Answer]>('answer');
export const answerUpdate = defineUpdate<string, [Answer]>('answer');
export const statusQuery = defineQuery<ImplementorStatus>('status');

/** What a child tells its parent feature workflow at every phase change (workflows cannot query each other). */
export interface ChildProgress {
  workflowId: string;
  /** Increases with every report, so a late signal never overwrites a newer one. */
  seq: number;
  phase: string;
  attempt: number;
  maxAttempts: number;
  pending?: PendingQuestion;
  done: boolean;
}
export const childProgressSignal = defineSignal<[ChildProgress]>('childProgress');

export interface FeatureChildStatus {
  scope: string;
  slug: string;
  workflowId: string;
  phase: string;
  attempt: number;
  maxAttempts: number;
  pending?: PendingQuestion;
  /** Set when the child has closed. */
  status?: RunStatus;
  done: boolean;
}

export interface FeatureStatus {
  workflowId: string;
  feature: string;
  branch: string;
  phase: string;
  startedAt: string;
  children: FeatureChildStatus[];
  /** The feature's own question (a merge conflict, a failing merged tree), with `scope` and `conflicts`. */
  pending?: PendingQuestion;
  /** Every open question: the children's (with `scope`) and the feature's own. */
  questions: PendingQuestion[];
  done: boolean;
}

/** Same names as the child's: `status` and `answer` work on either kind of run. */
export const featureStatusQuery = defineQuery<FeatureStatus>('status');
export const featureAnswerSignal = defineSignal<[FeatureAnswer]>('answer');
export const featureAnswerUpdate = defineUpdate<string, [FeatureAnswer]>('answer');
