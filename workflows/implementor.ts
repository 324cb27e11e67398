// infrastructureImplementor: scope → patterns → implement (five phases) → validate ⇄ fix (bounded)
// → ask a human when stuck → compliance → report. Deterministic: all I/O is in activities.
import {
  ActivityFailure, ApplicationFailure, allHandlersFinished, condition, getExternalWorkflowHandle, log, patched, proxyActivities, setCurrentDetails,
  setHandler, upsertSearchAttributes, workflowInfo, isCancellation, CancellationScope,
} from '@temporalio/workflow';
import type { Activities, AppliedEntry } from '../activities';
import type { FixRequest, ImplementContext } from '../core/implementer';
import { ATTEMPT_FAILURES, NON_RETRYABLE } from '../core/failures';
import { PHASES, emptyUsage } from '../core/phases';
import type {
  Answer, Assumption, ChangeSet, Dependency, Finding, ImplementorInput, ImplementorReport, LlmUsage, ValidationResult,
} from '../core/schemas';
import {
  answerSignal, answerUpdate, AwaitingHumanKey, childProgressSignal, ImplementorPhaseKey, statusQuery, type ChildProgress,
  type ImplementorStatus, type PendingQuestion,
} from './messages';
import { checkAction, deadlineFrom, isFailing, summarizeFailures, validSignal } from './helpers';
import { enterPhase } from './telemetry';

// One block per kind of work, so a reader sees each policy next to what it governs. Under a feature
// workflow, `taskQueue` is the queue of the worker holding the child's worktree.
const proxies = (taskQueue?: string) => ({
  files: proxyActivities<Activities>({
    ...(taskQueue ? { taskQueue } : {}),
    startToCloseTimeout: '2m',
    retry: { initialInterval: '1s', maximumAttempts: 5, nonRetryableErrorTypes: [...NON_RETRYABLE.files] },
  }),
  implementer: proxyActivities<Activities>({
    ...(taskQueue ? { taskQueue } : {}),
    // Up to three streamed calls of long output per proposal; heartbeats catch a stalled one sooner.
    startToCloseTimeout: '30m',
    heartbeatTimeout: '2m',
    retry: {
      initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 8,
      nonRetryableErrorTypes: [...NON_RETRYABLE.implementer],
    },
  }),
  validators: proxyActivities<Activities>({
    ...(taskQueue ? { taskQueue } : {}),
    startToCloseTimeout: '20m',
    heartbeatTimeout: '2m',
    retry: { initialInterval: '2s', maximumAttempts: 3, nonRetryableErrorTypes: [...NON_RETRYABLE.validators] },
  }),
});


/**
 * Version marker: the scope files are read while the repository is surveyed (two independent
 * reads, one step), and a validation that passes carries the compliance checklist of the same tree
 * (the engine computes both in one pass), so the happy path has two fewer steps. Compliance after a
 * human's answer stays a step of its own (the tree may have been looked at, or touched, meanwhile).
 * Runs started before replay on the old path.
 */
export const FEWER_STEPS = 'load-together-compliance-with-validation';

export async function infrastructureImplementor(input: ImplementorInput): Promise<ImplementorReport> {
  const info = workflowInfo();
  const fewerSteps = patched(FEWER_STEPS);
  const { files, implementer, validators } = proxies(input.options.activityTaskQueue);
  const state: ImplementorStatus = {
    workflowId: info.workflowId,
    feature: input.featureDescription,
    scope: input.scope,
    phase: 'scope',
    attempt: 0,
    maxAttempts: input.options.maxAttempts,
    startedAt: new Date(info.startTime).toISOString(),
    filesTouched: [],
    lastValidations: [],
    findings: [],
    done: false,
  };
  let answer: Answer | undefined;
  const humanAnswers: Answer[] = [];

  const validateAnswer = (a: Answer) => {
    if (!state.pending) throw new Error('nothing is pending: this run is not waiting for an answer');
    checkAction(a);
  };
  setHandler(statusQuery, () => state);
  setHandler(answerSignal, validSignal(validateAnswer, (a) => { answer = a; }));
  setHandler(
    answerUpdate,
    (a) => {
      answer = a;
      return `accepted: ${a.action}`;
    },
    { validator: validateAnswer },
  );

  const setPhase = (phase: string, details?: string) => {
    enterPhase(phase);
    state.phase = phase;
    upsertSearchAttributes([{ key: ImplementorPhaseKey, value: phase }]);
    setCurrentDetails(`**${input.scope}** — ${details ?? phase}${state.attempt ? ` (attempt ${state.attempt}/${state.maxAttempts})` : ''}`);
    tellParent();
  };

  // A feature workflow cannot query its children: each tells its parent where it is instead.
  let progressSeq = 0;
  const tellParent = () => {
    if (!info.parent) return;
    const progress: ChildProgress = {
      workflowId: info.workflowId, seq: ++progressSeq, phase: state.phase, attempt: state.attempt, maxAttempts: state.maxAttempts,
      done: state.phase === 'done', ...(state.pending ? { pending: state.pending } : {}),
    };
    // Best effort: the run must not fail because its parent is gone.
    void getExternalWorkflowHandle(info.parent.workflowId, info.parent.runId).signal(childProgressSignal, progress).catch(() => undefined);
  };

  // What this run wrote: the first "before" of each file, for the report and for abort.
  const journal = new Map<string, AppliedEntry>();
  const assumptions: Assumption[] = [];
  const dependencies: Dependency[] = [];
  const usage: LlmUsage = emptyUsage();
  const tried: string[] = [];
  // What the fixes changed and the last human guidance: the lesson recorded when validation passes.
  const fixesApplied: string[] = [];
  let lastGuidance: string | undefined;
  let validations: ValidationResult[] = [];
  /** The checklist the last validation computed on the same tree (new path only). */
  let findingsOfLastValidation: Finding[] | undefined;
  let applyCount = 0;
  let ctx: ImplementContext | undefined;

  const addUsage = (u?: LlmUsage) => {
    if (!u) return;
    for (const k of Object.keys(usage) as (keyof LlmUsage)[]) usage[k] += u[k];
  };
  const apply = async (changeSet: ChangeSet, step: string) => {
    applyCount++;
    for (const a of changeSet.assumptions) if (!assumptions.some((x) => x.text === a.text)) assumptions.push(a);
    for (const d of changeSet.dependencies) if (!dependencies.some((x) => x.description === d.description)) dependencies.push(d);
    if (!changeSet.operations.length) return 0;
    const entries = await files.applyChangeSet({ infraRoot: input.infraRoot, changeSet, journalKey: `${info.workflowId}/${info.runId}/${applyCount}-${step}` });
    for (const e of entries) {
      const first = journal.get(e.path);
      journal.set(e.path, first ? { ...first, action: recomputeAction(first.before, e) } : e);
    }
    state.filesTouched = [...journal.keys()];
    return entries.filter((e) => e.action !== 'unchanged').length;
  };

  const report = (status: ImplementorReport['status'], summary: string): ImplementorReport => {
    const entries = [...journal.values()];
    return {
      workflowId: info.workflowId,
      feature: input.featureDescription,
      scope: input.scope,
      status,
      attempts: state.attempt,
      filesCreated: entries.filter((e) => e.action === 'created').map((e) => e.path).sort(),
      filesModified: entries.filter((e) => e.action === 'modified').map((e) => e.path).sort(),
      filesDeleted: entries.filter((e) => e.action === 'deleted').map((e) => e.path).sort(),
      assumptions,
      dependencies,
      validations,
      findings: state.findings,
      llmUsage: usage,
      humanAnswers,
      summary,
    };
  };

  const restore = async () => {
    const entries = [...journal.values()].map(({ path, before }) => ({ path, before }));
    // Restoring must finish even when the run is being cancelled.
    await CancellationScope.nonCancellable(() => files.restoreChanges({ infraRoot: input.infraRoot, entries }));
    for (const e of journal.values()) e.action = 'unchanged';
  };

  const finish = async (status: ImplementorReport['status'], summary: string) => {
    setPhase('done', summary);
    upsertSearchAttributes([{ key: AwaitingHumanKey, value: false }]);
    state.done = true;
    await condition(allHandlersFinished);
    return report(status, summary);
  };

  try {
    const readScope = () => files.readScope({ infraRoot: input.infraRoot, files: input.files });
    const survey = () => files.surveyPatterns({ infraRoot: input.infraRoot, ...(input.reposRoot ? { reposRoot: input.reposRoot } : {}) });
    let loaded: [Awaited<ReturnType<typeof readScope>>, Awaited<ReturnType<typeof survey>>];
    if (fewerSteps) {
      setPhase('patterns', 'reading the scope files and learning the repository patterns');
      loaded = await Promise.all([readScope(), survey()]);
    } else {
      setPhase('scope', 'reading the scope files');
      const scopeFiles = await readScope();
      setPhase('patterns', 'learning the repository patterns');
      loaded = [scopeFiles, await survey()];
    }
    const [scopeFiles, { profile, knowledge }] = loaded;
    ctx = { input, profile, scopeFiles, knowledge };

    // A proposal the implementer could not make usable is a failed attempt, not a failed run.
    let incomplete: string | undefined;
    try {
      for (const phase of PHASES) {
        setPhase(`implement:${phase}`, `implementing the ${phase} phase`);
        const proposal = await implementer.proposePhase({ ctx, phase });
        addUsage(proposal.usage);
        await apply(proposal.changeSet, phase);
      }
    } catch (err) {
      if (!isAttemptFailure(err)) throw err;
      incomplete = `the implementation is incomplete: ${failureMessage(err)}`;
    }

    for (;;) {
      state.attempt++;
      setPhase('validate', 'validating the change');
      const validated = await validators.validateChanges({ infraRoot: input.infraRoot, changedFiles: [...journal.keys()] });
      validations = validated.validations;
      findingsOfLastValidation = fewerSteps ? validated.findings : undefined;
      state.lastValidations = validations;
      if (!isFailing(validations) && !incomplete) break;
      tried.push(`attempt ${state.attempt}: ${incomplete ?? summarizeFailures(validations)}`);

      if (state.attempt < state.maxAttempts) {
        setPhase('fix', 'proposing a fix for the failed validations');
        const fixed = await tryFix(validations, incomplete);
        if (fixed.error === undefined) incomplete = undefined;
        if (fixed.changed) continue;
        tried.push(`fix after attempt ${state.attempt}: ${fixed.error ?? 'the implementer proposed no change'}`);
      }

      // Out of attempts, or the implementer has nothing more to try: ask a human.
      const decision = await askHuman(validations);
      if (decision.action === 'abort') {
        await restore();
        return await finish('aborted', decision.timedOut
          ? `No answer before the deadline (${input.options.humanDeadline}): aborted and restored the repository.`
          : 'Aborted by a human: every file this run wrote was restored.');
      }
      if (decision.action === 'accept') {
        return await runCompliance(decision.timedOut
          ? `No answer before the deadline (${input.options.humanDeadline}): accepted with failing validations.`
          : 'Accepted by a human with failing validations.', 'accepted');
      }
      // retry: one more fix with the human's guidance, then one more validation.
      lastGuidance = decision.guidance;
      setPhase('fix', 'proposing a fix with human guidance');
      const fixed = await tryFix(validations, incomplete, decision.guidance ?? '');
      if (fixed.error === undefined) incomplete = undefined;
      state.maxAttempts = state.attempt + 1;
    }
    if (state.attempt > 1 && fixesApplied.length) await recordLesson();
    return await runCompliance(`Implemented and validated on attempt ${state.attempt}.`, 'succeeded', findingsOfLastValidation);
  } catch (err) {
    if (isCancellation(err)) {
      await restore();
      throw err;
    }
    // A failure no retry can fix: leave the repository as it was and say why.
    await restore();
    return await finish('failed', `Failed: ${failureMessage(err)}. The repository was restored.`);
  }

  async function tryFix(current: ValidationResult[], incomplete: string | undefined, guidance?: string): Promise<{ changed: boolean; error?: string }> {
    const failures = current.filter((v) => v.status === 'fail');
    const request: FixRequest = {
      attempt: state.attempt,
      failures: incomplete ? [...failures, { validator: 'yaml', target: '(implementer)', status: 'fail', message: incomplete }] : failures,
      findings: [],
      touched: [...journal.keys()],
      ...(guidance !== undefined ? { guidance } : {}),
    };
    try {
      const proposal = await implementer.proposeFix({ ctx: ctx as ImplementContext, request });
      addUsage(proposal.usage);
      fixesApplied.push(...proposal.changeSet.operations.map((o) => `${o.action} ${o.path}${o.reason ? ` (${o.reason})` : ''}`));
      return { changed: (await apply(proposal.changeSet, `fix-${state.attempt}`)) > 0 };
    } catch (err) {
      if (!isAttemptFailure(err)) throw err;
      return { changed: false, error: failureMessage(err) };
    }
  }

  /** A resolved failure becomes knowledge for the next run (only under a repos root, never in the infra repo). */
  async function recordLesson(): Promise<void> {
    if (!input.reposRoot) return;
    const entry = {
      failed: tried.filter((t) => t.startsWith('attempt ')).join('\n'),
      fixed: fixesApplied.join('\n'),
      scope: input.scope,
      ...(lastGuidance ? { guidance: lastGuidance } : {}),
    };
    // Losing a lesson must not fail a run that succeeded.
    await files.recordLearnedPattern({ reposRoot: input.reposRoot, entry }).catch((err) => log.warn('could not record the learned pattern', { error: failureMessage(err) }));
  }

  async function askHuman(failures: ValidationResult[]): Promise<{ action: Answer['action']; guidance?: string; timedOut: boolean }> {
    const now = new Date().getTime(); // workflow time: replay-safe inside the sandbox
    const pending: PendingQuestion = {
      question: `Validation still fails after ${state.attempt} attempt(s) for "${input.scope}". Retry with guidance, accept as is, or abort and restore the repository?`,
      failures: failures.filter((v) => v.status === 'fail'),
      tried: [...tried],
      options: [
        { action: 'retry', meaning: 'try one more fix, with your guidance in the prompt' },
        { action: 'accept', meaning: 'keep the change and finish, reporting the failures' },
        { action: 'abort', meaning: 'undo every file this run wrote' },
      ],
      askedAt: new Date(now).toISOString(),
      deadline: new Date(now + deadlineFrom(input.options.humanDeadline)).toISOString(),
    };
    state.pending = pending;
    answer = undefined;
    setPhase('awaiting-human', 'waiting for a human answer');
    upsertSearchAttributes([{ key: AwaitingHumanKey, value: true }]);
    const answered = await condition(() => answer !== undefined, input.options.humanDeadline);
    state.pending = undefined;
    upsertSearchAttributes([{ key: AwaitingHumanKey, value: false }]);
    if (!answered || !answer) return { action: input.options.deadlineAction, timedOut: true };
    const a: Answer = answer;
    humanAnswers.push(a);
    return { action: a.action, ...(a.guidance !== undefined ? { guidance: a.guidance } : {}), timedOut: false };
  }

  /** The checklist: from the validation that just passed on the same tree, else a step of its own. */
  async function runCompliance(summary: string, status: 'succeeded' | 'accepted', fromValidation?: Finding[]): Promise<ImplementorReport> {
    setPhase('compliance', 'checking the compliance checklist');
    const findings = fromValidation ?? (await validators.checkCompliance({ infraRoot: input.infraRoot, changedFiles: [...journal.keys()] })).findings;
    state.findings = findings;
    const errors = findings.filter((f: Finding) => f.severity === 'error' && !f.suppressed).length;
    return finish(status, errors ? `${summary} ${errors} compliance finding(s) of severity error to review.` : summary);
  }

}

function recomputeAction(before: AppliedEntry['before'], latest: AppliedEntry): AppliedEntry['action'] {
  if (latest.action === 'deleted') return before === null ? 'unchanged' : 'deleted';
  return before === null ? 'created' : 'modified';
}

function isAttemptFailure(err: unknown): boolean {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure && ATTEMPT_FAILURES.includes(cause.type ?? '');
}

function failureMessage(err: unknown): string {
  let e: unknown = err;
  while (e instanceof ActivityFailure && e.cause) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}
