// A run's pull request as reviewers read it: the title from the feature, the body from the report
// (what changed, assumptions with their files, dependencies, validations and findings, the LLM cost,
// the questions and who answered them) with a link to the run in the Temporal Web UI; a run accepted
// with failures opens a draft whose body leads with what still fails. Pure: the worker renders it.
import type { FeatureReport } from './feature';
import { renderFeatureReportMarkdown } from './feature-report';
import { findingLine, list, renderReportMarkdown, validationLine } from './report';
import type { ImplementorReport } from './schemas';

/** What a pull request is opened from: a scope's report, or a feature's. */
export type ReviewedReport = { kind: 'scope'; report: ImplementorReport } | { kind: 'feature'; report: FeatureReport };

/** A run accepted with failures, one nothing could validate, or a feature that left scopes out, is a draft. */
export const isDraft = (r: ReviewedReport): boolean => r.report.status !== 'succeeded' && stillFailing(r).length > 0;

/** The forges' limit is 65,536 characters (GitHub's); the rest of the report stays with the run. */
export const MAX_BODY_CHARS = 60_000;

export function pullRequestTitle(feature: string): string {
  const line = feature.split('\n').map((l) => l.trim()).find(Boolean) ?? 'infra-implementor change';
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** What still fails in the branch: failed validations, unsuppressed error findings, scopes left out. */
export function stillFailing(r: ReviewedReport): string[] {
  const { validations, findings } = r.report;
  return [
    ...(r.report.status === 'unvalidated' ? ['nothing could validate this change: every build and schema check was skipped (see Validation below)'] : []),
    ...validations.filter((v) => v.status === 'fail').map((v) => `\`${validationLine(v)}\``),
    ...findings.filter((f) => f.severity === 'error' && !f.suppressed).map((f) => `\`${findingLine(f)}\``),
    ...(r.kind === 'feature' ? r.report.children.filter((c) => !c.merged).map((c) => `scope **${c.scope}** is not in this branch (${c.status ?? 'not run'}${c.summary ? `: ${c.summary}` : ''})`) : []),
  ];
}

export function pullRequestBody(r: ReviewedReport, runUrl: string, max = MAX_BODY_CHARS): string {
  const failing = isDraft(r) ? stillFailing(r) : [];
  const why = r.report.status === 'partial' ? 'some scopes did not make it into this branch'
    : r.report.status === 'unvalidated' ? 'no validator could judge it' : 'it was accepted with what follows still failing';
  const lead = failing.length ? ['## ⚠️ Still failing', '', `This run ended **${r.report.status}**: ${why}, so this pull request is a draft.`, '', list(failing), '', '---', ''] : [];
  const report = r.kind === 'scope' ? renderReportMarkdown(r.report) : renderFeatureReportMarkdown(r.report);
  const footer = ['', '---', `[This run in the Temporal Web UI](${runUrl}) · the report as JSON: \`infra-implementor result ${r.report.workflowId} --json\``, ''];
  const body = [...lead, report.trimEnd(), ...footer].join('\n');
  if (body.length <= max) return body;
  const tail = `\n\n_… ${body.length - max} characters cut; the whole report: \`infra-implementor result ${r.report.workflowId}\`_\n${footer.join('\n')}`;
  return body.slice(0, max - tail.length) + tail;
}
