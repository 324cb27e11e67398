// One model turn of the agent, as one activity: the conversation from the blob store, what the run
// adds to it (redacted), the price of the call estimated before it is made (when the run has a
// budget), the streamed reply, and the new conversation stored again. The usage of every reply
// served for this turn is kept on disk, so a retried turn counts them all and a turn already answered
// is never asked again.
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { TurnAdd, TurnRequest, TurnResult } from '../../core/agent';
import { Failure } from '../../core/failures';
import type { ImplementContext } from '../../core/implementer';
import { emptyUsage, type TokenCounters, type UsageCounters } from '../../core/phases';
import type { ModelPrice } from '../../core/pricing';
import { addUsage } from '../../core/usage';
import type { BlobStore } from '../../runtime/blob-store';
import { loadConversation, requestOf, requestChars, saveConversation, startConversation, withAdditions, type Additions, type Block, type Conversation } from './conversation';
import type { AgentModel, AgentRequest, Reply } from './model';
import { AGENT_RULES, attemptFailed, CUT_NOTE, humanAnswer, humanGuidance, knowledgeText, NO_TOOL_NOTE, repositoryMap, START, taskText } from './prompts';
import type { StepRecords } from './records';
import type { RepoView } from './repo-view';
import { briefOf } from './briefs';

export interface TurnDeps {
  store: BlobStore;
  records: StepRecords;
  model: AgentModel;
  view: RepoView;
  /** The run's whole context: read for the first turn only. */
  context(): Promise<ImplementContext>;
  price(model: string): ModelPrice | undefined;
  cost(model: string, usage: TokenCounters): number | undefined;
}

interface TurnRecord {
  ledger: TokenCounters[];
  result?: TurnResult;
}

/** An unanswered prompt cached by the API is read back for five minutes (the ephemeral cache). */
const CACHE_LIFETIME_MS = 5 * 60_000;
const KNOWLEDGE_CHARS = 40_000;

export async function runTurn(d: TurnDeps, req: TurnRequest): Promise<TurnResult> {
  const record: TurnRecord = (await d.records.get<TurnRecord>(req.key)) ?? { ledger: [] };
  if (record.result) return record.result;
  const base = req.conversation ? await loadConversation(d.store, req.conversation) : await firstConversation(d);
  const conversation = withAdditions(base, await additions(d.view, req.add));
  const request = requestOf(conversation, d.model.model, d.model.maxTokens);
  if (req.allowUsd !== undefined) {
    const e = await estimate(d, request, conversation);
    if (e.usd > req.allowUsd) return { kind: 'over-budget', estimateUsd: e.usd, promptTokens: e.tokens };
  }
  let reply: Reply;
  try {
    reply = await d.model.call(request, async (u) => {
      record.ledger.push(u);
      await d.records.put(req.key, record);
    });
  } catch (err) {
    throw withUsage(err, usageOf(d, record.ledger));
  }
  const usage = usageOf(d, record.ledger);
  record.result = reply.stopReason === 'max_tokens'
    ? { kind: 'cut', usage }
    : await kept(d, conversation, reply, usage);
  await d.records.put(req.key, record);
  return record.result;
}

async function kept(d: TurnDeps, c: Conversation, reply: Reply, usage: UsageCounters): Promise<TurnResult> {
  const content: Block[] = [];
  const raw: Record<string, string> = { ...c.raw };
  for (const b of reply.content) {
    if (b?.type === 'text' && b.text.trim()) content.push({ type: 'text', text: b.text });
    if (b?.type === 'tool_use') {
      const input = objectOf(b.rawJson);
      if (input === undefined) raw[b.id] = b.rawJson;
      content.push({ type: 'tool_use', id: b.id, name: b.name, input: input ?? {} });
    }
  }
  if (!content.length) content.push({ type: 'text', text: '(empty reply)' });
  const last = reply.usage;
  const next: Conversation = {
    ...c, raw,
    messages: [...c.messages, { role: 'assistant', content }],
    cached: { tokens: last.inputTokens + last.cacheReadTokens + last.cacheWriteTokens, at: Date.now() },
  };
  const calls = reply.content.flatMap((b) => (b?.type === 'tool_use' ? [{ id: b.id, name: b.name, brief: briefOf(b.name, b.rawJson) }] : []));
  return { kind: 'reply', conversation: await saveConversation(d.store, next), calls, stopReason: reply.stopReason ?? 'end_turn', usage };
}

async function firstConversation(d: TurnDeps): Promise<Conversation> {
  const ctx = await d.context();
  const map = repositoryMap(ctx.profile, await d.view.files());
  const knowledge = knowledgeText(ctx.knowledge, KNOWLEDGE_CHARS);
  return startConversation(AGENT_RULES, await d.view.text(taskText(ctx, map, knowledge)), START);
}

/** What the run adds, in words for the model, every human or validator text through the redactor. */
async function additions(view: RepoView, add: TurnAdd | undefined): Promise<Additions> {
  if (!add) return {};
  const texts = [
    ...(add.fix ? [await view.text(attemptFailed(add.fix))] : []),
    ...(add.guidance !== undefined ? [await view.text(humanGuidance(add.guidance))] : []),
    ...(add.noTool ? [NO_TOOL_NOTE] : []),
    ...(add.cut ? [CUT_NOTE] : []),
  ];
  const results = await Promise.all((add.answers ?? []).map(async (a) => ({ id: a.id, text: await view.text(humanAnswer(a.text)) })));
  return { texts, results };
}

/** The most this call can cost: its prompt (what the cache still holds at its read price) plus a full reply. */
async function estimate(d: TurnDeps, request: AgentRequest, c: Conversation): Promise<{ usd: number; tokens: number }> {
  const price = d.price(d.model.model);
  if (!price) {
    throw ApplicationFailure.nonRetryable(
      `--budget-usd needs the price of model ${d.model.model}: add it to INFRA_IMPLEMENTOR_LLM_PRICES on the workers, or run without a budget`,
      Failure.InvalidInput,
    );
  }
  const counted = await d.model.countTokens(request).catch(() => undefined);
  const tokens = counted ?? Math.ceil(requestChars(request) / 3);
  const cached = c.cached && Date.now() - c.cached.at < CACHE_LIFETIME_MS ? Math.min(c.cached.tokens, tokens) : 0;
  const usd = (cached * price.cacheRead + (tokens - cached) * Math.max(price.input, price.cacheWrite) + d.model.maxTokens * price.output) / 1e6;
  return { usd, tokens };
}

function usageOf(d: TurnDeps, ledger: TokenCounters[]): UsageCounters {
  const sum = emptyUsage();
  for (const u of ledger) addUsage(sum, u);
  const cost = d.cost(d.model.model, sum);
  return { ...sum, model: d.model.model, ...(cost !== undefined ? { costUsd: cost } : {}) };
}

/** A failed turn still says what its replies used, so the run counts them (failure details). */
function withUsage(err: unknown, usage: UsageCounters): unknown {
  if (!usage.calls || err instanceof CancelledFailure || !(err instanceof Error)) return err;
  const f = err instanceof ApplicationFailure ? err : undefined;
  return ApplicationFailure.create({
    message: err.message,
    type: f?.type ?? err.name,
    nonRetryable: f?.nonRetryable ?? false,
    details: [{ usage }],
    cause: f?.cause ?? err,
    ...(f?.nextRetryDelay != null ? { nextRetryDelay: f.nextRetryDelay } : {}),
    ...(f?.category != null ? { category: f.category } : {}),
  });
}

function objectOf(raw: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(raw === '' ? '{}' : raw);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
