// The shapes every step exchanges: inputs, change sets, validation results, findings, reports.
// Parsed with zod once at the edges (CLI, LLM replies, specs); trusted inside.
import { z } from 'zod';
import { DURATION_PATTERN } from './duration';
import { FORGES } from './forge';
import { ANSWER_ACTIONS, PHASES, type UsageCounters } from './phases';
import type { AnswerInput, AuditEntry } from './questions';

/** The five implementation phases, in the order they run. */
export { ANSWER_ACTIONS, PHASES, emptyUsage } from './phases';
export const Phase = z.enum(PHASES);
export type Phase = z.infer<typeof Phase>;

const dns1123 = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS-1123 name (lower-case letters, digits and "-")')
  .max(63);

const envKey = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');

/**
 * A path relative to the infrastructure root, POSIX separators. The lexical rules live here;
 * symlinks are checked against the disk by the activity that writes.
 */
export const RelativePath = z
  .string()
  .min(1, 'must not be empty')
  .max(1024)
  .refine((p) => !p.includes('\0') && !/[\n\r]/.test(p), 'must not contain NUL or newline characters')
  .refine((p) => /^[A-Za-z0-9._\-/+@=,~\\:]+$/.test(p), 'may only contain letters, digits and . _ - + @ = , ~ / (no spaces or shell metacharacters)')
  .refine((p) => !p.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(p), 'must be relative to the infra root, not absolute')
  .refine((p) => !p.split(/[\\/]/).includes('..'), 'must not contain ".." segments')
  .refine((p) => !p.split(/[\\/]/).includes('.git'), 'must not point into .git');

/** A service to add, in the repository's own style (DESIGN.md "service spec"). */
const replicaCount = z.number().int().min(0).max(1000);

export const ServiceSpec = z
  .object({
    service: dns1123,
    image: z.string().min(1).regex(/^[^\s]+$/, 'must be an image reference without spaces'),
    port: z.number().int().min(1).max(65535).optional(),
    environments: z.array(dns1123).min(1).optional(),
    /** One count for every environment (`replicas: 2`), or one per environment (`{ staging: 1, production: 3 }`). */
    replicas: z.union([replicaCount, z.record(z.string(), replicaCount)], { error: 'must be a number of replicas, or a map of environment to number' }).optional(),
    config: z.record(envKey, z.union([z.string(), z.number(), z.boolean()]).transform(String)).optional(),
    secrets: z.array(envKey).optional(),
    ingress: z
      .object({ host: z.string().regex(/^[a-z0-9.-]+$/i, 'must be a host name'), path: z.string().startsWith('/').optional() })
      .strict()
      .optional(),
    sensitive: z.boolean().optional(),
    /**
     * Environments with no overlay yet may be created (set by `implement --allow-new-environment`
     * or a feature scope's `allowNewEnvironment`); otherwise they are refused before the run starts.
     */
    allowNewEnvironment: z.boolean().optional(),
  })
  .strict();
export type ServiceSpec = z.infer<typeof ServiceSpec>;

const durationString = z
  .string()
  .regex(DURATION_PATTERN, 'must be a duration such as 30s, 15m, 24h or 2d');

export const ImplementorOptions = z
  .object({
    /** Validation attempts before a human is asked (the first implementation counts as attempt 1). */
    maxAttempts: z.number().int().min(1).max(10).default(3),
    /** How long to wait for a human answer before `deadlineAction` applies. */
    humanDeadline: durationString.default('24h'),
    deadlineAction: z.enum(['abort', 'accept']).default('abort'),
    /** When to remind people of an open question, before its deadline (with INFRA_IMPLEMENTOR_NOTIFY_URL on the workers). */
    reminders: z.array(durationString).max(10).default(['1h']),
    /** The most the run may spend on LLM calls, in US dollars; the next call that would pass it asks a human first. */
    budgetUsd: z.number().positive().max(100_000).optional(),
    /** Set by a feature workflow: `budgetUsd` is the feature's, one pool its scopes draw from through it. */
    budgetPool: z.boolean().optional(),
    /** Model turns an agent may take in one attempt before a human is asked whether it goes on (default 60). */
    maxTurns: z.number().int().min(1).max(1000).optional(),
    /** Set by a feature workflow: the queue of the worker that holds this run's worktree. */
    activityTaskQueue: z.string().min(1).optional(),
    /**
     * How long a step may wait for the worker holding the run's workspace before the run counts that
     * worker as lost and rebuilds the workspace on another one (runs from a Git remote, or a shared folder).
     */
    hostTimeout: durationString.default('60s'),
  })
  .strict();
export type ImplementorOptions = z.infer<typeof ImplementorOptions>;

export const IMPLEMENTERS = ['scaffold', 'anthropic'] as const;

/** A Git URL without credentials: those come from the worker's environment, never from a run's input. */
export const GitUrl = z.string().min(1).max(2048).superRefine((url, ctx) => {
  if (/\s/.test(url)) ctx.addIssue({ code: 'custom', message: 'must not contain spaces' });
  const http = /^https?:\/\/([^/@]*)@/i.exec(url);
  const password = /^[a-z][a-z0-9+.-]*:\/\/[^/@:]*:[^/@]*@/i.test(url);
  if (http || password) {
    ctx.addIssue({ code: 'custom', message: 'must not carry credentials: give the worker INFRA_IMPLEMENTOR_GIT_TOKEN or an SSH key (GIT_SSH_COMMAND) instead' });
  }
  if (url.startsWith('-')) ctx.addIssue({ code: 'custom', message: 'must not start with "-"' });
});

/** The forge a run opens its pull request on (resolved from the remote's host or `--forge`) and its API base. */
export const PullRequestTarget = z
  .object({
    forge: z.enum(FORGES),
    apiUrl: z.url({ protocol: /^https?$/, message: 'must be the http(s) URL of the forge\'s API, e.g. https://ghe.example.com/api/v3' }).optional(),
  })
  .strict();

/** A run that starts from a Git remote: its workspace is cloned by the worker that takes it. */
export const RepoSource = z
  .object({
    url: GitUrl,
    /** A branch of the remote (or a commit); the remote's default branch when absent. */
    base: z.string().min(1).regex(/^[^\s~^:?*[\\]+$/, 'must be a branch name or a commit').optional(),
    /** The infrastructure folder inside the repository; its top when empty. */
    subdir: z.union([z.literal(''), RelativePath]).default(''),
    /** The branch the result is committed on (and pushed to). */
    branch: z.string().min(1).regex(/^(?!-)[A-Za-z0-9._/-]+$/, 'must be a branch name'),
    push: z.boolean().default(true),
    keepWorkspace: z.boolean().default(false),
    /** After the push, open (or update) a pull request from `branch` into the base, on this forge. */
    pullRequest: PullRequestTarget.optional(),
  })
  .strict();
export type RepoSource = z.infer<typeof RepoSource>;

/** Input of the child workflow `infrastructureImplementor`: the seed's six fields plus spec and implementer. */
export const ImplementorInput = z
  .object({
    featureDescription: z.string().trim().min(1, 'must not be empty'),
    scope: z.string().trim().min(1, 'must not be empty'),
    files: z.array(RelativePath).default([]),
    /** A folder every worker that may take the run can reach (one machine, or a shared volume)… */
    infraRoot: z.string().min(1).refine((p) => p.startsWith('/'), 'must be an absolute path').optional(),
    /** …or a Git remote the worker that takes the run clones. */
    repo: RepoSource.optional(),
    /** Set by a feature workflow on a remote: return what the run wrote instead of pushing it. */
    returnChanges: z.boolean().optional(),
    reposRoot: z.string().min(1).refine((p) => p.startsWith('/'), 'must be an absolute path').optional(),
    parentId: z.string().min(1).optional(),
    spec: ServiceSpec.optional(),
    /** Registered implementer name; the CLI accepts `scaffold` and `anthropic`. */
    implementer: z.string().min(1).default('scaffold'),
    options: ImplementorOptions.default(ImplementorOptions.parse({})),
  })
  .strict()
  .refine((i) => (i.infraRoot === undefined) !== (i.repo === undefined), { message: 'give either infraRoot (a folder) or repo (a Git URL), not both', path: ['infraRoot'] });
export type ImplementorInput = z.infer<typeof ImplementorInput>;
export type ImplementorInputArg = z.input<typeof ImplementorInput>;

export const FileOperation = z
  .object({
    path: RelativePath,
    action: z.enum(['write', 'delete']),
    /** Full new content for `write`. */
    content: z.string().optional(),
    phase: Phase,
    /** One line on why, shown in the report. */
    reason: z.string().optional(),
  })
  .strict()
  .refine((op) => op.action === 'delete' || typeof op.content === 'string', {
    message: 'a write operation needs content',
    path: ['content'],
  });
export type FileOperation = z.infer<typeof FileOperation>;

export const Dependency = z
  .object({
    kind: z.enum(['image', 'sops-key', 'secret-value', 'dns', 'other']),
    description: z.string().min(1),
  })
  .strict();
export type Dependency = z.infer<typeof Dependency>;

export const Assumption = z.object({ file: z.string().optional(), text: z.string().min(1) }).strict();
export type Assumption = z.infer<typeof Assumption>;

export const ChangeSet = z
  .object({
    operations: z.array(FileOperation),
    assumptions: z.array(Assumption).default([]),
    dependencies: z.array(Dependency).default([]),
  })
  .strict();
export type ChangeSet = z.infer<typeof ChangeSet>;

export const VALIDATORS = ['yaml', 'schema', 'kustomize', 'helm', 'flux', 'kubectl'] as const;
export const ValidationResult = z.object({
  validator: z.enum(VALIDATORS),
  target: z.string(),
  status: z.enum(['pass', 'fail', 'skipped']),
  message: z.string(),
  file: z.string().optional(),
  line: z.number().int().optional(),
  column: z.number().int().optional(),
});
export type ValidationResult = z.infer<typeof ValidationResult>;

export const Finding = z.object({
  check: z.string(),
  severity: z.enum(['error', 'warning']),
  target: z.string(),
  resource: z.string(),
  file: z.string().optional(),
  line: z.number().int().optional(),
  /** Column (1-based) of the offending field, with `line`. */
  column: z.number().int().optional(),
  /** Every target (overlay, chart, folder) the finding appears in, when more than `target`. */
  targets: z.array(z.string()).optional(),
  message: z.string(),
  /** Set when the resource silences the check; the finding is kept for the record, not counted. */
  suppressed: z.string().optional(),
});
export type Finding = z.infer<typeof Finding>;

export const AnswerAction = z.enum(ANSWER_ACTIONS);
export type AnswerAction = z.infer<typeof AnswerAction>;
export const Answer = z
  .object({
    action: AnswerAction,
    guidance: z.string().max(20_000).optional(),
    /** The question it answers (`q2`); an answer to another one than the pending question is refused. */
    question: z.string().regex(/^q\d+$/, 'must be a question id such as q1').optional(),
    /** Who answers, for the audit trail. */
    by: z.string().max(200).optional(),
    /** With retry on a budget question: the new budget in US dollars. */
    budgetUsd: z.number().positive().max(1_000_000).optional(),
  })
  .strict() satisfies z.ZodType<AnswerInput>;
export type Answer = AnswerInput;

export const LlmUsage = z.object({
  calls: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  cacheReadTokens: z.number().int(),
  cacheWriteTokens: z.number().int(),
  /** Estimated dollars of the calls whose model has a price (core/pricing.ts); `unpricedCalls` had none. */
  costUsd: z.number().optional(),
  unpricedCalls: z.number().int().optional(),
  /** The same, per model. */
  byModel: z.record(z.string(), z.object({
    calls: z.number().int(), inputTokens: z.number().int(), outputTokens: z.number().int(), cacheReadTokens: z.number().int(), cacheWriteTokens: z.number().int(),
    costUsd: z.number().optional(),
  })).optional(),
  /** Set on one proposal's usage by the implementer: its model. */
  model: z.string().optional(),
});
export type LlmUsage = z.infer<typeof LlmUsage>;
// The sandbox-safe twin in phases.ts must keep the same shape.
const _sameUsage: [UsageCounters, LlmUsage] = [{} as LlmUsage, {} as UsageCounters];
void _sameUsage;

/** A pull request (a merge request on GitLab) as the report names it. */
export interface PullRequestRef {
  url: string;
  number: number;
  draft: boolean;
}

/** `unvalidated`: implemented, but every build and schema check was skipped (no tool, nothing fetched): not a success. */
export type RunStatus = 'succeeded' | 'failed' | 'accepted' | 'aborted' | 'partial' | 'unvalidated';

export interface ImplementorReport {
  workflowId: string;
  feature: string;
  scope: string;
  status: RunStatus;
  attempts: number;
  filesCreated: string[];
  filesModified: string[];
  filesDeleted: string[];
  assumptions: Assumption[];
  dependencies: Dependency[];
  validations: ValidationResult[];
  findings: Finding[];
  llmUsage: LlmUsage;
  /** Answers given by people, in order. */
  humanAnswers: Answer[];
  /** Every question the run asked, and how it ended (who answered when, or the deadline). */
  audit: AuditEntry[];
  /** Why the run ended as it did, in one or two sentences. */
  summary: string;
  /** An agent's run: every file it read, and how many turns and tool calls it took. */
  filesRead?: string[];
  agent?: { turns: number; toolCalls: number };
  /** Runs from a Git remote: where the result went (the commit is null when the run changed nothing). */
  remote?: string;
  branch?: string;
  commit?: string | null;
  pushed?: boolean;
  /** How to see the change: a compare page for known hosts, else the git command. */
  compare?: string;
  /** With `--pull-request`: the pull request (merge request) opened or updated for the branch. */
  pullRequest?: PullRequestRef;
  /** With `--pull-request`: why none could be opened (the branch stays pushed). */
  pullRequestError?: string;
  /** With `returnChanges` (a feature's child on a remote): each file the run wrote, as it left it. */
  changes?: { path: string; content: string | null }[];
}
