// The `status` command's table for people.
import { answerCommand } from '../core/questions';
import { usageLine } from '../core/report';
import { formatUsd } from '../core/usage';
import type { FeatureStatus, ImplementorStatus } from '../workflows/messages';
import { deadlineLine, duration, failureLines } from './question-view';

export const elapsed = (from: string, now: Date): string => duration(now.getTime() - new Date(from).getTime());

export function formatStatus(s: ImplementorStatus, now: Date): string {
  const rows: [string, string][] = [
    ['workflow', s.workflowId],
    ['scope', s.scope],
    ['phase', s.done ? `${s.phase} (finished)` : s.phase],
    ['attempts', `${s.attempt} of ${s.maxAttempts}`],
    ['elapsed', elapsed(s.startedAt, now)],
    ['files', s.filesTouched.length ? s.filesTouched.join(', ') : '-'],
    ['llm', `${s.usage ? usageLine(s.usage) : 'no LLM calls'}${s.budgetUsd !== undefined ? ` · budget ${formatUsd(s.budgetUsd)}` : ''}`],
  ];
  if (s.agent) {
    rows.push(['agent', `${s.agent.turns} turn(s), ${s.agent.toolCalls} tool call(s), ${s.agent.filesRead.length} file(s) read`]);
    if (s.agent.doing) rows.push(['  last', s.agent.doing]);
  }
  if (s.pending) {
    rows.push(['pending', `${s.pending.id} ${s.pending.question}`]);
    for (const l of failureLines(s.pending)) rows.push(['  failed', l]);
    rows.push(['  answer', answerCommand(s.workflowId, s.pending)]);
    rows.push(['  deadline', deadlineLine(s.pending, now)]);
  } else {
    rows.push(['pending', 'nothing']);
  }
  return table(rows);
}

function table(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

/** A feature: its own phase, one row per scope, then every open question with the command that answers it. */
export function formatFeatureStatus(s: FeatureStatus, now: Date): string {
  const rows: [string, string][] = [
    ['workflow', s.workflowId],
    ['feature', s.feature],
    ['branch', s.branch],
    ['phase', s.done ? `${s.phase} (finished)` : s.phase],
    ['elapsed', elapsed(s.startedAt, now)],
    ['llm', s.usage ? usageLine(s.usage) : 'no LLM calls'],
  ];
  for (const c of s.children) {
    rows.push([`  ${c.slug}`, `${c.status ?? c.phase}${c.attempt ? ` · attempt ${c.attempt} of ${c.maxAttempts}` : ''}${c.pending ? ' · waiting for an answer' : ''} · ${c.workflowId}`]);
  }
  if (!s.questions.length) rows.push(['pending', 'nothing']);
  for (const q of s.questions) {
    rows.push(['pending', `${q.id} ${q.scope ? `[${q.scope}] ` : ''}${q.question}`]);
    for (const l of failureLines(q)) rows.push(['  failed', l]);
    if (q.conflicts?.length) rows.push(['  conflicts', q.conflicts.join(', ')]);
    rows.push(['  answer', answerCommand(s.workflowId, q)]);
    rows.push(['  deadline', deadlineLine(q, now)]);
  }
  return table(rows);
}
