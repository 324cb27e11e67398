// The scaffold implementer: deterministic, offline, no API key. It mirrors the repository's own
// layout and conventions from a service spec (core/scaffold); its fix repairs the error findings of
// the run's own files it knows how to (core/scaffold/fix.ts), never a tool failure.
import type { Implementer } from '../core/implementer';
import { planFix } from '../core/scaffold/fix';
import { planPhase } from '../core/scaffold/plan';

export function createScaffoldImplementer(): Implementer {
  return {
    name: 'scaffold',
    async implementPhase(ctx, phase, repo) {
      return { changeSet: await planPhase(ctx, phase, repo) };
    },
    async fix(ctx, request, repo) {
      // Error findings on the run's own files are repaired deterministically; anything else is
      // said, so the run escalates to a human with the failures instead of looping.
      return { changeSet: await planFix(ctx, request, repo) };
    },
  };
}
