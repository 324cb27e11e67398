// Implementer doubles for workflow tests: scripted proposals, and a record of every request.
import type { FixRequest, Implementer } from '../../core/implementer';
import type { ChangeSet, Phase } from '../../core/schemas';

export interface ScriptedImplementer extends Implementer {
  fixRequests: FixRequest[];
  phases: Phase[];
}

const empty: ChangeSet = { operations: [], assumptions: [], dependencies: [] };

/**
 * `phases` gives the change set of each implement phase (default: nothing); `fixes` the successive
 * fix proposals (the last one repeats). `gate` lets a test hold the first phase until it is ready.
 */
export function scriptedImplementer(script: {
  phases?: Partial<Record<Phase, ChangeSet>>;
  fixes?: ChangeSet[];
  gate?: Promise<void>;
}): ScriptedImplementer {
  const fixRequests: FixRequest[] = [];
  const phases: Phase[] = [];
  return {
    name: 'scripted',
    fixRequests,
    phases,
    async implementPhase(_ctx, phase) {
      if (phase === 'base' && script.gate) await script.gate;
      phases.push(phase);
      return { changeSet: script.phases?.[phase] ?? empty };
    },
    async fix(_ctx, request) {
      fixRequests.push(request);
      const fixes = script.fixes ?? [];
      return { changeSet: fixes[Math.min(fixRequests.length - 1, fixes.length - 1)] ?? empty };
    },
  };
}

export const write = (path: string, content: string, phase: Phase = 'config'): ChangeSet => ({
  operations: [{ path, action: 'write', content, phase }],
  assumptions: [],
  dependencies: [],
});
