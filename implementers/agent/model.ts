// What the agent needs of a model: one streamed call (every reply served reported with its usage,
// even one that then breaks) and the count of a request's tokens where the API can tell.
import type Anthropic from '@anthropic-ai/sdk';
import type { TokenCounters } from '../../core/phases';
import type { Reply } from '../anthropic/stream';

export type { Reply, ReplyBlock } from '../anthropic/stream';

export type AgentRequest = Anthropic.MessageCreateParamsNonStreaming;

export interface AgentModel {
  readonly model: string;
  /** The output budget of one reply; a reply cut there is counted and asked again, shorter. */
  readonly maxTokens: number;
  /** Throws Temporal failures already mapped (retryable or not); `onUsage` is called once per reply served. */
  call(request: AgentRequest, onUsage: (usage: TokenCounters) => Promise<void>): Promise<Reply>;
  /** Input tokens of the request, or undefined where the API cannot count them. */
  countTokens(request: AgentRequest): Promise<number | undefined>;
}
