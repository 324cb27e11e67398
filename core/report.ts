// Rendering a run's report for people (Markdown); the JSON form is the report object itself.
import type { Assumption, Dependency, ImplementorReport, ValidationResult, Finding } from './schemas';

const STATUS_WORD: Record<ImplementorReport['status'], string> = {
  succeeded: '✅ succeeded',
  accepted: '⚠️ accepted with failures',
  failed: '❌ failed',
  aborted: '↩️ aborted (repository restored)',
  partial: '⚠️ partial',
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

export function renderReportMarkdown(r: ImplementorReport): string {
  const usage = r.llmUsage.calls
    ? `${r.llmUsage.calls} call(s), ${r.llmUsage.inputTokens} input / ${r.llmUsage.outputTokens} output tokens, cache read ${r.llmUsage.cacheReadTokens}, cache write ${r.llmUsage.cacheWriteTokens}`
    : 'no LLM calls';
  const failed = r.validations.filter((v) => v.status !== 'pass');
  const passed = r.validations.length - failed.length;
  return [
    `# ${r.scope}`,
    '',
    `**${STATUS_WORD[r.status]}** after ${r.attempts} attempt(s) — ${r.summary}`,
    '',
    `Feature: ${r.feature}  `,
    `Workflow: \`${r.workflowId}\``,
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
    ...(r.humanAnswers.length ? ['## Human answers', list(r.humanAnswers.map((a) => `${a.action}${a.guidance ? `: ${a.guidance}` : ''}`)), ''] : []),
    `LLM usage: ${usage}`,
    '',
  ].join('\n');
}
