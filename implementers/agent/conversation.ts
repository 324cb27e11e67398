// One agent conversation as it is stored (claim check: in the worker's blob store by digest; history
// holds the digest only) and as it is sent: the rules, the repository map and the task as one
// cached prefix, then the turns, with cache breakpoints on the last two user messages so each call
// pays full price only for what is new.
import type Anthropic from '@anthropic-ai/sdk';
import type { BlobStore } from '../../runtime/blob-store';
import { AGENT_TOOLS } from './tools';

export type Block = Anthropic.ContentBlockParam;

export interface Conversation {
  system: Anthropic.TextBlockParam[];
  messages: { role: 'user' | 'assistant'; content: Block[] }[];
  /** Prompt tokens the last reply read from or wrote to the cache, and when: the next call's estimate. */
  cached?: { tokens: number; at: number };
  /** Tool inputs that were not JSON, by tool_use id (the message holds `{}` in their place). */
  raw?: Record<string, string>;
}

export async function loadConversation(store: BlobStore, ref: string): Promise<Conversation> {
  return JSON.parse(await store.get(ref)) as Conversation;
}

export const saveConversation = (store: BlobStore, c: Conversation): Promise<string> => store.put(JSON.stringify(c));

export function startConversation(rules: string, task: string, first: string): Conversation {
  return {
    system: [{ type: 'text', text: rules }, { type: 'text', text: task, cache_control: { type: 'ephemeral' } }],
    messages: [{ role: 'user', content: [{ type: 'text', text: first }] }],
  };
}

/** What the run adds to the conversation before the next call. */
export interface Additions {
  /** Tool results that were waiting for a human (AskUserQuestion), by tool_use id. */
  results?: { id: string; text: string }[];
  /** Text for the model, after any tool results. */
  texts?: string[];
}

/** The conversation with additions in its last user message (a new one when the model spoke last). */
export function withAdditions(c: Conversation, add: Additions): Conversation {
  if (!add.results?.length && !add.texts?.length) return c;
  const messages = c.messages.map((m) => ({ ...m, content: [...m.content] }));
  let last = messages.at(-1);
  if (!last || last.role !== 'user') {
    last = { role: 'user', content: [] };
    messages.push(last);
  }
  // The API wants tool results first in a user message, text after them.
  const results: Block[] = (add.results ?? []).map((r) => ({ type: 'tool_result', tool_use_id: r.id, content: r.text }));
  const firstText = last.content.findIndex((b) => b.type !== 'tool_result');
  const at = firstText < 0 ? last.content.length : firstText;
  last.content.splice(at, 0, ...results);
  last.content.push(...(add.texts ?? []).map((text): Block => ({ type: 'text', text })));
  return { ...c, messages };
}

/** The request of one turn, with the cache breakpoints of this turn (never more than the API's four). */
export function requestOf(c: Conversation, model: string, maxTokens: number): Anthropic.MessageCreateParamsNonStreaming {
  const users = c.messages.flatMap((m, i) => (m.role === 'user' ? [i] : [])).slice(-2);
  const messages = c.messages.map((m, i) => {
    if (!users.includes(i) || !m.content.length) return m;
    const content = [...m.content];
    content[content.length - 1] = { ...(content.at(-1) as Block), cache_control: { type: 'ephemeral' } } as Block;
    return { ...m, content };
  });
  return { model, max_tokens: maxTokens, system: c.system, tools: AGENT_TOOLS, messages };
}

/** Characters of a request: the estimate of its tokens where the API cannot count them. */
export const requestChars = (r: Anthropic.MessageCreateParamsNonStreaming): number => JSON.stringify([r.system, r.tools, r.messages]).length;
