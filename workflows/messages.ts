// Signals, queries, updates and search attributes of the implementor workflows, declared once so
// that the client imports the very same definitions.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { Answer, Finding, ValidationResult } from '../core/schemas';

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
