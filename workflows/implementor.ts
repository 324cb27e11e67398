// infrastructureImplementor: scope → patterns → implement (five phases) → validate ⇄ fix (bounded)
// → ask a human when stuck → compliance → report. A short driver: the decisions after the
// implementation are core/run-machine.ts, the run's state implementor-run.ts, the human gate
// human-gate.ts. Deterministic: all I/O is in activities.
import { ActivityFailure, ApplicationFailure, CancellationScope, isCancellation, log, patched } from '@temporalio/workflow';
import type { ContextRef, Drafted, LoadedContext, StoredProposal } from '../activities';
import { AGENT_IMPLEMENTER, AgentSession } from './agent';
import { RunStop } from './run-stop';
import { ATTEMPT_FAILURES, Failure } from '../core/failures';
import type { FixRequest, ImplementContext } from '../core/implementer';
import { PHASES } from '../core/phases';
import { nextStep, startLoop, unvalidatedReason, type LoopEvent, type LoopState, type LoopStep } from '../core/run-machine';
import type { Finding, ImplementorInput, ImplementorReport } from '../core/schemas';
import type { HostActivities } from './run-activities';
import { failureMessage, isFailing, summarizeFailures } from './helpers';
import { blockingFindings } from '../core/blocking-findings';
import type { QuestionFailure } from '../core/questions';
import { ImplementorRun } from './implementor-run';
import { deliverResult } from './delivery';
import { Budget } from './budget';

/**
 * Version marker: the scope files are read while the repository is surveyed (two independent
 * reads, one step), and a validation that passes carries the compliance checklist of the same tree
 * (the engine computes both in one pass), so the happy path has two fewer steps. Compliance after a
 * human's answer stays a step of its own (the tree may have been looked at, or touched, meanwhile).
 * Runs started before replay on the old path.
 */
export const FEWER_STEPS = 'load-together-compliance-with-validation';

/**
 * Version marker: the first step opens the run's workspace on the worker that takes it, and every
 * later step touching the files goes to that worker's own queue (a single run too, not only a
 * feature's children); the scope and the patterns are loaded in one step and stored on that worker,
 * and proposals get the context by reference instead of whole through history.
 */
export const RUN_WORKSPACE = 'workspace-per-run';

/**
 * Version marker: error-level compliance findings in the files the run wrote fail an attempt like a
 * failed validation (the fix gets them, the human sees them, the run is not `succeeded` with them);
 * findings in files the run did not touch are reported and never block.
 */
export const FINDINGS_DRIVE_LOOP = 'findings-drive-loop';

/**
 * Version marker: an implementer that calls a model drafts the request on the workspace's worker
 * and the call runs on the shared queue (any worker: LLM calls spread over the cluster); its reply is
 * sealed there with the repository's sops rules. (The Claude implementer is now an agent whose
 * conversation lives on the workspace's worker, agent.ts; no implementer drafts calls any more, but
 * runs recorded with this marker keep replaying.)
 */
export const MODEL_CALLS_ANYWHERE = 'model-calls-anywhere';
/** Version marker: a run whose builds and schema checks were all skipped ends `unvalidated` (runs before it said succeeded). */
export const UNVALIDATED_STATUS = 'unvalidated-status';
/**
 * Version marker: a run's first step opens its workspace and loads its context there, one activity
 * and one workflow task fewer than openWorkspace then loadContext (issue 23's overhead; a pinned run
 * still loads in a step of its own).
 */
export const OPEN_AND_LOAD = 'open-and-load';

export async function infrastructureImplementor(input: ImplementorInput): Promise<ImplementorReport> {
  const fewerSteps = patched(FEWER_STEPS);
  const pinned = patched(RUN_WORKSPACE);
  const findingsBlock = patched(FINDINGS_DRIVE_LOOP);
  const modelsAnywhere = patched(MODEL_CALLS_ANYWHERE);
  const run = new ImplementorRun(input);
  run.registerHandlers();
  return new Driver(run, { fewerSteps, pinned, findingsBlock, modelsAnywhere }).execute();
}

class Driver {
  /** The whole context (older runs, which pass it to every proposal). */
  private ctx: ImplementContext | undefined;
  /** The checklist the last validation computed on the same tree (new path only). */
  private findingsOfLastValidation: Finding[] | undefined;
  private readonly fewerSteps: boolean;

  /** Error findings in the run's own files at the last validation (new path only). */
  private blocking: Finding[] = [];
  private readonly budget: Budget;
  /** Set when the implementer is an agent: the workflow drives its conversation. */
  private agent: AgentSession | undefined;

  constructor(private readonly run: ImplementorRun, private readonly paths: { fewerSteps: boolean; pinned: boolean; findingsBlock: boolean; modelsAnywhere: boolean }) {
    this.fewerSteps = paths.fewerSteps;
    this.budget = new Budget(run.input.options.budgetUsd, run.input.options.budgetPool ? run.pool : undefined);
  }

  /** A human stopped the run from inside its work: abort restores; accept validates what is written once and finishes. */
  private async stopped(stop: RunStop): Promise<ImplementorReport> {
    if (stop.action === 'abort') {
      await this.run.restore();
      return this.run.finish('aborted', stop.summary);
    }
    await this.validate();
    return this.complete({ do: 'finish', status: 'accepted', summary: stop.summary }, startLoop(this.run.state.maxAttempts));
  }

  private get ws() {
    return this.run.ws;
  }

  private get input(): ImplementorInput {
    return this.run.input;
  }

  async execute(): Promise<ImplementorReport> {
    try {
      await this.load();
      return await this.loop(await this.implement());
    } catch (err) {
      if (err instanceof RunStop) return await this.stopped(err);
      await this.run.restore();
      if (isCancellation(err)) throw err;
      // A failure no retry can fix: leave the repository as it was and say why.
      return await this.run.finish('failed', `Failed: ${failureMessage(err)}. ${this.ws.remote ? 'Nothing was pushed.' : 'The repository was restored.'}`);
    } finally {
      await CancellationScope.nonCancellable(() => this.ws.close()).catch((e) => log.error('could not remove the workspace', { error: failureMessage(e) }));
    }
  }

  private async load(): Promise<void> {
    if (this.paths.pinned) return this.openAndLoad();
    const { files } = this.ws.acts;
    // Runs on this path started before runs could come from a remote: they always name a folder.
    const infraRoot = this.input.infraRoot as string;
    const readScope = () => files.readScope({ infraRoot, files: this.input.files });
    const survey = () => files.surveyPatterns({ infraRoot, ...(this.input.reposRoot ? { reposRoot: this.input.reposRoot } : {}) });
    let loaded: [Awaited<ReturnType<typeof readScope>>, Awaited<ReturnType<typeof survey>>];
    if (this.fewerSteps) {
      this.run.setPhase('patterns', 'reading the scope files and learning the repository patterns');
      loaded = await Promise.all([readScope(), survey()]);
    } else {
      this.run.setPhase('scope', 'reading the scope files');
      const scopeFiles = await readScope();
      this.run.setPhase('patterns', 'learning the repository patterns');
      loaded = [scopeFiles, await survey()];
    }
    const [scopeFiles, { profile, knowledge }] = loaded;
    this.ctx = { input: this.input, profile, scopeFiles, knowledge };
  }

  /**
   * The workspace on the worker that takes it (unless a parent pinned the run), then the context,
   * stored there: in the same step since OPEN_AND_LOAD, in a second one before it and for a pinned run.
   */
  private async openAndLoad(): Promise<void> {
    const { input, ws } = this;
    const load = { files: input.files, implementer: input.implementer, ...(input.reposRoot ? { reposRoot: input.reposRoot } : {}) };
    let loaded: LoadedContext | undefined;
    if (ws.movable) {
      const where = input.repo ? `cloning ${input.repo.url} on a worker` : 'opening the workspace on a worker';
      if (patched(OPEN_AND_LOAD)) {
        this.run.setPhase('workspace', `${where} and learning the repository patterns there`);
        loaded = await ws.open(load);
      } else {
        this.run.setPhase('workspace', where);
        await ws.open();
      }
    }
    if (!loaded) {
      this.run.setPhase('patterns', 'reading the scope files and learning the repository patterns');
      loaded = await ws.call((a) => a.files.loadContext({ infraRoot: ws.infraRoot, ...load }));
    }
    if (loaded.agent) {
      patched(AGENT_IMPLEMENTER);
      this.agent = new AgentSession(this.run, this.budget, () => ({ input: { ...input, infraRoot: ws.infraRoot }, ref: loaded.ref }));
      return;
    }
    ws.context = { stored: loaded.context, ref: loaded.ref };
  }

  /** A proposal with the context by reference (stored again when the worker no longer has it), or whole on the old path. */
  private async propose(call: (acts: HostActivities, ctx: ImplementContext | ContextRef, split: boolean) => Promise<Drafted>): Promise<StoredProposal> {
    const { ws } = this;
    const split = this.paths.modelsAnywhere;
    const context = ws.context;
    if (!context) return ws.call((a) => call(a, this.ctx as ImplementContext, false));
    const byRef = (): ContextRef => ({ input: { ...this.input, infraRoot: ws.infraRoot }, ref: context.ref });
    try {
      return await ws.call((a) => call(a, byRef(), split));
    } catch (err) {
      if (!isFailureOf(err, [Failure.ContextMissing])) throw err;
      context.ref = (await ws.call((a) => a.files.storeContext({ context: context.stored }))).ref;
      return ws.call((a) => call(a, byRef(), split));
    }
  }

  /** The five phases in order (or the agent's first attempt); an unusable proposal ends them as a failed attempt. */
  private async implement(): Promise<string | undefined> {
    if (this.agent) {
      this.run.setPhase('implement:agent', 'the agent explores and changes the repository');
      return (await this.agent.attempt()).incomplete;
    }
    try {
      for (const phase of PHASES) {
        this.run.setPhase(`implement:${phase}`, `implementing the ${phase} phase`);
        await this.budget.before(this.run);
        const proposal = await this.propose((a, ctx, split) => a.implementer.proposePhase({ ctx, phase, ...(split ? { split } : {}) }));
        this.run.addUsage(proposal.usage);
        await this.run.apply(proposal.changeSet, phase);
      }
      return undefined;
    } catch (err) {
      if (!isAttemptFailure(err)) throw err;
      return `the implementation is incomplete: ${failureMessage(err)}`;
    }
  }

  /** Validate ⇄ fix ⇄ ask, as core/run-machine.ts decides, until the run finishes or aborts. */
  private async loop(incomplete: string | undefined): Promise<ImplementorReport> {
    let t = nextStep(startLoop(this.run.state.maxAttempts), { on: 'implemented', ...(incomplete !== undefined ? { incomplete } : {}) });
    for (;;) {
      this.run.state.attempt = t.state.attempt;
      this.run.state.maxAttempts = t.state.maxAttempts;
      const step: LoopStep = t.step;
      if (step.do === 'finish') return this.complete(step, t.state);
      if (step.do === 'abort') {
        await this.run.restore();
        return this.run.finish('aborted', step.summary);
      }
      const event = step.do === 'validate' ? await this.validate() : step.do === 'fix' ? await this.fix(step, t.state) : await this.ask(t.state);
      t = nextStep(t.state, event);
    }
  }

  private async validate(): Promise<LoopEvent> {
    this.run.setPhase('validate', 'validating the change');
    const validated = await this.ws.call((a) => a.validators.validateChanges({ infraRoot: this.ws.infraRoot, changedFiles: this.run.touched() }));
    this.run.validations = validated.validations;
    this.run.state.lastValidations = validated.validations;
    this.findingsOfLastValidation = this.fewerSteps ? validated.findings : undefined;
    this.blocking = this.paths.findingsBlock ? blockingFindings(validated.findings, this.run.touched()) : [];
    const failing = isFailing(validated.validations);
    const failures = [...(failing ? [summarizeFailures(validated.validations)] : []), ...this.blocking.map(findingLine)].join('; ');
    // Every build skipped (no tool, nothing fetched) is not a success: the run ends `unvalidated`.
    const unvalidated = patched(UNVALIDATED_STATUS) ? unvalidatedReason(validated.validations) : undefined;
    return { on: 'validated', failing: failing || this.blocking.length > 0, failures: failures || 'no failures', ...(unvalidated !== undefined ? { unvalidated } : {}) };
  }

  private async fix(step: Extract<LoopStep, { do: 'fix' }>, s: LoopState): Promise<LoopEvent> {
    if (step.byHuman) this.run.lastGuidance = step.guidance || undefined;
    this.run.setPhase('fix', step.byHuman ? 'proposing a fix with human guidance' : 'proposing a fix for the failed validations');
    const failures = this.run.validations.filter((v) => v.status === 'fail');
    const request: FixRequest = {
      attempt: s.attempt,
      failures: s.incomplete ? [...failures, { validator: 'yaml', target: '(implementer)', status: 'fail', message: s.incomplete }] : failures,
      findings: this.blocking,
      touched: this.run.touched(),
      ...(step.guidance !== undefined ? { guidance: step.guidance } : {}),
    };
    if (this.agent) {
      const outcome = await this.agent.attempt(request);
      return { on: 'fixed', byHuman: step.byHuman, changed: outcome.changed, ...(outcome.incomplete !== undefined ? { error: outcome.incomplete } : {}) };
    }
    await this.budget.before(this.run);
    try {
      const proposal = await this.propose((a, ctx, split) => a.implementer.proposeFix({ ctx, request, ...(split ? { split } : {}) }));
      this.run.addUsage(proposal.usage);
      this.run.fixesApplied.push(...proposal.changeSet.operations.map((o) => `${o.action} ${o.path}${o.reason ? ` (${o.reason})` : ''}`));
      return { on: 'fixed', byHuman: step.byHuman, changed: (await this.run.apply(proposal.changeSet, `fix-${s.attempt}`)) > 0 };
    } catch (err) {
      if (!isAttemptFailure(err)) throw err;
      return { on: 'fixed', byHuman: step.byHuman, changed: false, error: failureMessage(err) };
    }
  }

  private async ask(s: LoopState): Promise<LoopEvent> {
    const failures: QuestionFailure[] = [...this.run.validations.filter((v) => v.status === 'fail'), ...this.blocking.map(asFailure)];
    const decision = await this.run.gate.ask({
      kind: 'validation',
      question: `${this.blocking.length && !isFailing(this.run.validations) ? 'Compliance errors remain in the files this run wrote' : 'Validation still fails'} after ${s.attempt} attempt(s) for "${this.input.scope}". Retry with guidance, accept as is, or abort and restore the repository?`,
      failures,
      tried: [...s.tried],
      options: [
        { action: 'retry', meaning: 'try one more fix, with your guidance in the prompt' },
        { action: 'accept', meaning: 'keep the change and finish, reporting the failures' },
        { action: 'abort', meaning: 'undo every file this run wrote' },
      ],
    }, { asked: () => this.run.setPhase('awaiting-human', 'waiting for a human answer') });
    return { on: 'answered', action: decision.action, timedOut: decision.timedOut, deadline: this.input.options.humanDeadline, ...(decision.guidance !== undefined ? { guidance: decision.guidance } : {}) };
  }

  /** Succeeded or accepted: a lesson when a fix made it pass, then the checklist, then the report. */
  private async complete(step: Extract<LoopStep, { do: 'finish' }>, s: LoopState): Promise<ImplementorReport> {
    if (step.status === 'succeeded' && s.attempt > 1 && this.run.fixesApplied.length) await this.recordLesson(s);
    this.run.setPhase('compliance', 'checking the compliance checklist');
    // The checklist of the validation that just passed on the same tree, else a step of its own.
    const fromValidation = step.status === 'succeeded' ? this.findingsOfLastValidation : undefined;
    const findings = fromValidation ?? (await this.ws.call((a) => a.validators.checkCompliance({ infraRoot: this.ws.infraRoot, changedFiles: this.run.touched() }))).findings;
    this.run.setFindings(findings);
    const errors = findings.filter((f) => f.severity === 'error' && !f.suppressed).length;
    const summary = errors ? `${step.summary} ${errors} compliance finding(s) of severity error to review.` : step.summary;
    if (!this.ws.remote) return this.run.finish(step.status, summary);
    const delivered = await deliverResult(this.run, step.status, summary);
    return this.run.finish(delivered.status, delivered.summary);
  }

  /** A resolved failure becomes knowledge for the next run (only under a repos root, never in the infra repo). */
  private async recordLesson(s: LoopState): Promise<void> {
    if (!this.input.reposRoot) return;
    const entry = {
      failed: s.tried.filter((t) => t.startsWith('attempt ')).join('\n'),
      fixed: this.run.fixesApplied.join('\n'),
      scope: this.input.scope,
      ...(this.run.lastGuidance ? { guidance: this.run.lastGuidance } : {}),
    };
    // Losing a lesson must not fail a run that succeeded.
    await this.ws.call((a) => a.files.recordLearnedPattern({ reposRoot: this.input.reposRoot as string, entry })).catch((err) => log.warn('could not record the learned pattern', { error: failureMessage(err) }));
  }
}

const isAttemptFailure = (err: unknown) => isFailureOf(err, ATTEMPT_FAILURES);

function isFailureOf(err: unknown, types: readonly string[]): boolean {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure && types.includes(cause.type ?? '');
}

/** A blocking finding as one line of what failed. */
const findingLine = (f: Finding) => `${f.check} ${f.file ?? f.target}${f.line ? `:${f.line}` : ''}: ${f.message}`;

/** A blocking finding as the human's question shows what failed. */
const asFailure = (f: Finding): QuestionFailure => ({
  validator: 'compliance', target: f.target, status: 'fail', message: `${f.check}: ${f.message}`,
  ...(f.file ? { file: f.file } : {}), ...(f.line ? { line: f.line } : {}),
});
