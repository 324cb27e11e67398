// Signals, queries, updates and search attributes of the implementor workflows, declared once so
// that the client imports the very same definitions.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { Answer, Finding, RunStatus, ValidationResult } from '../core/schemas';
import type { AuditEntry, Question } from '../core/questions';
import type { UsageCounters } from '../core/phases';
import type { FeatureAnswer } from '../core/feature';

export const TASK_QUEUE = 'infra-implementor';
export const IMPLEMENTOR_WORKFLOW = 'infrastructureImplementor';
export const FEATURE_WORKFLOW = 'featureImplementor';

export const ImplementorPhaseKey = defineSearchAttributeKey('ImplementorPhase', SearchAttributeType.KEYWORD);
export const AwaitingHumanKey = defineSearchAttributeKey('AwaitingHuman', SearchAttributeType.BOOL);
export const SEARCH_ATTRIBUTES = [ImplementorPhaseKey, AwaitingHumanKey];

/** The question a stuck run asks a human (core/questions.ts). */
export type PendingQuestion = Question;

/**
 * What a run is doing. A child sends it to its parent as is at every change (workflows cannot query
 * each other), and the feature's status lists its children in this shape.
 */
export interface RunProgress {
  workflowId: string;
  scope: string;
  phase: string;
  attempt: number;
  maxAttempts: number;
  pending?: Question;
  done: boolean;
  /** Set when the run has closed. */
  status?: RunStatus;
  /** Increases with every report, so a late signal never overwrites a newer one. */
  seq: number;
  /** LLM usage so far (tokens, estimated dollars), live. */
  usage?: UsageCounters;
}

/** The `status` query of an implementor run: its progress and the details people look at. */
export interface ImplementorStatus extends RunProgress {
  feature: string;
  startedAt: string;
  filesTouched: string[];
  lastValidations: ValidationResult[];
  findings: Finding[];
  /** Every question asked so far and how it ended. */
  audit: AuditEntry[];
  /** The LLM budget in US dollars, when the run has one (raised by a human's answer). */
  budgetUsd?: number;
  /** An agent's run: its turns so far and what its last tool calls did (`Read k8s/… · Validate: passes`). */
  agent?: { turns: number; toolCalls: number; doing?: string; filesRead: string[] };
}

export const answerSignal = defineSignal<[Answer]>('answer');
export const answerUpdate = defineUpdate<string, [Answer]>('answer');
export const statusQuery = defineQuery<ImplementorStatus>('status');

export const childProgressSignal = defineSignal<[RunProgress]>('childProgress');

/** A scope of a feature, as its status shows it: the child's progress and the scope's slug. */
export interface FeatureChildStatus extends RunProgress {
  slug: string;
}

export interface FeatureStatus {
  workflowId: string;
  feature: string;
  branch: string;
  phase: string;
  startedAt: string;
  children: FeatureChildStatus[];
  /** The feature's own question (a merge conflict, a failing merged tree), with `scope` and `conflicts`. */
  pending?: Question;
  /** Every open question: the children's (with `scope` and `workflowId`) and the feature's own. */
  questions: Question[];
  audit: AuditEntry[];
  /** The children's LLM usage so far, summed (live). */
  usage?: UsageCounters;
  done: boolean;
}

/** Same names as the child's: `status` and `answer` work on either kind of run. */
export const featureStatusQuery = defineQuery<FeatureStatus>('status');
export const featureAnswerSignal = defineSignal<[FeatureAnswer]>('answer');
export const featureAnswerUpdate = defineUpdate<string, [FeatureAnswer]>('answer');

/** A scope of a feature with a budget asks its feature to cover its next LLM call (budget-pool.ts). */
export interface BudgetDraw {
  workflowId: string;
  /** Increases with every draw of the child: the grant names the draw it answers. */
  seq: number;
  estimateUsd: number;
  /** What the child has spent so far, as it counts it. */
  spentUsd: number;
  scope: string;
}

/** The feature's answer to a draw: go on, or stop as a human decided. */
export interface BudgetGrant {
  seq: number;
  stop?: { action: 'accept' | 'abort'; timedOut: boolean; summary: string };
}

export const budgetDrawSignal = defineSignal<[BudgetDraw]>('budgetDraw');
export const budgetGrantSignal = defineSignal<[BudgetGrant]>('budgetGrant');
