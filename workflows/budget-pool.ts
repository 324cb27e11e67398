// A feature's budget is one pool its scopes draw from. Before each LLM call that its grant does not
// cover, a scope signals its feature with the call's estimate and what it has spent, and waits. The
// feature grants the call when everything spent and granted so far plus it fits the pool; otherwise
// it asks one question for the whole feature: raise the pool, accept what is written, or abort.
// Workflows cannot query each other, so both directions are signals.
import { condition, getExternalWorkflowHandle, setHandler, workflowInfo } from '@temporalio/workflow';
import { formatUsd } from '../core/usage';
import { BUDGET_OPTIONS, stopAtBudget } from './budget-question';
import type { FeatureCore } from './feature-run';
import { budgetDrawSignal, budgetGrantSignal, type BudgetDraw, type BudgetGrant } from './messages';
import { RunStop } from './run-stop';

/** Version marker: a feature's budget is one pool its scopes draw from (before: split evenly among them). */
export const BUDGET_POOL = 'budget-pool';

/** The scope's side: draw from the feature before a call the last grant does not cover. */
export class PoolClient {
  private seq = 0;
  private readonly grants = new Map<number, BudgetGrant>();

  /** Before the first await of the run. */
  register(): void {
    setHandler(budgetGrantSignal, (g) => { this.grants.set(g.seq, g); });
  }

  /** The grant for a call (its estimate), or RunStop as the feature's human decided. */
  async draw(call: Pick<BudgetDraw, 'estimateUsd' | 'spentUsd' | 'scope'>): Promise<number> {
    const parent = workflowInfo().parent;
    if (!parent) throw new Error('a pooled budget needs the feature that holds the pool');
    const seq = ++this.seq;
    const draw: BudgetDraw = { workflowId: workflowInfo().workflowId, seq, ...call };
    await getExternalWorkflowHandle(parent.workflowId, parent.runId).signal(budgetDrawSignal, draw);
    await condition(() => this.grants.has(seq));
    const grant = this.grants.get(seq) as BudgetGrant;
    this.grants.delete(seq);
    if (grant.stop) throw new RunStop(grant.stop.action, grant.stop.timedOut, grant.stop.summary);
    return call.estimateUsd;
  }
}

/** The feature's side: the pool, its draws in order of arrival, and the one question when it is spent. */
export class BudgetPool {
  private readonly draws: BudgetDraw[] = [];
  private readonly spent = new Map<string, number>();
  private readonly granted = new Map<string, number>();
  private stopped: BudgetGrant['stop'];
  private closed = false;

  constructor(private limit: number, private readonly run: FeatureCore) {}

  register(): void {
    setHandler(budgetDrawSignal, (d) => { this.draws.push(d); });
  }

  /** Spent by the scopes (the larger of what they said when drawing and their last progress) plus what is granted. */
  private committed(): number {
    let total = 0;
    for (const r of this.run.records) {
      const id = r.status.workflowId;
      total += Math.max(this.spent.get(id) ?? 0, r.status.usage?.costUsd ?? 0, r.report?.llmUsage.costUsd ?? 0);
      if (!r.status.done) total += this.granted.get(id) ?? 0;
    }
    return total;
  }

  /** Answers draws until closed (the children have all closed). */
  async keep(): Promise<void> {
    for (;;) {
      await condition(() => this.draws.length > 0 || this.closed);
      const d = this.draws.shift();
      if (!d) return;
      this.spent.set(d.workflowId, d.spentUsd);
      this.granted.delete(d.workflowId);
      while (!this.stopped && this.committed() + d.estimateUsd > this.limit) await this.ask(d);
      if (!this.stopped) this.granted.set(d.workflowId, d.estimateUsd);
      await getExternalWorkflowHandle(d.workflowId).signal(budgetGrantSignal, { seq: d.seq, ...(this.stopped ? { stop: this.stopped } : {}) });
    }
  }

  close(): void {
    this.closed = true;
  }

  private async ask(d: BudgetDraw): Promise<void> {
    const committed = this.committed();
    const said = `${formatUsd(committed)} spent or granted of the feature's ${formatUsd(this.limit)}, and the next call of "${d.scope}" may cost up to ${formatUsd(d.estimateUsd)}`;
    const previous = this.run.state.phase;
    const decision = await this.run.gate.ask({ kind: 'budget', scope: d.scope, question: `The feature's LLM budget would be passed (${said}). Raise it, accept what the scopes have written, or abort?`, options: BUDGET_OPTIONS }, {
      asked: (q) => this.run.setPhase('awaiting-human', q.question),
      answered: () => this.run.setPhase(previous, `continuing ${previous}`),
      check: (a) => {
        if (a.action === 'retry' && !(a.budgetUsd !== undefined && a.budgetUsd > committed + d.estimateUsd)) {
          throw new Error(`retry raises the feature's budget: give --budget-usd above ${formatUsd(committed + d.estimateUsd)}`);
        }
      },
    });
    if (decision.action === 'retry' && decision.budgetUsd !== undefined) {
      this.limit = decision.budgetUsd;
      return;
    }
    const stop = stopAtBudget(decision.action === 'accept' ? 'accept' : 'abort', decision.timedOut, said);
    this.stopped = { action: stop.action, timedOut: stop.timedOut, summary: stop.summary };
  }
}
