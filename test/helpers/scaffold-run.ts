// Runs the scaffold implementer's phases on a folder, in order, writing each phase's change set to
// disk as the workflow's applyChangeSet would: what a scaffold run leaves, without Temporal.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ImplementContext } from '../../core/implementer';
import { PHASES } from '../../core/phases';
import { ImplementorInput, type ChangeSet, type ServiceSpec } from '../../core/schemas';
import { createScaffoldImplementer } from '../../implementers/scaffold';
import { repoReader } from '../../runtime/repo-fs';
import { surveyPatterns } from '../../runtime/patterns';

export function applyOperations(root: string, cs: ChangeSet): string[] {
  const written: string[] = [];
  for (const op of cs.operations) {
    if (op.action !== 'write' || op.content === undefined) continue;
    mkdirSync(path.dirname(path.join(root, op.path)), { recursive: true });
    writeFileSync(path.join(root, op.path), op.content);
    written.push(op.path);
  }
  return written;
}

export async function scaffoldRun(root: string, spec: ServiceSpec): Promise<{ ctx: ImplementContext; written: string[]; changeSets: ChangeSet[] }> {
  const { profile, knowledge } = await surveyPatterns({ infraRoot: root });
  const input = ImplementorInput.parse({ featureDescription: `add ${spec.service}`, scope: spec.service, infraRoot: root, spec });
  const ctx: ImplementContext = { input, profile, scopeFiles: [], knowledge };
  const implementer = createScaffoldImplementer();
  const written = new Set<string>();
  const changeSets: ChangeSet[] = [];
  for (const phase of PHASES) {
    const { changeSet } = await implementer.implementPhase(ctx, phase, repoReader(root));
    changeSets.push(changeSet);
    applyOperations(root, changeSet).forEach((f) => written.add(f));
  }
  return { ctx, written: [...written].sort(), changeSets };
}
