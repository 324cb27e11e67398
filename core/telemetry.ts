// Names shared by the workflow-side and worker-side telemetry: metric names and histogram buckets,
// span attribute keys, and the activity header that carries a run's ids. Sandbox-safe constants.

/** Our metrics, on the same Prometheus endpoint as the Temporal SDK's own (`temporal_*`). */
export const METRIC = {
  /** Closed runs, tagged `outcome` (succeeded, accepted, aborted, failed, partial, cancelled, error) and `workflow_type`. */
  runs: 'infra_implementor_runs_total',
  /** Validate-and-fix attempts a closed implementor run took. */
  attempts: 'infra_implementor_attempts',
  /** Times a run stopped to ask a human. */
  escalations: 'infra_implementor_escalations_total',
  /** Seconds a run waited for a human (answer or deadline). */
  humanWait: 'infra_implementor_human_wait_seconds',
  /** Messages API calls, tagged `model` and `outcome` (ok or the error type). */
  llmCalls: 'infra_implementor_llm_calls_total',
  /** Tokens, tagged `model` and `kind` (input, output, cache_read, cache_write). */
  llmTokens: 'infra_implementor_llm_tokens_total',
  /** Dollars per priced call; its `_sum` is the money spent (models without a price are not in it). */
  llmCost: 'infra_implementor_llm_cost_usd',
  /** Seconds of each validator command (kustomize build, helm lint, helm template), tagged `tool`, `command`, `outcome`. */
  commandSeconds: 'infra_implementor_validator_command_seconds',
} as const;

/** Bucket boundaries in the metric's own unit (the SDK's defaults are for milliseconds). */
export const HISTOGRAM_BUCKETS: Record<string, number[]> = {
  [METRIC.attempts]: [1, 2, 3, 4, 5, 6, 8, 10],
  [METRIC.humanWait]: [1, 10, 60, 300, 900, 3600, 4 * 3600, 24 * 3600],
  [METRIC.llmCost]: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  [METRIC.commandSeconds]: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120],
};

/** The tracer our own spans come from (the SDK's interceptors use their own names). */
export const TRACER_NAME = 'infra-implementor';

/** Span attribute keys of our own (LLM calls use OpenTelemetry's `gen_ai.*` conventions, named as the Anthropic SDK's own spans name them). */
export const ATTR = {
  phase: 'infra_implementor.phase',
  scope: 'infra_implementor.scope',
  parentId: 'infra_implementor.parent_id',
  outcome: 'infra_implementor.outcome',
  attempts: 'infra_implementor.attempts',
  errorType: 'error.type',
  costUsd: 'infra_implementor.llm.cost_usd',
  tool: 'infra_implementor.validator.tool',
  command: 'infra_implementor.validator.command',
  target: 'infra_implementor.validator.target',
} as const;

/**
 * Header a workflow puts on each activity it schedules: the run's parent and phase, so that the
 * activity's log lines and spans carry them too (an activity's own info has only the workflow id).
 * Ids and phase names only, never the scope or any other text a user wrote: the SDK does not pass
 * headers through the payload codec, so they sit in history in plain text.
 */
export const RUN_CONTEXT_HEADER = 'infra-implementor-run';

export interface RunContext {
  parentId?: string;
  scope?: string;
  phase?: string;
}
