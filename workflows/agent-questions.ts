// The questions of an agent's run, in words a person answers from the inbox or the CLI: the agent's
// own question (its options numbered; the answer goes back to it), and the turn cap. Pure.
import type { AgentQuestion } from '../core/agent';
import type { QuestionDraft } from './human-gate';

export function agentQuestion(q: AgentQuestion): QuestionDraft {
  const options = q.options.map((o, i) => `  ${i + 1}. ${o}`).join('\n');
  return {
    kind: 'agent',
    question: `The agent asks: ${q.question}\n${options}\nAnswer retry with your reply as --guidance (a number picks one of its options).`,
    options: [
      { action: 'retry', meaning: 'reply to the agent: --guidance is your answer, or the number of one of its options' },
      { action: 'accept', meaning: 'stop the agent here: validate what it wrote and go on from there' },
      { action: 'abort', meaning: 'undo every file this run wrote' },
    ],
  };
}

/** A human's guidance as the agent's tool result: a number names one of its options. */
export function answerText(q: AgentQuestion, guidance: string | undefined): string {
  const g = (guidance ?? '').trim();
  const n = /^\d+$/.test(g) ? Number(g) : undefined;
  if (n !== undefined && n >= 1 && n <= q.options.length) return `${q.options[n - 1]} (option ${n})`;
  return g || 'No preference: decide yourself, and list your decision as an assumption.';
}

export function turnCapQuestion(scope: string, turns: number): QuestionDraft {
  return {
    kind: 'turns',
    question: `The agent of "${scope}" has taken ${turns} turns in this attempt without finishing. Let it go on (with your guidance), stop it here and validate what it wrote, or abort?`,
    options: [
      { action: 'retry', meaning: 'go on for as many turns again; --guidance is passed to the agent' },
      { action: 'accept', meaning: 'stop here: validate what it wrote' },
      { action: 'abort', meaning: 'undo every file this run wrote' },
    ],
  };
}
