// The run's budget for LLM calls (`--budget-usd`). An agent's every call is priced before it is
// made (its prompt and a full reply, estimated by the turn activity) and made only when it fits:
// otherwise a human is asked to raise the budget (retry with a new amount), accept the change as it
// is, or abort. A feature's scopes draw from the feature's one pool instead (budget-pool.ts). Runs of
// a proposer (the scaffold, older runs) check before each proposal against the most one has cost.
import { formatUsd } from '../core/usage';
import type { PoolClient } from './budget-pool';
import type { ImplementorRun } from './implementor-run';
import { BUDGET_OPTIONS, stopAtBudget } from './budget-question';

export class Budget {
  /** Pool mode: what the feature granted for the next call. */
  private granted = 0;

  constructor(private limit: number | undefined, private readonly pool?: PoolClient) {}

  get usd(): number | undefined {
    return this.limit;
  }

  /** The most the next call may cost without asking anyone; undefined when the run has no budget. */
  allowance(run: ImplementorRun): number | undefined {
    if (this.pool) return this.granted;
    if (this.limit === undefined) return undefined;
    return Math.max(0, this.limit - (run.usage.costUsd ?? 0));
  }

  /** A call estimated at `usd` does not fit: have it covered (by the pool or a human), or stop (RunStop). */
  async cover(run: ImplementorRun, usd: number): Promise<void> {
    if (this.pool) {
      this.granted = await this.pool.draw({ estimateUsd: usd, spentUsd: run.usage.costUsd ?? 0, scope: run.input.scope });
      return;
    }
    const limit = this.limit as number;
    const spent = run.usage.costUsd ?? 0;
    await this.ask(run, `${formatUsd(spent)} spent of ${formatUsd(limit)}, and the next call may cost up to ${formatUsd(usd)}`, spent + usd);
  }

  /** A call was made: a grant is used up (its true cost is in the run's usage). */
  used(): void {
    this.granted = 0;
  }

  /** Proposers: go on, or ask first when the next proposal may pass the budget; throws RunStop when told to stop. */
  async before(run: ImplementorRun): Promise<void> {
    for (;;) {
      const limit = this.limit;
      if (limit === undefined) return;
      const spent = run.usage.costUsd ?? 0;
      const next = run.maxProposalUsd;
      if (next === 0 || spent + next <= limit) return;
      await this.ask(run, `${formatUsd(spent)} spent of ${formatUsd(limit)}, and one proposal has cost up to ${formatUsd(next)}`, spent + next);
    }
  }

  /** The budget question; returns once a human raised the budget above `needed`. */
  private async ask(run: ImplementorRun, said: string, needed: number): Promise<void> {
    const decision = await run.gate.ask({
      kind: 'budget',
      question: `The next LLM call of "${run.input.scope}" would pass its budget (${said}). Raise the budget, accept the change as it is, or abort?`,
      options: BUDGET_OPTIONS,
    }, {
      asked: () => run.setPhase('awaiting-human', 'waiting for a human: the budget is spent'),
      check: (a) => {
        if (a.action === 'retry' && !(a.budgetUsd !== undefined && a.budgetUsd > needed)) {
          throw new Error(`retry raises the budget: give --budget-usd above ${formatUsd(needed)} (spent so far plus the next call)`);
        }
      },
    });
    if (decision.action === 'retry' && decision.budgetUsd !== undefined) {
      this.limit = decision.budgetUsd;
      run.state.budgetUsd = decision.budgetUsd;
      return;
    }
    throw stopAtBudget(decision.action === 'accept' ? 'accept' : 'abort', decision.timedOut, said);
  }
}
