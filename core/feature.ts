// The feature: the parent workflow's input, status and report, and the commit message built from the
// children's reports. Pure and sandbox-safe, and free of zod: the feature workflow imports it, and every
// module a workflow imports is loaded again for each workflow run (the spec's schemas are in
// feature-spec.ts).
import type { PullRequestTarget } from './forge';
import type { AnswerInput, AuditEntry } from './questions';
import type {
  Assumption, LlmUsage, Dependency, Finding, ImplementorOptions, ImplementorReport, PullRequestRef, RunStatus, ServiceSpec, ValidationResult,
} from './schemas';

/** A lower-case, dash-separated name for ids, branches and folders, cut at a word boundary when long. */
export function slug(text: string, max = 40): string {
  const full = text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  if (full.length <= max) return full || 'run';
  const boundary = full.slice(0, max + 1).lastIndexOf('-');
  return full.slice(0, boundary > max / 2 ? boundary : max).replace(/-+$/, '') || 'run';
}

/** Input of the parent workflow `featureImplementor`. */
export interface FeatureInput {
  feature: string;
  /** Absolute; a folder of a git repository (possibly its top level)… */
  infraRoot?: string;
  /** …or a Git remote: every scope is a run of its own on any worker, and the branch is pushed. */
  repo?: { url: string; base?: string; subdir: string; push: boolean; keepWorkspace: boolean; pullRequest?: PullRequestTarget };
  reposRoot?: string;
  /** The branch the result is committed on; `infra/<feature-slug>` by default. */
  branch: string;
  scopes: { scope: string; slug: string; files: string[]; spec?: ServiceSpec; implementer: string }[];
  options: ImplementorOptions;
  /** Keep the scope branches (for inspection) instead of deleting them at the end. */
  keepBranches?: boolean;
}

export const defaultBranch = (feature: string) => `infra/${slug(feature)}`;

/** `answer` sent to a feature workflow: the child's answer plus the scope it is for (schema in feature-spec.ts). */
export interface FeatureAnswer extends AnswerInput {
  scope?: string;
}

/** Child workflow ids are derived from the parent id and the scope, so a replay or retry finds the same child. */
export const childWorkflowId = (parentId: string, scopeSlugValue: string) => `${parentId}--${scopeSlugValue}`;

export interface FeatureChild {
  scope: string;
  slug: string;
  workflowId: string;
  /** The scope's own branch, holding what its child wrote. */
  branch: string;
  /** Final status once the child closed (`failed` when it failed or was cancelled). */
  status?: RunStatus;
  summary?: string;
  /** Whether its branch is in the feature branch. */
  merged: boolean;
  filesCreated: string[];
  filesModified: string[];
  filesDeleted: string[];
}

export interface FeatureReport {
  workflowId: string;
  feature: string;
  status: RunStatus;
  /** Where the result was committed; null when nothing was. */
  branch: string | null;
  commit: string | null;
  /** The commit of the user's checkout the work started from. */
  base: string;
  children: FeatureChild[];
  validations: ValidationResult[];
  findings: Finding[];
  assumptions: Assumption[];
  dependencies: Dependency[];
  /** Answers people gave to the feature's own questions (merge conflict, failing merged tree). */
  humanAnswers: FeatureAnswer[];
  /** The feature's own questions and how each ended (the scopes' are in their children's reports). */
  audit: AuditEntry[];
  /** The children's LLM usage summed: tokens, estimated dollars, per model. */
  llmUsage: LlmUsage;
  /** Features from a Git remote: where the branch went, whether it was pushed, how to see it. */
  remote?: string;
  pushed?: boolean;
  compare?: string;
  /** With a pull request asked for: the one opened or updated, or why none could be. */
  pullRequest?: PullRequestRef;
  pullRequestError?: string;
  summary: string;
}

/** The statuses whose changes a feature merges: the scope's change is there, validated or not. */
export const LANDING: readonly string[] = ['succeeded', 'accepted', 'unvalidated'];

/**
 * Overall status: succeeded only when every scope did and landed; partial when some did not;
 * accepted when a human accepted failures; unvalidated when some scope could not be validated.
 */
export function featureStatus(children: FeatureChild[], opts: { committed: boolean; accepted: boolean }): RunStatus {
  const landed = children.filter((c) => c.merged && LANDING.includes(c.status ?? ''));
  if (!opts.committed || !landed.length) return 'failed';
  if (landed.length < children.length) return 'partial';
  if (opts.accepted || landed.some((c) => c.status === 'accepted')) return 'accepted';
  return landed.some((c) => c.status === 'unvalidated') ? 'unvalidated' : 'succeeded';
}

const bullets = (items: string[]) => items.map((i) => `- ${i}`);

/** The commit-manager's message: what each scope added, assumptions to review, dependencies. */
export function featureCommitMessage(args: {
  feature: string;
  workflowId: string;
  children: FeatureChild[];
  reports: ImplementorReport[];
  validations: ValidationResult[];
  findings: Finding[];
}): string {
  const landed = args.children.filter((c) => c.merged);
  const left = args.children.filter((c) => !c.merged);
  const reports = args.reports.filter((r) => landed.some((c) => c.workflowId === r.workflowId));
  const assumptions = [...new Set(reports.flatMap((r) => r.assumptions.map((a) => (a.file ? `${a.file}: ${a.text}` : a.text))))];
  const dependencies = [...new Set(reports.flatMap((r) => r.dependencies.map((d) => `[${d.kind}] ${d.description}`)))];
  const count = (s: ValidationResult['status']) => args.validations.filter((v) => v.status === s).length;
  const errors = args.findings.filter((f) => f.severity === 'error' && !f.suppressed).length;
  const files = (c: FeatureChild) => [
    ...(c.filesCreated.length ? [`adds ${c.filesCreated.join(', ')}`] : []),
    ...(c.filesModified.length ? [`changes ${c.filesModified.join(', ')}`] : []),
    ...(c.filesDeleted.length ? [`removes ${c.filesDeleted.join(', ')}`] : []),
  ].join('; ');
  return [
    args.feature.split('\n')[0]?.slice(0, 72) ?? 'infra-implementor feature',
    '',
    'Scopes:',
    ...bullets(landed.map((c) => `${c.scope} (${c.status}): ${files(c) || 'no file changes'}`)),
    ...(left.length ? ['', 'Not included:', ...bullets(left.map((c) => `${c.scope} (${c.status ?? 'not run'}): ${c.summary ?? ''}`.trim()))] : []),
    ...(assumptions.length ? ['', 'Assumptions to review:', ...bullets(assumptions)] : []),
    ...(dependencies.length ? ['', 'Dependencies:', ...bullets(dependencies)] : []),
    '',
    `Validation of the merged tree: ${count('pass')} passed, ${count('fail')} failed, ${count('skipped')} skipped; ${errors} compliance error(s).`,
    '',
    `Infra-Implementor-Workflow: ${args.workflowId}`,
    '',
  ].join('\n');
}
