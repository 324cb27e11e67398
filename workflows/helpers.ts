// Small pure helpers of the implementor workflow (sandbox-safe: no I/O, no Node builtins).
import type { ValidationResult } from '../core/schemas';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration such as `30s`, `15m`, `24h` (the form ImplementorOptions accepts). */
export function deadlineFrom(duration: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(duration);
  if (!m) throw new Error(`invalid duration ${duration}`);
  return Number(m[1]) * (UNIT_MS[m[2] as string] as number);
}

export const isFailing = (results: ValidationResult[]): boolean => results.some((r) => r.status === 'fail');

export function summarizeFailures(results: ValidationResult[]): string {
  const failed = results.filter((r) => r.status === 'fail');
  if (!failed.length) return 'no failures';
  return failed.map((r) => `${r.validator} ${r.target}: ${r.message.split('\n')[0]}`).join('; ');
}
