// The text form of `check`: one block per target, failures and findings first-class, passes only
// counted, suppressed findings shown with their reason, and one summary line.
import type { Finding, ValidationResult } from '../core/schemas';

export interface CheckReport {
  validations: ValidationResult[];
  findings: Finding[];
}

const at = (file?: string, line?: number): string => (file ? ` ${file}${line ? `:${line}` : ''}` : '');

export function summarize(r: CheckReport): string {
  const count = (s: ValidationResult['status']) => r.validations.filter((v) => v.status === s).length;
  const active = r.findings.filter((f) => f.suppressed === undefined);
  const errors = active.filter((f) => f.severity === 'error').length;
  return `${count('pass')} validations passed, ${count('fail')} failed, ${count('skipped')} skipped; ` +
    `${errors} error(s), ${active.length - errors} warning(s), ${r.findings.length - active.length} suppressed`;
}

export function renderText(r: CheckReport): string {
  const targets = new Map<string, string[]>();
  const lines = (t: string) => targets.get(t) ?? targets.set(t, []).get(t) ?? [];
  for (const v of r.validations.filter((x) => x.status !== 'pass')) {
    const [first, ...rest] = v.message.split('\n');
    lines(v.target).push(`  ${v.status === 'fail' ? 'FAIL' : 'skip'}  ${v.validator}: ${first ?? ''}`, ...rest.map((l) => `        ${l}`));
  }
  for (const f of r.findings) {
    const head = f.suppressed !== undefined ? 'suppressed' : f.severity;
    const why = f.suppressed !== undefined ? ` (suppressed: ${f.suppressed})` : '';
    lines(f.target).push(`  ${head}  ${f.check}  ${f.resource}${at(f.file, f.line)}: ${f.message}${why}`);
  }
  const blocks = [...targets].sort(([a], [b]) => a.localeCompare(b)).map(([t, ls]) => `${t}\n${ls.join('\n')}`);
  return [...blocks, summarize(r)].join('\n\n') + '\n';
}
