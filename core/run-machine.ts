// The implementor's decisions after the implementation, as a pure state machine: given what just
// happened (validated, fixed, answered), what the run does next (validate, fix, ask, finish, abort).
// The workflow is a driver that performs each step and feeds its outcome back. Sandbox-safe.
import type { AnswerAction } from './phases';

export interface LoopState {
  /** Validations run so far; the first implementation's validation is attempt 1. */
  attempt: number;
  /** Attempts allowed before a human is asked (a human's retry grants one more). */
  maxAttempts: number;
  /** Why the last proposal could not be used, while no later proposal fixed it. */
  incomplete?: string;
  /** What was tried: one line per failed attempt or empty fix, shown to the human. */
  tried: string[];
}

export type LoopStep =
  | { do: 'validate' }
  | { do: 'fix'; byHuman: boolean; guidance?: string }
  | { do: 'ask' }
  | { do: 'finish'; status: 'succeeded' | 'accepted' | 'unvalidated'; summary: string }
  | { do: 'abort'; summary: string };

export type LoopEvent =
  /** The implement phases ran; `incomplete` when a proposal was unusable. */
  | { on: 'implemented'; incomplete?: string }
  /**
   * A validation ran; `failures` summarises what blocks the run (failed validators, error findings);
   * `unvalidated` says why nothing could judge the change (every build and schema check skipped).
   */
  | { on: 'validated'; failing: boolean; failures: string; unvalidated?: string }
  /** A fix was proposed and applied: `changed` when it changed a file, `error` when it was unusable. */
  | { on: 'fixed'; byHuman: boolean; changed: boolean; error?: string }
  /** A human answered the question, or its deadline applied the default action. */
  | { on: 'answered'; action: AnswerAction; guidance?: string; timedOut: boolean; deadline: string };

export interface Transition {
  state: LoopState;
  step: LoopStep;
}

export const startLoop = (maxAttempts: number): LoopState => ({ attempt: 0, maxAttempts, tried: [] });

const validate = (s: LoopState): Transition => ({ state: { ...s, attempt: s.attempt + 1 }, step: { do: 'validate' } });
const withoutIncomplete = (s: LoopState, error: string | undefined): LoopState => {
  if (error !== undefined) return s;
  const { incomplete: _, ...rest } = s;
  return rest;
};

export function nextStep(s: LoopState, e: LoopEvent): Transition {
  switch (e.on) {
    case 'implemented':
      return validate(e.incomplete === undefined ? s : { ...s, incomplete: e.incomplete });
    case 'validated': {
      if (!e.failing && s.incomplete === undefined && e.unvalidated !== undefined) {
        return { state: s, step: { do: 'finish', status: 'unvalidated', summary: `Implemented, but nothing could validate it: ${e.unvalidated}.` } };
      }
      if (!e.failing && s.incomplete === undefined) {
        return { state: s, step: { do: 'finish', status: 'succeeded', summary: `Implemented and validated on attempt ${s.attempt}.` } };
      }
      const state = { ...s, tried: [...s.tried, `attempt ${s.attempt}: ${s.incomplete ?? e.failures}`] };
      return { state, step: s.attempt < s.maxAttempts ? { do: 'fix', byHuman: false } : { do: 'ask' } };
    }
    case 'fixed': {
      const state = withoutIncomplete(s, e.error);
      // A human's retry buys exactly one more validation.
      if (e.byHuman) return validate({ ...state, maxAttempts: s.attempt + 1 });
      if (e.changed) return validate(state);
      // The implementer has nothing more to try: ask a human rather than validate the same tree.
      return { state: { ...state, tried: [...state.tried, `fix after attempt ${s.attempt}: ${e.error ?? 'the implementer proposed no change'}`] }, step: { do: 'ask' } };
    }
    case 'answered':
      return { state: s, step: decide(e) };
  }
}

function decide(e: Extract<LoopEvent, { on: 'answered' }>): LoopStep {
  const late = `No answer before the deadline (${e.deadline})`;
  switch (e.action) {
    case 'abort':
      return { do: 'abort', summary: e.timedOut ? `${late}: aborted and restored the repository.` : 'Aborted by a human: every file this run wrote was restored.' };
    case 'accept':
      return { do: 'finish', status: 'accepted', summary: e.timedOut ? `${late}: accepted with failing validations.` : 'Accepted by a human with failing validations.' };
    case 'retry':
      return { do: 'fix', byHuman: true, guidance: e.guidance ?? '' };
    default:
      throw new Error(`unknown answer action ${String(e.action)}`);
  }
}

/**
 * Validators whose verdict says something about the manifests: builds, schemas, the dry run. YAML
 * syntax and Flux path checks alone do not (a path that exists says nothing of what it holds).
 */
const JUDGES = new Set(['kustomize', 'helm', 'schema', 'kubectl']);

/**
 * Why no validator judged the change, when builds or schema checks applied to it and every one
 * was skipped (no tool, nothing fetched); undefined when one passed or failed, or none applied. The
 * dry run without a cluster is no judge either way.
 */
export function unvalidatedReason(results: readonly { validator: string; status: string; message: string }[]): string | undefined {
  if (results.some((r) => JUDGES.has(r.validator) && r.status !== 'skipped')) return undefined;
  const skipped = results.filter((r) => r.status === 'skipped' && JUDGES.has(r.validator) && r.validator !== 'kubectl');
  const first = skipped[0]?.message.split('\n')[0];
  return first === undefined ? undefined : `${skipped.length} check(s) skipped, e.g. ${first}`;
}
