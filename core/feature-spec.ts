// The `feature --spec FILE` document as people write it, and the `answer` a feature takes: zod
// schemas for the client's edges. The workflow side (core/feature.ts) stays free of zod.
import { z } from 'zod';
import { slug, type FeatureAnswer as FeatureAnswerShape } from './feature';
import { Answer, ImplementorOptions, RelativePath, ServiceSpec } from './schemas';

export const FeatureScope = z
  .object({
    scope: z.string().trim().min(1, 'must not be empty'),
    files: z.array(RelativePath).default([]),
    spec: ServiceSpec.optional(),
    /** Overrides the feature's implementer for this scope. */
    implementer: z.string().min(1).optional(),
    /** The scope's spec may name environments with no overlay yet: they are created (and reported). */
    allowNewEnvironment: z.boolean().optional(),
  })
  .strict();
export type FeatureScope = z.infer<typeof FeatureScope>;

/** The `feature --spec FILE` document, as written by people. */
export const FeatureSpec = z
  .object({
    feature: z.string().trim().min(1, 'must not be empty'),
    /** Relative to the spec file's folder; inside a git repository… */
    infraRoot: z.string().min(1).optional(),
    /** …or a Git remote (the result is pushed on the feature's branch). */
    repo: z.object({ url: z.string().min(1), base: z.string().min(1).optional(), subdir: z.string().optional() }).strict().optional(),
    reposRoot: z.string().min(1).optional(),
    branch: z.string().min(1).optional(),
    /** With repo: open a pull request after the push (`true`), on a named forge and API when the host does not say. */
    pullRequest: z.union([z.boolean(), z.object({ forge: z.string().min(1).optional(), apiUrl: z.string().min(1).optional() }).strict()]).optional(),
    implementer: z.string().min(1).default('scaffold'),
    options: ImplementorOptions.partial().optional(),
    scopes: z.array(FeatureScope).min(1, 'a feature needs at least one scope'),
  })
  .strict();
export type FeatureSpec = z.infer<typeof FeatureSpec>;

/** The name a scope goes by in ids, branches and folders: its service, else its words. */
export const scopeSlug = (s: { scope: string; spec?: ServiceSpec }) => slug(s.spec?.service ?? s.scope, 30);

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
  .object({ ...Answer.shape, scope: z.string().min(1).optional() })
  .strict() satisfies z.ZodType<FeatureAnswerShape>;
export type FeatureAnswer = FeatureAnswerShape;
