// Rendering a run's report for people (Markdown); the JSON form is the report object itself.
import type { AuditEntry } from './questions';
import type { Assumption, Dependency, ImplementorReport, LlmUsage, PullRequestRef, ValidationResult, Finding } from './schemas';
import { formatUsd } from './usage';

const STATUS_WORD: Record<ImplementorReport['status'], string> = {
  succeeded: '✅ succeeded',
  accepted: '⚠️ accepted with failures',
  failed: '❌ failed',
  aborted: '↩️ aborted (repository restored)',
  partial: '⚠️ partial',
  unvalidated: '❔ unvalidated (implemented; no build or schema check could run)',
};

export const list = (items: string[], empty = '_none_') => (items.length ? items.map((i) => `- ${i}`).join('\n') : empty);

export function validationLine(v: ValidationResult): string {
  const mark = v.status === 'pass' ? 'pass' : v.status === 'fail' ? 'FAIL' : 'skipped';
  return `${mark.padEnd(7)} ${v.validator.padEnd(9)} ${v.target}${v.status === 'pass' ? '' : ` — ${v.message.split('\n')[0]}`}`;
}

export function findingLine(f: Finding): string {
  const where = f.file ? `${f.file}${f.line ? `:${f.line}` : ''}` : f.target;
  return `${f.severity.padEnd(7)} ${f.check} ${f.resource} (${where}): ${f.message}${f.suppressed ? ` [suppressed: ${f.suppressed}]` : ''}`;
}

/** The sections a reviewer acts on, shared by scope and feature reports. */
export function reviewSections(r: { assumptions: Assumption[]; dependencies: Dependency[] }): string[] {
  return [
    '## Assumptions to review (REVIEW)',
    list(r.assumptions.map((a) => (a.file ? `${a.text} (\`${a.file}\`)` : a.text))),
    '',
    '## Dependencies',
    list(r.dependencies.map((d) => `[${d.kind}] ${d.description}`)),
    '',
  ];
}

/** LLM usage for people: calls, tokens, estimated dollars (and the calls no price covered), per model. */
export function usageLine(u: LlmUsage): string {
  if (!u.calls) return 'no LLM calls';
  const cost = `estimated ${formatUsd(u.costUsd)}${u.unpricedCalls ? ` (+${u.unpricedCalls} call(s) of a model without a price)` : ''}`;
  const models = Object.keys(u.byModel ?? {});
  return `${u.calls} call(s), ${u.inputTokens} input / ${u.outputTokens} output tokens, cache read ${u.cacheReadTokens}, cache write ${u.cacheWriteTokens}; ${cost}${models.length ? ` (${models.join(', ')})` : ''}`;
}

/** The audit trail: every question, who answered what and when, or the deadline's default. */
export function auditSection(audit: AuditEntry[] | undefined): string[] {
  if (!audit?.length) return [];
  const ended = (e: AuditEntry) => e.answer
    ? `${e.answer.action} by ${e.answer.by ?? 'someone'} at ${e.answer.at}${e.answer.guidance ? `: ${e.answer.guidance}` : ''}`
    : e.timedOut ? `no answer: ${e.timedOut.action} at the deadline (${e.timedOut.at})` : 'still open';
  return ['## Questions and answers', list(audit.map((e) => `${e.id}${e.scope ? ` [${e.scope}]` : ''} asked ${e.askedAt}: ${e.question} — ${ended(e)}`)), ''];
}

/** Where the pull request is (printed by `--wait`), or why none was opened. */
export function pullRequestLine(r: { pullRequest?: PullRequestRef; pullRequestError?: string }): string[] {
  if (r.pullRequest) return ['', `Pull request${r.pullRequest.draft ? ' (draft)' : ''}: ${r.pullRequest.url}`];
  return r.pullRequestError ? ['', `Pull request: not opened — ${r.pullRequestError}`] : [];
}

export function renderReportMarkdown(r: ImplementorReport): string {
  const usage = usageLine(r.llmUsage);
  const failed = r.validations.filter((v) => v.status !== 'pass');
  const passed = r.validations.length - failed.length;
  return [
    `# ${r.scope}`,
    '',
    `**${STATUS_WORD[r.status]}** after ${r.attempts} attempt(s) — ${r.summary}`,
    '',
    `Feature: ${r.feature}  `,
    `Workflow: \`${r.workflowId}\``,
    ...pullRequestLine(r),
    '',
    '## Files created',
    list(r.filesCreated.map((f) => `\`${f}\``)),
    '',
    '## Files modified',
    list(r.filesModified.map((f) => `\`${f}\``)),
    ...(r.filesDeleted.length ? ['', '## Files deleted', list(r.filesDeleted.map((f) => `\`${f}\``))] : []),
    '',
    ...reviewSections(r),
    `## Validation (${passed} passed, ${failed.filter((v) => v.status === 'fail').length} failed, ${failed.filter((v) => v.status === 'skipped').length} skipped)`,
    list(r.validations.map((v) => `\`${validationLine(v)}\``)),
    '',
    '## Compliance',
    list(r.findings.map((f) => `\`${findingLine(f)}\``), '_no findings_'),
    '',
    ...auditSection(r.audit),
    `LLM usage: ${usage}`,
    '',
  ].join('\n');
}
