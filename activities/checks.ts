// Validation and compliance: the engine of validation/ (which `check` shares), incremental on the
// files a run changed, in the worker's queue of validations, heartbeating while it runs and waits.
import { Context } from '@temporalio/activity';
import type { Finding, ValidationResult } from '../core/schemas';
import { realRoot } from '../runtime/repo-fs';
import { validateRepository } from '../validation';
import { inValidationQueue } from '../validation/pool';
import { throttledHeartbeat } from './heartbeat';
import type { ActivityDeps } from '.';

type Checked = { validations: ValidationResult[]; findings: Finding[] };

/** The validation engine, heartbeating the current activity (what `Validate` and the run's own validation share). */
export async function engine(req: { infraRoot: string; changedFiles?: string[] }): Promise<Checked> {
  const ctx = Context.current();
  const root = await realRoot(req.infraRoot);
  const beat = throttledHeartbeat(ctx);
  return inValidationQueue(() => validateRepository({
    root,
    ...(req.changedFiles ? { changedFiles: req.changedFiles } : {}),
    signal: ctx.cancellationSignal,
    onProgress: () => beat(),
  }), { signal: ctx.cancellationSignal, onWait: () => beat('waiting for a validation slot') });
}

export const checkActivities = (deps: ActivityDeps) => {
  const validate = deps.validate ?? engine;
  return {
    /** The validators, and the compliance checklist of the same pass (the workflow keeps it when the tree passes). */
    async validateChanges(req: { infraRoot: string; changedFiles: string[] }): Promise<Checked> {
      return validate(req);
    },

    /** The checklist on the rendered overlays the change touches (builds come from the content-hash cache). */
    async checkCompliance(req: { infraRoot: string; changedFiles: string[] }): Promise<{ findings: Finding[] }> {
      return { findings: (await validate(req)).findings };
    },

    /** Whole-repository validation and compliance of the merged tree (infrastructure-validator), once. */
    async validateTree(req: { infraRoot: string }): Promise<Checked> {
      return validate({ infraRoot: req.infraRoot });
    },
  };
};
