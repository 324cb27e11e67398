// The agent's steps as the workflow sees them: what a model turn and a tool batch take and give
// back. Only ids, names, paths, sizes, usage and the model's own short texts (Finish, a question)
// travel through history; the conversation itself stays in the blob store, by digest. Sandbox-safe.
import type { FixRequest } from './implementer';
import type { UsageCounters } from './phases';
import type { Assumption, Dependency } from './schemas';

/** A tool call of a turn, as history shows it: `Read apps/base/orders/deployment.yaml`. */
export interface ToolCallBrief {
  id: string;
  name: string;
  brief: string;
}

export interface AgentFinish {
  summary: string;
  assumptions: string[];
  dependencies: string[];
}

export interface AgentQuestion {
  /** The tool_use id the answer goes back to. */
  id: string;
  question: string;
  options: string[];
}

/** What the run adds to the conversation before a turn. */
export interface TurnAdd {
  /** The failures of the attempt before: the first message of a new attempt. */
  fix?: FixRequest;
  /** Answers to tool calls that waited for a human. */
  answers?: { id: string; text: string }[];
  /** A human's words outside a question of the agent (after the turn cap). */
  guidance?: string;
  /** The last reply was cut at max_tokens and discarded. */
  cut?: boolean;
  /** The last reply called no tool. */
  noTool?: boolean;
}

export interface TurnRequest {
  infraRoot: string;
  /** The run's context by reference: the first turn builds the conversation from it. */
  ctx?: { input: unknown; ref: string };
  /** The conversation's digest; absent on the very first turn. */
  conversation?: string;
  /** Stable across retries of this turn: `<workflowId>/<runId>/a<attempt>/t<turn>[/cut<n>]`. */
  key: string;
  add?: TurnAdd;
  /** With a budget: the most this call may cost; a call estimated above it is not made. */
  allowUsd?: number;
}

export type TurnResult =
  | { kind: 'over-budget'; estimateUsd: number; promptTokens: number }
  /** Cut at max_tokens: counted, not kept; the turn is asked once more. */
  | { kind: 'cut'; usage: UsageCounters }
  | { kind: 'reply'; conversation: string; calls: ToolCallBrief[]; stopReason: string; usage: UsageCounters };

export interface BatchRequest {
  infraRoot: string;
  conversation: string;
  /** Stable across retries of this batch. */
  key: string;
  /** Files the run has written so far (what Validate judges the change by). */
  touched: string[];
}

/** One file a batch wrote, as the run's journal keeps it: `before` by reference only. */
export interface WrittenFile {
  path: string;
  before: null | { ref: string };
  action: 'created' | 'modified' | 'deleted' | 'unchanged';
}

export interface BatchResult {
  conversation: string;
  results: { name: string; brief: string; ok: boolean }[];
  written: WrittenFile[];
  read: string[];
  /** `# REVIEW:` comments in what was written, and what sealing left to do. */
  assumptions: Assumption[];
  dependencies: Dependency[];
  finish?: AgentFinish;
  ask?: AgentQuestion;
}

/** A dependency the model named, with its kind guessed from its words. */
export function dependencyOf(text: string): Dependency {
  const kind: Dependency['kind'] = /\b(image|docker|container registry|ghcr\.io|quay\.io|docker\.io)\b|^[a-z0-9.-]+\/[a-z0-9._/-]+:[\w.-]+$/i.test(text) ? 'image'
    : /\bsops\b|\bage key\b|\bkms\b/i.test(text) ? 'sops-key'
      : /\b(secret|password|token|credential|api key)\b/i.test(text) ? 'secret-value'
        : /\b(dns|domain|record|hostname)\b/i.test(text) ? 'dns' : 'other';
  return { kind, description: text };
}

/** What a batch did, in one line for progress: `Read apps/x.yaml · Validate: 2 failures`. */
export const batchLine = (results: BatchResult['results']): string => results.map((r) => r.brief).join(' · ');
