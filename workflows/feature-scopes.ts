// The scopes of a feature run, one record each (what its status shows, what its report says, its
// worktree and commit), and how an answer sent to the feature finds the question it is for.
import type { ImplementorReport } from '../core/schemas';
import { childWorkflowId, slug, type FeatureAnswer, type FeatureChild, type FeatureInput } from '../core/feature';
import type { Question } from '../core/questions';
import { staleAnswerProblem } from '../core/questions';
import type { ScopeWorktree } from '../activities';
import { checkAction } from './helpers';
import { checkOption } from './human-gate';
import type { FeatureChildStatus, RunProgress } from './messages';

export interface ScopeRecord {
  readonly spec: FeatureInput['scopes'][number];
  /** What the feature's status shows: the child's progress as it last sent it. */
  readonly status: FeatureChildStatus;
  /** What the feature's report says of the scope. */
  readonly outcome: FeatureChild;
  worktree?: ScopeWorktree;
  report?: ImplementorReport;
  /** Whether its commit changed anything (set as the child closes, on the new path). */
  commit?: { changed: boolean };
}

export function scopeRecords(input: FeatureInput, parentId: string): ScopeRecord[] {
  return input.scopes.map((s) => {
    const workflowId = childWorkflowId(parentId, s.slug);
    return {
      spec: s,
      status: { scope: s.scope, slug: s.slug, workflowId, phase: 'queued', attempt: 0, maxAttempts: input.options.maxAttempts, done: false, seq: 0 },
      outcome: { scope: s.scope, workflowId, slug: s.slug, branch: '', merged: false, filesCreated: [], filesModified: [], filesDeleted: [] },
    };
  });
}

/** A child's progress report, unless a newer one arrived first or the child has closed. */
export function takeProgress(records: ScopeRecord[], p: RunProgress): boolean {
  const r = records.find((x) => x.status.workflowId === p.workflowId);
  if (!r || r.status.seq >= p.seq || r.status.status) return false;
  Object.assign(r.status, { phase: p.phase, attempt: p.attempt, maxAttempts: p.maxAttempts, pending: p.pending, seq: p.seq, ...(p.usage ? { usage: p.usage } : {}) });
  return true;
}

/** The children's open questions, as the feature shows them: with their scope and their run. */
export const childQuestions = (records: ScopeRecord[]): Question[] =>
  records.filter((r) => r.status.pending && !r.status.done).map((r) => ({ ...(r.status.pending as Question), scope: r.status.scope, workflowId: r.status.workflowId }));

export type Route = { own: true } | { own: false; record: ScopeRecord };

/**
 * Where an answer goes: the scope names a child (scope text, slug or workflow id) or the feature's
 * own question (`merge`, or the scope of a merge conflict); without a scope, the only open question,
 * or the one whose id the answer names. Throws the reason when it has nowhere to go.
 */
export function routeAnswer(a: FeatureAnswer, records: ScopeRecord[], own: Question | undefined): Route {
  checkAction(a);
  const open = [...childQuestions(records), ...(own ? [own] : [])];
  if (!open.length) throw new Error('nothing is pending: this run is not waiting for an answer');
  const route = a.scope === undefined ? routeWithoutScope(a, records, own, open) : routeToScope(a.scope, records, own, open);
  const target = route.own ? own : route.record.status.pending;
  if (target) checkOption(a, target);
  const stale = staleAnswerProblem(a, target ? [{ id: target.id, ...(route.own ? {} : { scope: route.record.status.scope }) }] : []);
  if (stale) throw new Error(stale);
  return route;
}

function routeWithoutScope(a: FeatureAnswer, records: ScopeRecord[], own: Question | undefined, open: Question[]): Route {
  const named = a.question !== undefined ? open.filter((q) => q.id === a.question) : [];
  if (named.length === 1) return named[0] === own ? { own: true } : { own: false, record: records.find((r) => r.status.workflowId === named[0]?.workflowId) as ScopeRecord };
  if (open.length > 1) throw new Error(`${open.length} questions are pending: name one with --scope (${open.map((q) => q.scope).join(', ')})`);
  if (own) return { own: true };
  return { own: false, record: records.find((r) => r.status.pending && !r.status.done) as ScopeRecord };
}

function routeToScope(scope: string, records: ScopeRecord[], own: Question | undefined, open: Question[]): Route {
  const matches = (r: ScopeRecord) => r.status.scope === scope || r.status.slug === slug(scope) || r.status.workflowId === scope;
  // The feature's own question about a scope (a merge conflict) answers to that scope's names too.
  const ownScope = own?.scope;
  if (own && (scope === 'merge' || (ownScope !== undefined && (ownScope === scope || slug(ownScope) === slug(scope) || records.some((r) => r.status.scope === ownScope && matches(r)))))) return { own: true };
  const record = records.find((r) => r.status.pending && !r.status.done && matches(r));
  if (!record) throw new Error(`no question pending for scope "${scope}" (open: ${open.map((q) => q.scope ?? 'merge').join(', ')})`);
  return { own: false, record };
}
