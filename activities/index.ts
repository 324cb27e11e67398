// The activities of the implementor workflows: thin adapters over runtime/, validation/ and
// implementers/, built by a factory that receives their dependencies (implementers, validation
// engine, state folder, this worker's own queue), so tests pass doubles without module mocking.
import type { Implementer } from '../core/implementer';
import type { Finding, ValidationResult } from '../core/schemas';
import type { AgentModel } from '../implementers/agent/model';
import { createScaffoldImplementer } from '../implementers/scaffold';
import { agentActivities } from './agent';
import { checkActivities } from './checks';
import { featureGitActivities } from './feature-git';
import { forgeActivities } from './forge';
import { implementActivities } from './implement';
import { workspaceActivities } from './workspace';

export type { AppliedEntry } from '../runtime/changes';
export type { FeatureWorkspace, MergeOutcome, ScopeWorktree } from '../runtime/git';
export type { StoredProposal, ContextRef, Drafted, LoadedContext } from './implement';
export type { OpenedWorkspace, WorkspaceSource } from './workspace';
export type { PullRequestRequest, PullRequestResult } from '../runtime/forge';

/** Tools an implementer gets for one call: heartbeats and the activity's cancellation signal. */
export interface ImplementerTools {
  heartbeat: (details?: unknown) => void;
  signal: AbortSignal;
}

export interface ActivityDeps {
  /** Where journals of applied changes, stored contents and worktrees are kept (outside the infra root). */
  stateDir: string;
  /** Implementers by name; each call builds one with the current activity's tools. */
  implementers: Record<string, (tools: ImplementerTools) => Implementer>;
  /** Implementers that work as agents (the workflow drives their conversation), by name, likewise. */
  agents?: Record<string, (tools: ImplementerTools) => AgentModel>;
  /** Validation and compliance of the files a run changed (the whole tree when `changedFiles` is absent). */
  validate?: (req: { infraRoot: string; changedFiles?: string[] }) => Promise<{ validations: ValidationResult[]; findings: Finding[] }>;
  /**
   * This worker's own task queue, polled by its host-specific worker: activities that touch a
   * workspace it holds are sent there (Temporal's file-processing pattern).
   */
  hostTaskQueue?: string;
  /** Where questions are announced (INFRA_IMPLEMENTOR_NOTIFY_URL): a JSON POST, Slack-compatible. */
  notifyUrl?: string;
  /** The Temporal Web UI that pull requests link their run in (INFRA_IMPLEMENTOR_UI_URL). */
  uiUrl?: string;
}

export const defaultImplementers: ActivityDeps['implementers'] = {
  scaffold: () => createScaffoldImplementer(),
};

export const createActivities = (deps: ActivityDeps) => ({
  ...workspaceActivities(deps),
  ...implementActivities(deps),
  ...agentActivities(deps),
  ...checkActivities(deps),
  ...featureGitActivities(deps),
  ...forgeActivities(deps),
});

export type Activities = ReturnType<typeof createActivities>;
