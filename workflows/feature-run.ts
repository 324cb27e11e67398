// What the steps of a feature run share: the activities on the worker holding its worktrees, the
// scope records, the gate, and the small rules both the driver and the merge use.
import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { LIVENESS_TIMEOUT } from './liveness';
import { NON_RETRYABLE } from '../core/failures';
import { LANDING, type FeatureInput } from '../core/feature';
import type { ScopeRecord } from './feature-scopes';
import type { Decision, HumanGate, QuestionDraft } from './human-gate';
import type { FeatureStatus } from './messages';

// Everything touching the worktrees runs on the worker that holds them. A cancelled git step is
// waited for, so the clean-up never races a worktree being created.
export const onHost = (taskQueue: string) => ({
  git: proxyActivities<Activities>({
    taskQueue,
    startToCloseTimeout: '5m',
    heartbeatTimeout: LIVENESS_TIMEOUT,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '1s', maximumAttempts: 5, nonRetryableErrorTypes: [...NON_RETRYABLE.git] },
  }),
  validators: proxyActivities<Activities>({
    taskQueue,
    startToCloseTimeout: '30m',
    heartbeatTimeout: LIVENESS_TIMEOUT,
    retry: { initialInterval: '1s', maximumAttempts: 3, nonRetryableErrorTypes: [...NON_RETRYABLE.validators] },
  }),
});
export type HostActivities = ReturnType<typeof onHost>;

export const lands = (status: string | undefined) => LANDING.includes(status ?? '');

/** What the steps of any feature run share. */
export interface FeatureCore {
  input: FeatureInput;
  records: ScopeRecord[];
  state: FeatureStatus;
  gate: HumanGate;
  /** Set when a human accepted a conflict or a failing tree. */
  accepted: boolean;
  /** The feature's budget is one pool its scopes draw from (budget-pool.ts), not split among them. */
  pooled: boolean;
  setPhase(phase: string, details: string): void;
  askOwn(q: QuestionDraft): Promise<Decision>;
}

/** A feature on one machine: its worktrees on one worker, reached through that worker's queue. */
export interface FeatureRun extends FeatureCore {
  host: HostActivities;
  /** The queue of the worker holding the worktrees. */
  hostQueue: string;
}

export const scopeCommitMessage = (o: { scope: string; summary?: string; workflowId: string }) => `${o.scope}\n\n${o.summary ?? ''}\n\nInfra-Implementor-Workflow: ${o.workflowId}\n`;

