// Small helpers of the workflows (sandbox-safe: no I/O, no Node builtins).
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, log } from '@temporalio/workflow';
import type { ValidationResult } from '../core/schemas';
import { durationMs } from '../core/duration';
import { ANSWER_ACTIONS } from '../core/phases';

/** The answer names an action a run knows; the message says which ones. */
export function checkAction(a: { action: string } | undefined): void {
  if (!a || !(ANSWER_ACTIONS as readonly string[]).includes(a.action)) {
    throw new Error(`unknown action ${JSON.stringify(a?.action)}: use ${ANSWER_ACTIONS.join(', ').replace(/, (?=[^,]*$)/, ' or ')}`);
  }
}

/**
 * A signal handler that takes what `validate` accepts: a signal cannot be refused like an update,
 * so one the run cannot use is logged and dropped.
 */
export function validSignal<T>(validate: (a: T) => void, handle: (a: T) => void): (a: T) => void {
  return (a) => {
    try {
      validate(a);
    } catch (e) {
      log.warn('ignored answer signal', { reason: (e as Error).message });
      return;
    }
    handle(a);
  };
}

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

/** The innermost message of a failure: what an activity or a child really said. */
export function failureMessage(err: unknown): string {
  let e: unknown = err;
  while ((e instanceof ActivityFailure || e instanceof ChildWorkflowFailure) && e.cause) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

/** The type of the application failure an activity threw, if that is what failed. */
export function failureType(err: unknown): string | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure ? cause.type ?? undefined : undefined;
}
