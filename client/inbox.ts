// `infra-implementor inbox`: every open question across all runs of the task queue, oldest first.
// Visibility finds the runs that await a human (AwaitingHuman = true); each run's `status` says what
// it asks. A child's question is listed once, as its feature shows it (the feature answers for it);
// children and their feature both carry AwaitingHuman.
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import PQueue from 'p-queue';
import { answerCommand, type Question } from '../core/questions';
import { AwaitingHumanKey, type FeatureStatus, type ImplementorStatus } from '../workflows/messages';
import { deadlineLine, duration, failureLines } from './question-view';
import { FEATURE_ROW } from './run-tracker';
import { readStatus } from './status-read';

export interface InboxEntry extends Omit<Question, 'workflowId' | 'scope'> {
  /** The run the answer goes to (a feature for its children's questions). */
  run: string;
  /** The run that asks (the child for a scope of a feature). */
  askingRun: string;
  scope: string;
  /** The exact command that answers it. */
  answer: string;
}

export interface Inbox {
  questions: InboxEntry[];
  /** Runs that await a human but whose status could not be read. */
  problems: string[];
}

/** Status queries at once: each needs a worker to answer it. */
const CONCURRENT_QUERIES = 8;

export function inboxQuery(taskQueue: string): string {
  return `${AwaitingHumanKey.name} = true AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export async function readInbox(client: Client, taskQueue: string): Promise<Inbox> {
  const listed: WorkflowExecutionInfo[] = [];
  for await (const w of client.workflow.list({ query: inboxQuery(taskQueue) })) listed.push(w);
  const problems: string[] = [];
  const queue = new PQueue({ concurrency: CONCURRENT_QUERIES });
  const read = (id: string) => queue.add(async () => {
    try {
      return entriesOf(await readStatus(client, id));
    } catch (e) {
      problems.push(`${id}: its status could not be read: ${(e as Error).message.split('\n')[0]}`);
      return [];
    }
  });
  // A child is read through its feature, once per feature, whichever of them visibility shows first.
  const runs = [...new Set(listed.map((w) => w.parentExecution?.workflowId ?? w.workflowId))];
  const entries = (await Promise.all(runs.map(read))).flat();
  // A child whose feature does not show its question yet (its report is on the way): read it directly.
  const unseen = listed.filter((w) => w.parentExecution && !entries.some((e) => e.askingRun === w.workflowId));
  entries.push(...(await Promise.all(unseen.map((w) => read(w.workflowId)))).flat());
  const seen = new Set<string>();
  const questions = entries
    .filter((e) => (seen.has(`${e.askingRun}/${e.id}`) ? false : (seen.add(`${e.askingRun}/${e.id}`), true)))
    .sort((a, b) => a.askedAt.localeCompare(b.askedAt) || a.run.localeCompare(b.run) || a.scope.localeCompare(b.scope));
  return { questions, problems };
}

function entriesOf(s: ImplementorStatus | FeatureStatus): InboxEntry[] {
  if ('children' in s) return s.questions.map((q) => entry(q, s.workflowId, q.workflowId ?? s.workflowId, q.scope ?? FEATURE_ROW));
  return s.pending ? [entry(s.pending, s.workflowId, s.workflowId, s.scope)] : [];
}

function entry(q: Question, run: string, askingRun: string, scope: string): InboxEntry {
  const { workflowId: _w, scope: _s, ...rest } = q;
  return { ...rest, run, askingRun, scope, answer: answerCommand(run, q) };
}

export function formatInbox(inbox: Inbox, now: Date): string {
  if (!inbox.questions.length) return 'No open questions.';
  const n = inbox.questions.length;
  const blocks = inbox.questions.map((q, i) => [
    `${i + 1}. ${q.run}  [${q.scope}]  ${q.id}, asked ${duration(now.getTime() - new Date(q.askedAt).getTime())} ago`,
    `   ${q.question}`,
    ...failureLines(q).map((l) => `   failed: ${l}`),
    ...(q.conflicts?.length ? [`   conflicts: ${q.conflicts.join(', ')}`] : []),
    `   deadline: ${deadlineLine(q, now)}`,
    `   answer: ${q.answer}`,
  ].join('\n'));
  return [`${n} open question${n === 1 ? '' : 's'}, oldest first:`, '', blocks.join('\n\n')].join('\n');
}
