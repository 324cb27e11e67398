// The Validate tool's answer: the verdict of the run's own validation engine on the tree as it is,
// in the words the run itself would use — failed validators, the compliance findings that would block
// the change, and what could not be checked (a skipped validator is never a pass).
import type { Finding, ValidationResult } from '../../core/schemas';
import type { ToolOutcome } from './workspace-tools';

const MAX_MESSAGE_LINES = 30;

const where = (x: { file?: string; line?: number; column?: number }) =>
  x.file ? ` (${x.file}${x.line ? `:${x.line}${x.column ? `:${x.column}` : ''}` : ''})` : '';

function message(text: string): string {
  const lines = text.split('\n');
  const shown = lines.slice(0, MAX_MESSAGE_LINES).map((l) => `    ${l}`);
  if (lines.length > MAX_MESSAGE_LINES) shown.push(`    … ${lines.length - MAX_MESSAGE_LINES} more lines`);
  return shown.join('\n');
}

export function validationReport(checked: { validations: ValidationResult[] }, blocking: Finding[]): ToolOutcome {
  const failed = checked.validations.filter((v) => v.status === 'fail');
  const skipped = checked.validations.filter((v) => v.status === 'skipped');
  const passed = checked.validations.filter((v) => v.status === 'pass');
  const parts: string[] = [];
  if (failed.length) parts.push(`## ${failed.length} failed\n${failed.map((v) => `- [${v.validator}] ${v.target}${where(v)}:\n${message(v.message)}`).join('\n')}`);
  if (blocking.length) parts.push(`## ${blocking.length} compliance finding(s) that block the change\n${blocking.map((f) => `- ${f.check} ${f.resource}${where(f)}: ${f.message}`).join('\n')}`);
  if (skipped.length) parts.push(`## ${skipped.length} not checked\n${skipped.map((v) => `- [${v.validator}] ${v.target}: ${v.message.split('\n')[0]}`).join('\n')}`);
  const problems = failed.length + blocking.length;
  const verdict = problems
    ? `Validation does not pass: ${failed.length} failure(s), ${blocking.length} blocking finding(s); ${passed.length} check(s) passed.`
    : passed.length
      ? `Validation passes: ${passed.length} check(s) passed${skipped.length ? `, ${skipped.length} could not run` : ''}.`
      : 'Nothing could be validated: every check was skipped (see why below). This is not a pass.';
  const brief = problems ? `Validate: ${failed.length} failure${failed.length === 1 ? '' : 's'}${blocking.length ? `, ${blocking.length} finding${blocking.length === 1 ? '' : 's'}` : ''}` : passed.length ? 'Validate: passes' : 'Validate: nothing checked';
  return { content: [verdict, ...parts].join('\n\n'), isError: false, brief };
}
