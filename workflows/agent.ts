// An agent's attempt, driven by the workflow: model turn → the turn's tool calls → … until the agent
// calls Finish. Every turn and every batch of tool calls is an activity on the worker holding the
// workspace; history carries digests, tool names, paths and usage, the conversation stays in that
// worker's blob store. The workflow owns the loop: the turn cap, the budget before every call, a cut
// reply asked once more, the agent's questions to a human, and the validation after Finish.
import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';
import { batchLine, dependencyOf, type AgentQuestion, type BatchResult, type TurnAdd, type TurnResult } from '../core/agent';
import type { FixRequest } from '../core/implementer';
import type { UsageCounters } from '../core/phases';
import type { Budget } from './budget';
import type { ImplementorRun } from './implementor-run';
import { agentQuestion, answerText, turnCapQuestion } from './agent-questions';
import { RunStop } from './run-stop';

/** Version marker: the implementer is an agent the workflow drives turn by turn. */
export const AGENT_IMPLEMENTER = 'agent-implementer';

export const DEFAULT_MAX_TURNS = 60;

export interface AttemptOutcome {
  /** Why the attempt ended without the agent finishing (a reply cut twice, say). */
  incomplete?: string;
  /** Whether the attempt wrote anything. */
  changed: boolean;
}

export class AgentSession {
  private conversation: string | undefined;
  private attempts = 0;
  /** Answers owed to tool calls of an attempt that a human ended (the next attempt gives them). */
  private owed: { id: string; text: string }[] = [];
  turns = 0;
  toolCalls = 0;
  readonly filesRead: string[] = [];

  constructor(private readonly run: ImplementorRun, private readonly budget: Budget, private readonly context: () => { input: unknown; ref: string }) {}

  /** One attempt; `fix` opens it with what the run's validation found. */
  async attempt(fix?: FixRequest): Promise<AttemptOutcome> {
    this.attempts++;
    this.written.clear();
    const changed = () => this.written.size > 0;
    const maxTurns = this.run.input.options.maxTurns ?? DEFAULT_MAX_TURNS;
    let add: TurnAdd | undefined = { ...(fix ? { fix } : {}), ...(this.owed.length ? { answers: this.owed } : {}) };
    this.owed = [];
    let cap = maxTurns;
    for (let turn = 0, cuts = 0; ;) {
      if (turn >= cap) {
        const guidance = await this.atCap(turn);
        if (guidance === undefined) return { changed: changed() };
        cap += maxTurns;
        add = { ...add, guidance };
      }
      const r = await this.turn(`a${this.attempts}/t${turn}${cuts ? `/cut${cuts}` : ''}`, add);
      if (r.kind === 'cut') {
        if (++cuts >= 2) return { changed: changed(), incomplete: 'the model\'s reply was cut at max_tokens twice in a row; nothing of either was used' };
        add = { ...add, cut: true };
        continue;
      }
      turn++;
      cuts = 0;
      add = undefined;
      if (r.kind !== 'reply') continue;
      if (!r.calls.length) {
        add = { noTool: true };
        continue;
      }
      const b = await this.tools(r, `a${this.attempts}/t${turn - 1}/tools`);
      if (b.ask) {
        const answer = await this.ask(b.ask);
        if (answer.finish) return { changed: changed() };
        add = { answers: [{ id: b.ask.id, text: answer.text }] };
      }
      if (b.finish) return { changed: changed() };
    }
  }

  /** Files the current attempt changed. */
  private readonly written = new Set<string>();

  /** One model turn, its price checked first when the run has a budget; its usage counted whatever happens. */
  private async turn(step: string, add: TurnAdd | undefined): Promise<TurnResult> {
    const { run } = this;
    for (;;) {
      const allowUsd = this.budget.allowance(run);
      const first = this.conversation === undefined;
      let r: TurnResult;
      try {
        r = await run.ws.call((a) => a.implementer.agentTurn({
          implementer: run.input.implementer, infraRoot: run.ws.infraRoot, key: `${run.info.workflowId}/${run.info.runId}/${step}`,
          ...(first ? { ctx: this.context() } : { conversation: this.conversation }),
          ...(add ? { add } : {}), ...(allowUsd !== undefined ? { allowUsd } : {}),
        }));
      } catch (err) {
        run.addUsage(usageOfFailure(err));
        throw err;
      }
      if (r.kind === 'over-budget') {
        await this.budget.cover(run, r.estimateUsd);
        continue;
      }
      this.budget.used();
      run.addUsage(r.usage);
      if (r.kind === 'reply') {
        this.conversation = r.conversation;
        run.ws.onlyHere ??= 'the agent\'s conversation and the files it wrote';
        this.turns++;
        run.noteAgent(this, r.calls.map((c) => c.brief).join(' · '));
      }
      return r;
    }
  }

  /** The tool calls of a turn, in the workspace; what they wrote goes into the run's journal. */
  private async tools(r: Extract<TurnResult, { kind: 'reply' }>, step: string): Promise<BatchResult> {
    const { run } = this;
    const b = await run.ws.call((a) => a.implementer.agentTools({
      infraRoot: run.ws.infraRoot, conversation: r.conversation, key: `${run.info.workflowId}/${run.info.runId}/${step}`, touched: run.touched(),
    }));
    this.conversation = b.conversation;
    this.toolCalls += b.results.length;
    for (const f of b.read) if (!this.filesRead.includes(f)) this.filesRead.push(f);
    for (const w of b.written) if (w.action !== 'unchanged') this.written.add(w.path);
    run.record(b.written);
    const finish = b.finish;
    run.collect(
      [...b.assumptions, ...(finish?.assumptions ?? []).map((text) => ({ text }))],
      [...b.dependencies, ...(finish?.dependencies ?? []).map(dependencyOf)],
    );
    // What a fix changed becomes the lesson when the run then passes (implementor.ts).
    if (finish && this.attempts > 1) run.fixesApplied.push(...[...this.written].map((p) => `write ${p}`));
    run.noteAgent(this, batchLine(b.results));
    return b;
  }

  /** The agent's own question, to a human; abort stops the run, accept ends the attempt. */
  private async ask(q: AgentQuestion): Promise<{ text: string; finish?: true }> {
    const decision = await this.run.gate.ask(agentQuestion(q), { asked: () => this.run.setPhase('awaiting-human', 'the agent asks a human'), answered: () => this.run.setPhase(this.phase(), 'the agent goes on') });
    if (decision.action === 'abort') throw new RunStop('abort', decision.timedOut, decision.timedOut ? 'Nobody answered the agent\'s question before the deadline: aborted, every file this run wrote was restored.' : 'Aborted by a human at the agent\'s question: every file this run wrote was restored.');
    if (decision.action === 'accept') {
      this.owed.push({ id: q.id, text: 'The human chose to stop your work here and have the run validate what is written.' });
      return { text: '', finish: true };
    }
    return { text: answerText(q, decision.guidance) };
  }

  /** The turns of an attempt are used up: a human says go on (with guidance), stop here, or abort. */
  private async atCap(turns: number): Promise<string | undefined> {
    const decision = await this.run.gate.ask(turnCapQuestion(this.run.input.scope, turns), { asked: () => this.run.setPhase('awaiting-human', 'the agent used its turns'), answered: () => this.run.setPhase(this.phase(), 'the agent goes on') });
    if (decision.action === 'abort') throw new RunStop('abort', decision.timedOut, `The agent used ${turns} turns without finishing; ${decision.timedOut ? 'nobody answered before the deadline' : 'a human'} aborted: every file this run wrote was restored.`);
    if (decision.action === 'accept') return undefined;
    return decision.guidance ?? '';
  }

  phase(): string {
    return this.attempts > 1 ? 'fix' : 'implement:agent';
  }
}

/** What a failed turn's replies used (the activity puts it in the failure's details). */
function usageOfFailure(err: unknown): UsageCounters | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (!(cause instanceof ApplicationFailure)) return undefined;
  const detail = cause.details?.[0] as { usage?: UsageCounters } | undefined;
  return detail?.usage;
}
