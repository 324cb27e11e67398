// Telling people that a run waits for them: a JSON POST to INFRA_IMPLEMENTOR_NOTIFY_URL with a body
// Slack's incoming webhooks (and most chat webhooks) take as is — `text` for people, plus the event
// as structured data for machines. The URL is the worker's secret: it never enters a run's history.
import type { AnswerAction } from '../core/phases';
import { answerCommand, type Question } from '../core/questions';

export type NotifyKind = 'asked' | 'reminder' | 'answered' | 'timed-out';

export interface NotifyEvent {
  kind: NotifyKind;
  workflowId: string;
  scope: string;
  question: Question;
  /** For `answered`: what was answered, by whom; for `timed-out`: the action the deadline applied. */
  action?: AnswerAction;
  by?: string;
}

export function notificationBody(e: NotifyEvent): { text: string; infraImplementor: NotifyEvent } {
  const q = e.question;
  const head = {
    asked: `:raising_hand: *${e.scope}* needs a human: ${q.question}`,
    reminder: `:alarm_clock: Still waiting (deadline ${q.deadline}, then ${q.atDeadline}): *${e.scope}* — ${q.question}`,
    answered: `:white_check_mark: *${e.scope}*: ${q.id} answered ${e.action ?? ''}${e.by ? ` by ${e.by}` : ''}.`,
    'timed-out': `:hourglass: *${e.scope}*: nobody answered ${q.id} before ${q.deadline}; the run will ${e.action ?? q.atDeadline}.`,
  }[e.kind];
  const failed = q.failures.slice(0, 5).map((f) => `• ${f.validator} ${f.target}: ${f.message.split('\n')[0]}`);
  const open = e.kind === 'asked' || e.kind === 'reminder';
  const text = [head, ...(open ? failed : []), ...(open ? ['', '```', answerCommand(e.workflowId, q), '```'] : [])].join('\n');
  return { text, infraImplementor: e };
}

/** POST the event; a failed delivery throws, so that the activity retries it. */
export async function postNotification(url: string, e: NotifyEvent, signal?: AbortSignal): Promise<number> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(notificationBody(e)),
    signal: signal ?? AbortSignal.timeout(15_000),
  });
  if (!res.ok) throw new Error(`${new URL(url).host} answered ${res.status} ${res.statusText}`);
  return res.status;
}
