// What the crash and server-restart tests share: the scenarios they run, the wait for a question,
// and the ways two runs of the same scenario are compared.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';
import type { WorkflowHandle } from '@temporalio/client';
import { ImplementorInput, ServiceSpec, type Answer, type ImplementorReport } from '../../core/schemas';
import { statusQuery } from '../../workflows/messages';
import { EXAMPLES } from './repo';

const orders = ServiceSpec.parse(parse(readFileSync(path.join(EXAMPLES, 'orders.spec.yaml'), 'utf8')));

/** The scaffold alone; the `fixable` implementer (worker-main.ts) fails validation once; the same stuck on one attempt, answered by a human. */
export const SCENARIOS = {
  scaffold: { implementer: 'scaffold', options: {} },
  fix: { implementer: 'fixable', options: {} },
  human: { implementer: 'fixable', options: { maxAttempts: 1 }, answer: { action: 'retry', guidance: 'write the config map the scaffold writes' } as Answer },
} as const;
export type Scenario = keyof typeof SCENARIOS;

export const scenarioAnswer = (s: Scenario): Answer | undefined => { const sc = SCENARIOS[s]; return 'answer' in sc ? sc.answer : undefined; };

/** The implementor's input for a scenario on an examples/ copy (`<repo>/infra`). */
export function scenarioInput(s: Scenario, infraRoot: string): ImplementorInput {
  const { implementer, options } = SCENARIOS[s];
  return ImplementorInput.parse({ featureDescription: 'Add orders', scope: 'orders service', infraRoot, spec: orders, implementer, options });
}

export type Implementor = (i: ImplementorInput) => Promise<ImplementorReport>;

export async function waitForQuestion(handle: WorkflowHandle<Implementor>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if ((await handle.query(statusQuery)).pending) return;
    await sleep(100);
  }
  throw new Error('the run never asked a question');
}

/** The report with what differs between any two runs set aside: the workflow id, the repository's path, and when questions were asked and answered. */
export function comparable(report: ImplementorReport, repo: string): unknown {
  const audit = report.audit.map(({ askedAt: _asked, answer, timedOut, ...q }) => ({
    ...q, ...(answer ? { answer: { ...answer, at: '<time>' } } : {}), ...(timedOut ? { timedOut: { ...timedOut, at: '<time>' } } : {}),
  }));
  return JSON.parse(JSON.stringify({ ...report, workflowId: '<id>', audit }).replaceAll(repo, '<repo>'));
}

/** For each file, the successive contents it was given (hashes; `deleted`), repeats of the same content folded. */
export function contents(events: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of events) {
    const [kind, file, hash] = e.split(' ');
    if ((kind !== 'write' && kind !== 'delete') || !file) continue;
    const seq = (out[file] ??= []);
    const value = kind === 'delete' ? 'deleted' : (hash as string);
    if (seq.at(-1) !== value) seq.push(value);
  }
  return out;
}
