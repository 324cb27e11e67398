// A question as people read it on a terminal: who asks, what failed, what was tried, the options,
// the deadline and what happens then, and the exact command that answers it.
import { answerCommand, type AuditEntry, type Question, type QuestionFailure } from '../core/questions';

/** How many failures a question shows; `status` shows them all with --json. */
const MAX_FAILURES = 5;

/** A failure on one line: the validator, its target, the first line of what it said, and where. */
export function failureLine(f: QuestionFailure): string {
  const at = f.file ? ` (${f.file}${f.line ? `:${f.line}` : ''})` : '';
  return `${f.validator} ${f.target}: ${f.message.split('\n')[0]}${at}`;
}

/** The first failures of a question, one line each, and how many more there are. */
export function failureLines(q: Pick<Question, 'failures'>): string[] {
  const lines = q.failures.slice(0, MAX_FAILURES).map(failureLine);
  if (q.failures.length > MAX_FAILURES) lines.push(`… and ${q.failures.length - MAX_FAILURES} more (status --json shows them)`);
  return lines;
}

/** `2h05m`, `3m10s`, `12s`: a duration in whole seconds, for people. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}h${String(m).padStart(2, '0')}m` : m ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** When the deadline falls, relative to now, and what the run does then. */
export function deadlineLine(q: Pick<Question, 'deadline' | 'atDeadline'>, now: Date): string {
  const left = new Date(q.deadline).getTime() - now.getTime();
  return `${q.deadline} (${left > 0 ? `in ${duration(left)}` : 'passed'}); then: ${q.atDeadline}`;
}

/** The whole question, as `--wait` and `result` print it the moment a run asks. */
export function formatQuestion(q: Question, runId: string, scope: string, now: Date): string {
  const lines = [
    `⏸ ${scope} waits for a human — question ${q.id} of ${runId}, asked ${q.askedAt}`,
    `  ${q.question}`,
  ];
  if (q.failures.length) lines.push('  What failed:', ...failureLines(q).map((l) => `    - ${l}`));
  if (q.conflicts?.length) lines.push(`  Conflicting files: ${q.conflicts.join(', ')}`);
  if (q.tried.length) lines.push('  What was tried:', ...q.tried.map((t) => `    - ${t.split('\n')[0]}`));
  const width = Math.max(...q.options.map((o) => o.action.length));
  lines.push('  Options:', ...q.options.map((o) => `    ${o.action.padEnd(width)}  ${o.meaning}`));
  lines.push(`  Deadline: ${deadlineLine(q, now)}`);
  lines.push('  Answer with:', `    ${answerCommand(runId, q)}`);
  return `${lines.join('\n')}\n`;
}

/** A question no longer open: who answered what, or the action its deadline applied. */
export function formatSettled(q: Pick<Question, 'id'>, scope: string, outcome: AuditEntry | undefined): string {
  const head = `▶ ${scope}: question ${q.id}`;
  const a = outcome?.answer;
  if (a) return `${head} answered: ${a.action}${a.by ? ` (by ${a.by})` : ''}${a.guidance ? ` with guidance "${a.guidance}"` : ''}`;
  if (outcome?.timedOut) return `${head} was not answered before its deadline: ${outcome.timedOut.action} applied`;
  return `${head} is no longer pending`;
}
