// The shapes every step exchanges: inputs, change sets, validation results, findings, reports.
// Parsed with zod once at the edges (CLI, LLM replies, specs); trusted inside.
import { z } from 'zod';
import { DURATION_PATTERN } from './duration';
import { ANSWER_ACTIONS, PHASES, type UsageCounters } from './phases';

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
export const ServiceSpec = z
  .object({
    service: dns1123,
    image: z.string().min(1).regex(/^[^\s]+$/, 'must be an image reference without spaces'),
    port: z.number().int().min(1).max(65535).optional(),
    environments: z.array(dns1123).min(1).optional(),
    replicas: z.record(z.string(), z.number().int().min(0).max(1000)).optional(),
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
    /** Set by a feature workflow: the queue of the worker that holds this run's worktree. */
    activityTaskQueue: z.string().min(1).optional(),
  })
  .strict();
export type ImplementorOptions = z.infer<typeof ImplementorOptions>;

export const IMPLEMENTERS = ['scaffold', 'anthropic'] as const;

/** Input of the child workflow `infrastructureImplementor`: the seed's six fields plus spec and implementer. */
export const ImplementorInput = z
  .object({
    featureDescription: z.string().trim().min(1, 'must not be empty'),
    scope: z.string().trim().min(1, 'must not be empty'),
    files: z.array(RelativePath).default([]),
    infraRoot: z.string().min(1).refine((p) => p.startsWith('/'), 'must be an absolute path'),
    reposRoot: z.string().min(1).refine((p) => p.startsWith('/'), 'must be an absolute path').optional(),
    parentId: z.string().min(1).optional(),
    spec: ServiceSpec.optional(),
    /** Registered implementer name; the CLI accepts `scaffold` and `anthropic`. */
    implementer: z.string().min(1).default('scaffold'),
    options: ImplementorOptions.default(ImplementorOptions.parse({})),
  })
  .strict();
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
export const Answer = z.object({ action: AnswerAction, guidance: z.string().max(20_000).optional() }).strict();
export type Answer = z.infer<typeof Answer>;

export const LlmUsage = z.object({
  calls: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  cacheReadTokens: z.number().int(),
  cacheWriteTokens: z.number().int(),
});
export type LlmUsage = z.infer<typeof LlmUsage>;
// The sandbox-safe twin in phases.ts must keep the same shape.
const _sameUsage: [UsageCounters, LlmUsage] = [{} as LlmUsage, {} as UsageCounters];
void _sameUsage;

export type RunStatus = 'succeeded' | 'failed' | 'accepted' | 'aborted' | 'partial';

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
  /** Why the run ended as it did, in one or two sentences. */
  summary: string;
}
