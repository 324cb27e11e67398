// Small pure helpers of the implementor workflow (sandbox-safe: no I/O, no Node builtins).
import type { ValidationResult } from '../core/schemas';
import { durationMs } from '../core/duration';

/** Milliseconds of a duration such as `30s`, `15m`, `24h` (validated by ImplementorOptions). */
export function deadlineFrom(duration: string): number {
  const ms = durationMs(duration);
  if (ms === undefined) throw new Error(`invalid duration ${duration}`);
  return ms;
}

export const isFailing = (results: ValidationResult[]): boolean => results.some((r) => r.status === 'fail');

export function summarizeFailures(results: ValidationResult[]): string {
  const failed = results.filter((r) => r.status === 'fail');
  if (!failed.length) return 'no failures';
  return failed.map((r) => `${r.validator} ${r.target}: ${r.message.split('\n')[0]}`).join('; ');
}
