// The run's budget for LLM calls (`--budget-usd`): before each proposal, if the next call would pass
// the budget (what was spent plus the most one proposal has cost so far), the run asks a human
// instead of spending: raise the budget (retry with a new amount), accept the change as it is, or
// abort. A proposal that costs nothing (the scaffold) never asks.
import { formatUsd } from '../core/usage';
import type { ImplementorRun } from './implementor-run';

/** Thrown out of the implementation when a human stops the spending: the driver finishes the run. */
export class BudgetStop {
  constructor(readonly action: 'accept' | 'abort', readonly timedOut: boolean, readonly summary: string) {}
}

export class Budget {
  constructor(private limit: number | undefined) {}

  get usd(): number | undefined {
    return this.limit;
  }

  /** Go on, or ask first; throws BudgetStop when the answer is to stop. */
  async before(run: ImplementorRun): Promise<void> {
    for (;;) {
      const limit = this.limit;
      if (limit === undefined) return;
      const spent = run.usage.costUsd ?? 0;
      const next = run.maxProposalUsd;
      if (next === 0 || spent + next <= limit) return;
      const said = `${formatUsd(spent)} spent of ${formatUsd(limit)}, and one proposal has cost up to ${formatUsd(next)}`;
      const decision = await run.gate.ask({
        kind: 'budget',
        question: `The next LLM call of "${run.input.scope}" would pass its budget (${said}). Raise the budget, accept the change as it is, or abort?`,
        options: [
          { action: 'retry', meaning: 'raise the budget and go on: answer retry with --budget-usd N' },
          { action: 'accept', meaning: 'spend nothing more: validate what is written and finish, as accepted' },
          { action: 'abort', meaning: 'undo every file this run wrote' },
        ],
      }, {
        asked: () => run.setPhase('awaiting-human', 'waiting for a human: the budget is spent'),
        check: (a) => {
          if (a.action === 'retry' && !(a.budgetUsd !== undefined && a.budgetUsd > spent + next)) {
            throw new Error(`retry raises the budget: give --budget-usd above ${formatUsd(spent + next)} (spent so far plus the next call)`);
          }
        },
      });
      if (decision.action === 'retry' && decision.budgetUsd !== undefined) {
        this.limit = decision.budgetUsd;
        run.state.budgetUsd = decision.budgetUsd;
        continue;
      }
      const action = decision.action === 'accept' ? 'accept' : 'abort';
      const who = decision.timedOut ? 'Nobody answered before the deadline' : 'A human stopped the spending';
      throw new BudgetStop(action, decision.timedOut, `${who} at the budget (${said}): ${action === 'accept' ? 'accepted as it is' : 'aborted, every file this run wrote was restored'}.`);
    }
  }
}
