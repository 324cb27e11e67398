// The scaffold implementer: deterministic, offline, no API key. It mirrors the repository's own
// layout and conventions from a service spec (core/scaffold); it cannot repair a failed validation.
import type { Implementer } from '../core/implementer';
import { planPhase } from '../core/scaffold/plan';

export function createScaffoldImplementer(): Implementer {
  return {
    name: 'scaffold',
    async implementPhase(ctx, phase, repo) {
      return { changeSet: await planPhase(ctx, phase, repo) };
    },
    async fix(_ctx, request) {
      // Deterministic output cannot change on a second try: propose nothing and say why, so the
      // run escalates to a human with the failures instead of looping.
      return {
        changeSet: {
          operations: [],
          assumptions: [{ text: `the scaffold implementer cannot repair validation failures (${request.failures.length} open); a human decides` }],
          dependencies: [],
        },
      };
    },
  };
}
