// The text form of `check`: one block per file (or target, for what has no file), failures and
// findings first-class at line:column, passes only counted, suppressed findings shown with their
// reason, and one summary line.
import type { Finding, ValidationResult } from '../core/schemas';
import { notCheckedLine } from './check-honesty';

export interface CheckReport {
  validations: ValidationResult[];
  findings: Finding[];
}

const pos = (line?: number, column?: number): string => (line ? `:${line}${column ? `:${column}` : ''}` : '');

export function summarize(r: CheckReport): string {
  const count = (s: ValidationResult['status']) => r.validations.filter((v) => v.status === s).length;
  const active = r.findings.filter((f) => f.suppressed === undefined);
  const errors = active.filter((f) => f.severity === 'error').length;
  return `${count('pass')} validations passed, ${count('fail')} failed, ${count('skipped')} skipped; ` +
    `${errors} error(s), ${active.length - errors} warning(s), ${r.findings.length - active.length} suppressed${notCheckedLine(r.validations)}`;
}

/** Where a finding appears: its target, or every target when a base is rendered by several. */
const targetsOf = (f: Finding): string => {
  const all = f.targets ?? [f.target];
  return all.length === 1 ? `in ${all[0] ?? f.target}` : `in ${all.length} targets: ${all.join(', ')}`;
};

/**
 * One block per file (a finding's source file, else its target), so that what to edit reads top
 * down: each line starts with file:line:column, then severity, check, resource and the message.
 */
export function renderText(r: CheckReport): string {
  const blocks = new Map<string, string[]>();
  const lines = (t: string) => blocks.get(t) ?? blocks.set(t, []).get(t) ?? [];
  for (const v of r.validations.filter((x) => x.status !== 'pass')) {
    const [first, ...rest] = v.message.split('\n');
    const where = v.file ?? v.target;
    lines(where).push(`  ${v.status === 'fail' ? 'FAIL' : 'skip'}  ${v.validator}${v.file ? pos(v.line, v.column) : ''}: ${first ?? ''}`, ...rest.map((l) => `        ${l}`));
  }
  const sorted = [...r.findings].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  for (const f of sorted) {
    const head = f.suppressed !== undefined ? 'suppressed' : f.severity;
    const why = f.suppressed !== undefined ? ` (suppressed: ${f.suppressed})` : '';
    lines(f.file ?? f.target).push(`  ${f.file ? `${pos(f.line, f.column).slice(1) || '-'}  ` : ''}${head}  ${f.check}  ${f.resource}: ${f.message} (${targetsOf(f)})${why}`);
  }
  const out = [...blocks].sort(([a], [b]) => a.localeCompare(b)).map(([t, ls]) => `${t}\n${ls.join('\n')}`);
  return [...out, summarize(r)].join('\n\n') + '\n';
}
