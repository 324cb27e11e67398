// The feature: a spec file split into scopes (DESIGN.md `feature --spec FILE`), the parent
// workflow's input, status and report, and the commit message built from the children's reports.
// Pure and sandbox-safe: the feature workflow imports it.
import { z } from 'zod';
import {
  Answer, AnswerAction, ImplementorOptions, RelativePath, ServiceSpec, type Assumption, type Dependency, type Finding,
  type ImplementorReport, type RunStatus, type ValidationResult,
} from './schemas';

/** A lower-case, dash-separated name for ids, branches and folders, cut at a word boundary when long. */
export function slug(text: string, max = 40): string {
  const full = text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  if (full.length <= max) return full || 'run';
  const boundary = full.slice(0, max + 1).lastIndexOf('-');
  return full.slice(0, boundary > max / 2 ? boundary : max).replace(/-+$/, '') || 'run';
}

export const FeatureScope = z
  .object({
    scope: z.string().trim().min(1, 'must not be empty'),
    files: z.array(RelativePath).default([]),
    spec: ServiceSpec.optional(),
    /** Overrides the feature's implementer for this scope. */
    implementer: z.string().min(1).optional(),
  })
  .strict();
export type FeatureScope = z.infer<typeof FeatureScope>;

/** The `feature --spec FILE` document, as written by people. */
export const FeatureSpec = z
  .object({
    feature: z.string().trim().min(1, 'must not be empty'),
    /** Relative to the spec file's folder; inside a git repository. */
    infraRoot: z.string().min(1),
    reposRoot: z.string().min(1).optional(),
    branch: z.string().min(1).optional(),
    implementer: z.string().min(1).default('scaffold'),
    options: ImplementorOptions.partial().optional(),
    scopes: z.array(FeatureScope).min(1, 'a feature needs at least one scope'),
  })
  .strict();
export type FeatureSpec = z.infer<typeof FeatureSpec>;

/** Input of the parent workflow `featureImplementor`. */
export interface FeatureInput {
  feature: string;
  /** Absolute; a folder of a git repository (possibly its top level). */
  infraRoot: string;
  reposRoot?: string;
  /** The branch the result is committed on; `infra/<feature-slug>` by default. */
  branch: string;
  scopes: { scope: string; slug: string; files: string[]; spec?: ServiceSpec; implementer: string }[];
  options: ImplementorOptions;
  /** Keep the scope branches (for inspection) instead of deleting them at the end. */
  keepBranches?: boolean;
}

/** The name a scope goes by in ids, branches and folders: its service, else its words. */
export const scopeSlug = (s: { scope: string; spec?: ServiceSpec }) => slug(s.spec?.service ?? s.scope, 30);

export const defaultBranch = (feature: string) => `infra/${slug(feature)}`;

/** Child workflow ids are derived from the parent id and the scope, so a replay or retry finds the same child. */
export const childWorkflowId = (parentId: string, scopeSlugValue: string) => `${parentId}--${scopeSlugValue}`;

/**
 * Every problem of a spec's scopes, in order: a repeated service or scope name, two scopes claiming
 * the same new file (`exists` says whether a file is already in the repository).
 */
export function scopeProblems(scopes: FeatureScope[], exists: (file: string) => boolean): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  scopes.forEach((s, i) => {
    const key = scopeSlug(s);
    const first = seen.get(key);
    if (first !== undefined) {
      const what = s.spec?.service ? `service "${s.spec.service}"` : `scope "${s.scope}"`;
      problems.push(`scopes[${i}] repeats ${what} of scopes[${first}]: one scope per service`);
    } else {
      seen.set(key, i);
    }
  });
  const claims = new Map<string, number>();
  scopes.forEach((s, i) => {
    for (const f of new Set(s.files)) {
      const first = claims.get(f);
      if (first !== undefined && !exists(f)) problems.push(`scopes[${i}] and scopes[${first}] both claim the new file ${f}: give it to one scope`);
      else if (first === undefined) claims.set(f, i);
    }
  });
  return problems;
}

/** `answer` sent to a feature workflow: the child's answer plus the scope it is for. */
export const FeatureAnswer = z
  .object({ action: AnswerAction, guidance: Answer.shape.guidance, scope: z.string().min(1).optional() })
  .strict();
export type FeatureAnswer = z.infer<typeof FeatureAnswer>;

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
  summary: string;
}

/** Overall status: succeeded only when every scope did and landed; partial when some did not. */
export function featureStatus(children: FeatureChild[], opts: { committed: boolean; accepted: boolean }): RunStatus {
  const landed = children.filter((c) => c.merged && (c.status === 'succeeded' || c.status === 'accepted'));
  if (!opts.committed || !landed.length) return 'failed';
  if (landed.length < children.length) return 'partial';
  return opts.accepted || landed.some((c) => c.status === 'accepted') ? 'accepted' : 'succeeded';
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
