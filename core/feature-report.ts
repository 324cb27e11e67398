// Rendering a feature's report for people (Markdown); the JSON form is the report object itself.
import type { FeatureReport } from './feature';
import { auditSection, findingLine, list, pullRequestLine, reviewSections, usageLine, validationLine } from './report';

export function renderFeatureReportMarkdown(r: FeatureReport): string {
  const failed = r.validations.filter((v) => v.status === 'fail').length;
  const skipped = r.validations.filter((v) => v.status === 'skipped').length;
  return [
    `# ${r.feature}`,
    '',
    `**${r.status}** — ${r.summary}`,
    '',
    `Workflow: \`${r.workflowId}\`  `,
    `Branch: ${r.branch ? `\`${r.branch}\` at \`${r.commit?.slice(0, 12)}\` (from \`${r.base.slice(0, 12)}\`, ${r.pushed ? `pushed to ${r.remote}` : 'not pushed'})` : '_nothing committed_'}`,
    ...pullRequestLine(r),
    '',
    '## Scopes',
    list(r.children.map((c) => `**${c.scope}** — ${c.status ?? 'not run'}${c.merged ? '' : ' (not in the branch)'} · \`${c.workflowId}\`${c.summary ? ` — ${c.summary}` : ''}`)),
    '',
    '## Files',
    list(r.children.filter((c) => c.merged).flatMap((c) => [
      ...c.filesCreated.map((f) => `created \`${f}\` (${c.scope})`),
      ...c.filesModified.map((f) => `modified \`${f}\` (${c.scope})`),
      ...c.filesDeleted.map((f) => `deleted \`${f}\` (${c.scope})`),
    ])),
    '',
    ...reviewSections(r),
    `## Validation of the merged tree (${r.validations.length - failed - skipped} passed, ${failed} failed, ${skipped} skipped)`,
    list(r.validations.filter((v) => v.status !== 'pass').map((v) => `\`${validationLine(v)}\``), '_all passed_'),
    '',
    '## Compliance',
    list(r.findings.map((f) => `\`${findingLine(f)}\``), '_no findings_'),
    '',
    ...auditSection(r.audit),
    `LLM usage (all scopes): ${usageLine(r.llmUsage)}`,
    '',
    '',
  ].join('\n');
}
