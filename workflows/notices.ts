// Announcing questions to people (INFRA_IMPLEMENTOR_NOTIFY_URL on the workers): when asked, at the
// reminder times before the deadline, and when answered or timed out. Each notice is an activity
// with retries that the run never waits for; before the run closes it gives the last ones a little
// time to leave. Runs started before notices existed replay without them (patch marker).
import { condition, log, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { AnswerAction } from '../core/phases';
import type { Question } from '../core/questions';
import type { NotifyKind } from '../runtime/notify';
import { deadlineFrom, failureMessage } from './helpers';
import { LIVENESS_TIMEOUT } from './liveness';

export const NOTIFY_HUMANS = 'notify-humans';

const { notifyHumans } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  heartbeatTimeout: LIVENESS_TIMEOUT,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 6 },
});

export class Notices {
  private pending = 0;
  private on: boolean | undefined;

  constructor(private readonly scope: string, private readonly reminders: readonly string[]) {}

  /** Whether this run announces questions (decided once, at its first question). */
  enabled(): boolean {
    this.on ??= patched(NOTIFY_HUMANS);
    return this.on;
  }

  send(kind: NotifyKind, question: Question, extra: { action?: AnswerAction; by?: string } = {}): void {
    if (!this.enabled()) return;
    this.pending++;
    void notifyHumans({ kind, workflowId: workflowInfo().workflowId, scope: question.scope ?? this.scope, question, ...extra })
      .catch((e) => log.warn('a notice could not be delivered', { kind, error: failureMessage(e) }))
      .finally(() => { this.pending--; });
  }

  /** Wait for an answer until the deadline, with a reminder at each reminder time before it. */
  async wait(answered: () => boolean, q: Question, deadline: string): Promise<boolean> {
    const deadlineAt = Date.parse(q.deadline);
    const remindAt = this.enabled()
      ? this.reminders.map((r) => deadlineAt - deadlineFrom(r)).filter((t) => t > Date.now()).sort((a, b) => a - b)
      : [];
    if (!remindAt.length) return condition(answered, deadline);
    for (const t of remindAt) {
      if (await condition(answered, Math.max(1, t - Date.now()))) return true;
      this.send('reminder', q);
    }
    return condition(answered, Math.max(1, deadlineAt - Date.now()));
  }

  /** Before the run closes: the notices still on their way get up to 30 s. */
  async settle(): Promise<void> {
    if (this.pending > 0) await condition(() => this.pending === 0, '30s');
  }
}
