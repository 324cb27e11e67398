// The budget question's options, and what stopping at a budget means: shared by a run's own budget
// (budget.ts) and a feature's pool (budget-pool.ts).
import { RunStop } from './run-stop';

export const BUDGET_OPTIONS = [
  { action: 'retry' as const, meaning: 'raise the budget and go on: answer retry with --budget-usd N' },
  { action: 'accept' as const, meaning: 'spend nothing more: validate what is written and finish, as accepted' },
  { action: 'abort' as const, meaning: 'undo every file this run wrote' },
];

export function stopAtBudget(action: 'accept' | 'abort', timedOut: boolean, said: string): RunStop {
  const who = timedOut ? 'Nobody answered before the deadline' : 'A human stopped the spending';
  return new RunStop(action, timedOut, `${who} at the budget (${said}): ${action === 'accept' ? 'accepted as it is' : 'aborted, every file this run wrote was restored'}.`);
}
