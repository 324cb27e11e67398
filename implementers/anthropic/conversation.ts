// One proposal as a short conversation: ask with the tool forced, parse the tool input with zod, and
// send the model its own errors back for a bounded number of corrections. Usage is summed over turns.
import type Anthropic from '@anthropic-ai/sdk';
import type { Proposal } from '../../core/implementer';
import { emptyUsage, type Phase } from '../../core/schemas';
import { addUsage } from '../../core/usage';
import { ReplyTruncatedError, UnusableReplyError } from './errors';
import { correctionMessage } from './prompts';
import { streamReply, type Reply, type StreamOptions } from './stream';
import { parseToolInput, proposeChangesTool, TOOL_NAME } from './tool';

export interface Ask {
  client: Anthropic;
  model: string;
  maxTokens: number;
  system: Anthropic.TextBlockParam[];
  user: string;
  /** When set, every operation must be tagged with this phase. */
  phase?: Phase;
  /** Correction turns after the first reply. */
  maxCorrections: number;
  stream: StreamOptions;
}

export async function askForChangeSet(ask: Ask): Promise<Proposal> {
  const messages: Anthropic.MessageParam[] = [{ role: 'user', content: ask.user }];
  const usage = emptyUsage();
  const seen: string[] = [];
  for (let turn = 0; ; turn++) {
    const reply = await streamReply(ask.client, {
      model: ask.model,
      max_tokens: ask.maxTokens,
      system: ask.system,
      tools: [proposeChangesTool],
      tool_choice: { type: 'tool', name: TOOL_NAME },
      messages,
    }, ask.stream);
    addUsage(usage, reply.usage);
    // Half a change set is worse than none: a cut reply is never parsed.
    if (reply.stopReason === 'max_tokens') throw new ReplyTruncatedError(ask.maxTokens);

    const call = reply.content.find((b): b is Extract<Reply['content'][number], { type: 'tool_use' }> => b?.type === 'tool_use' && b.name === TOOL_NAME);
    const parsed = call ? parseToolInput(call.rawJson, ask.phase) : { ok: false as const, problems: [`the reply did not call ${TOOL_NAME}`] };
    if (parsed.ok) return { changeSet: parsed.changeSet, usage };

    seen.push(...parsed.problems.map((p) => `turn ${turn + 1}: ${p}`));
    if (turn >= ask.maxCorrections) {
      throw new UnusableReplyError(
        `the model's reply was unusable after ${turn} correction(s): ${parsed.problems.slice(0, 5).join('; ')}${parsed.problems.length > 5 ? ` (+${parsed.problems.length - 5} more)` : ''}`,
        seen,
      );
    }
    messages.push({ role: 'assistant', content: echo(reply) });
    const correction = correctionMessage(parsed.problems, call?.rawJson);
    messages.push({
      role: 'user',
      content: call ? [{ type: 'tool_result', tool_use_id: call.id, is_error: true, content: correction }] : [{ type: 'text', text: correction }],
    });
  }
}

/** The assistant turn as the API needs it back; tool input that was not JSON is echoed as `{}`. */
function echo(reply: Reply): Anthropic.ContentBlockParam[] {
  const out: Anthropic.ContentBlockParam[] = [];
  for (const b of reply.content) {
    if (!b) continue;
    if (b.type === 'text' && b.text.trim()) out.push({ type: 'text', text: b.text });
    if (b.type === 'tool_use') out.push({ type: 'tool_use', id: b.id, name: b.name, input: objectOrEmpty(b.rawJson) });
  }
  // The API rejects an empty assistant turn; say what it was.
  return out.length ? out : [{ type: 'text', text: '(empty reply)' }];
}

function objectOrEmpty(raw: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(raw);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
