// The `anthropic` implementer: Claude proposes each phase and each fix through one forced tool call.
// Every call is made from inside an activity; Temporal owns retries (the SDK's are off).
import Anthropic from '@anthropic-ai/sdk';
import { ApplicationFailure } from '@temporalio/common';
import type { FixRequest, ImplementContext, Implementer, ModelRequest, Proposal, RepoReader } from '../../core/implementer';
import type { Phase } from '../../core/schemas';
import { DEFAULT_BUDGETS, fixFiles, phaseFiles, repositoryContext, type Budgets } from './context';
import { askForChangeSet } from './conversation';
import { AnthropicFailure, toActivityFailure } from './errors';
import { fixMessage, phaseMessage, stableSystem } from './prompts';
import { llmCost } from '../../runtime/telemetry';
import { emptyUsage } from '../../core/phases';

export { NON_RETRYABLE_ANTHROPIC_TYPES, AnthropicFailure, UnusableReplyError, ReplyTruncatedError } from './errors';

export const DEFAULT_MODEL = 'claude-sonnet-5-5';

export interface AnthropicImplementerOptions {
  apiKey: string;
  /** A gateway or another region; the SDK's default (or ANTHROPIC_BASE_URL) when unset. */
  baseURL?: string;
  model?: string;
  /** Output budget of one reply; a reply cut at this limit fails the attempt (AnthropicMaxTokens). */
  maxTokens?: number;
  heartbeat?: (details?: unknown) => void;
  signal?: AbortSignal;
  /** Characters of profile, knowledge and exemplar files in the cached prefix. */
  knowledgeBudgetChars?: number;
  /** Characters of current file contents in one phase or fix message. */
  filesBudgetChars?: number;
  /** Correction turns for a reply that breaks the schema (default 2). */
  maxCorrections?: number;
  /** Time to the response headers (SDK timeout) and the longest silence inside a stream. */
  timeoutMs?: number;
  idleTimeoutMs?: number;
}

export function createAnthropicImplementer(opts: AnthropicImplementerOptions): Implementer {
  const model = opts.model ?? DEFAULT_MODEL;
  const client = new Anthropic({
    apiKey: opts.apiKey,
    ...(opts.baseURL ? { baseURL: opts.baseURL } : {}),
    maxRetries: 0,
    timeout: opts.timeoutMs ?? 5 * 60_000,
    // The SDK's own span of each call, metadata only whatever ANTHROPIC_OPEN_TELEMETRY_TRACES_CONTENT_MODE
    // says: prompts and replies never go into a trace (a given option is complete: the environment is not read).
    openTelemetry: { traces: { enabled: true, contentMode: 'metadata_only' } },
  });
  const budgets: Budgets = {
    ...DEFAULT_BUDGETS,
    ...(opts.knowledgeBudgetChars !== undefined ? { knowledgeChars: opts.knowledgeBudgetChars } : {}),
    ...(opts.filesBudgetChars !== undefined ? { filesChars: opts.filesBudgetChars } : {}),
  };

  const ask = async (system: Anthropic.TextBlockParam[], user: string, phase?: Phase): Promise<Proposal> => {
    try {
      const proposal = await askForChangeSet({
        client, model, system, user,
        maxTokens: opts.maxTokens ?? 32_000,
        maxCorrections: opts.maxCorrections ?? 2,
        ...(phase ? { phase } : {}),
        stream: {
          idleTimeoutMs: opts.idleTimeoutMs ?? 90_000,
          ...(opts.signal ? { signal: opts.signal } : {}),
          ...(opts.heartbeat ? { heartbeat: opts.heartbeat } : {}),
        },
      });
      // The model and the estimated dollars travel with the usage: the run sums them and holds its budget.
      const cost = proposal.usage ? llmCost(model, proposal.usage) : undefined;
      return { ...proposal, usage: { ...(proposal.usage ?? emptyUsage()), model, ...(cost !== undefined ? { costUsd: cost } : {}) } };
    } catch (err) {
      throw toActivityFailure(err, { model });
    }
  };

  const draftPhase = async (ctx: ImplementContext, phase: Phase, repo: RepoReader): Promise<ModelRequest> => ({
    implementer: 'anthropic',
    system: stableSystem(ctx, await repositoryContext(ctx, repo, budgets)) as ModelRequest['system'],
    user: phaseMessage(phase, await phaseFiles(ctx, repo, budgets)),
    phase,
  });
  const draftFix = async (ctx: ImplementContext, request: FixRequest, repo: RepoReader): Promise<ModelRequest> => ({
    implementer: 'anthropic',
    system: stableSystem(ctx, await repositoryContext(ctx, repo, budgets)) as ModelRequest['system'],
    user: fixMessage(request, await fixFiles(request, repo, budgets)),
  });
  const answer = (r: ModelRequest) => ask(r.system, r.user, r.phase);
  return {
    name: 'anthropic',
    async implementPhase(ctx, phase, repo) {
      return answer(await draftPhase(ctx, phase, repo));
    },
    async fix(ctx, request, repo) {
      return answer(await draftFix(ctx, request, repo));
    },
    model: { draftPhase, draftFix, ask: answer },
  };
}

/** The worker's environment, as validated by worker/config.ts. */
export interface AnthropicEnv {
  ANTHROPIC_API_KEY?: string | undefined;
  ANTHROPIC_BASE_URL?: string | undefined;
  ANTHROPIC_MODEL?: string | undefined;
}

/**
 * The registry entry for activities: the key is read from the worker's environment here, never
 * from workflow input, so it never enters history. Without a key, each call fails non-retryably.
 */
export function anthropicImplementerFactory(env: AnthropicEnv, extra: Partial<AnthropicImplementerOptions> = {}) {
  return (tools: { heartbeat: (details?: unknown) => void; signal: AbortSignal }): Implementer => {
    if (!env.ANTHROPIC_API_KEY) {
      throw ApplicationFailure.nonRetryable(
        'ANTHROPIC_API_KEY is not set in the worker\'s environment: set it and restart the worker to use the anthropic implementer',
        AnthropicFailure.AuthError,
      );
    }
    return createAnthropicImplementer({
      ...extra,
      apiKey: env.ANTHROPIC_API_KEY,
      ...(env.ANTHROPIC_BASE_URL ? { baseURL: env.ANTHROPIC_BASE_URL } : {}),
      ...(env.ANTHROPIC_MODEL ? { model: env.ANTHROPIC_MODEL } : {}),
      heartbeat: tools.heartbeat,
      signal: tools.signal,
    });
  };
}
