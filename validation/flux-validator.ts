// `flux`: what kustomize-controller and helm-controller would trip on first. Each Flux
// Kustomization's spec.path exists in the repository and builds (a kustomization root through its
// kustomize result; a plain folder — Flux generates the kustomization — through its YAML), and each
// sourceRef / HelmRelease chart source is defined in the repository; its postBuild substituteFrom
// sources exist (or are optional), and a plain folder's variables have values where substitution is strict.
import {
  helmReleaseSource, isFluxKustomizationObject, isHelmRelease, pathElsewhere, repoPath, sourceOrigin, type FluxModel,
} from '../core/repo-model';
import { posix } from 'node:path';
import { fluxBuild, substitutionDisabled, unsetVars } from '../core/repo-model/flux-build';
import type { EffectiveKustomization } from '../core/repo-model/flux-parents';
import type { ValidationResult } from '../core/schemas';
import { get, str, type ManifestDoc } from '../core/yaml-docs';
import { strictFailure } from './flux-render';
import type { Rendering } from './render';
import type { RepoSnapshot } from './snapshot';

export interface FluxContext {
  snap: RepoSnapshot;
  /** The repository's objects, where substituteFrom sources are looked up. */
  manifests: readonly ManifestDoc[];
  /** Whether kustomize-controller substitutes strictly (its default). */
  strict: boolean;
  /** Each Flux Kustomization as its parent's build hands it over (the parent's patches applied). */
  effective: ReadonlyMap<ManifestDoc, EffectiveKustomization>;
  flux: Pick<FluxModel, 'defined' | 'runtime' | 'otherRepositories'>;
  /** Kustomize results of this run, by root folder. */
  builds: ReadonlyMap<string, Rendering>;
  /** YAML results of this run, by file. */
  yaml: ReadonlyMap<string, ValidationResult>;
  kustomizationDirs: ReadonlySet<string>;
}

const refName = (ref: unknown): string => `${str(get(ref, 'kind')) ?? '?'}/${str(get(ref, 'name')) ?? '?'}`;

function pathProblems(o: Record<string, unknown>, ctx: FluxContext): { problems: string[]; notes: string[] } {
  const problems: string[] = [];
  const notes: string[] = [];
  const elsewhere = pathElsewhere(o, ctx.flux);
  if (elsewhere) {
    notes.push(`${elsewhere}: not checked here`);
    return { problems, notes };
  }
  const raw = str(get(o, 'spec', 'path')) ?? '.';
  const dir = repoPath(raw);
  if (dir === undefined || !ctx.snap.directories.has(dir)) {
    problems.push(`spec.path "${raw}" does not exist in the repository (kustomization path not found)`);
    return { problems, notes };
  }
  if (ctx.kustomizationDirs.has(dir)) {
    const build = ctx.builds.get(dir);
    if (build?.status === 'failed') problems.push(`spec.path "${raw}" does not build: ${build.error.split('\n')[0]}`);
    else if (build?.status === 'ok') notes.push(`${dir} builds`);
    else notes.push(`${dir} exists (not rebuilt in this run)`);
    return { problems, notes };
  }
  const inside = (f: string) => dir === '.' || f.startsWith(`${dir}/`);
  const broken = [...ctx.yaml.values()].filter((r) => r.status === 'fail' && inside(r.target));
  for (const r of broken) problems.push(`spec.path "${raw}" holds invalid YAML: ${r.message}`);
  if (!broken.length) notes.push(`${dir} exists (plain manifests)`);
  problems.push(...plainPostBuild(o, dir, ctx));
  return { problems, notes };
}

/** What kustomize-controller refuses before it applies anything: missing substituteFrom sources, bad names. */
function postBuildProblems(o: Record<string, unknown>, file: string, ctx: FluxContext): string[] {
  return fluxBuild({ object: o, file }, ctx.manifests, { strict: ctx.strict }).problems;
}

/** A plain folder (the controller generates its kustomization): strict substitution over its objects as written. */
function plainPostBuild(o: Record<string, unknown>, dir: string, ctx: FluxContext): string[] {
  const flux = fluxBuild({ object: o, file: dir }, ctx.manifests, { strict: ctx.strict });
  if (!flux.substitute || !flux.strict || flux.problems.length) return [];
  const unset = ctx.manifests.filter((d) => posix.dirname(d.file) === dir && !substitutionDisabled(d.object))
    .flatMap((d) => unsetVars(JSON.stringify(d.object), flux.vars).map((v) => `\${${v}} in ${str(d.object.kind) ?? '?'}/${str(get(d.object, 'metadata', 'name')) ?? '?'}`));
  return unset.length ? [strictFailure(flux, unset)] : [];
}

/** A source defined here passes; one created at run time passes as a stated assumption; else a failure. */
function sourceProblem(ref: unknown, owner: Record<string, unknown>, what: string, ctx: FluxContext, problems: string[], notes: string[]): void {
  const origin = sourceOrigin(ref, owner, ctx.flux);
  if (origin.kind === 'defined') notes.push(`${what} ${refName(ref)} defined`);
  else if (origin.kind === 'runtime') notes.push(`assumed: ${what} ${refName(ref)} is ${origin.why}`);
  else problems.push(`${what} ${refName(ref)} is not defined in the repository`);
}

export function validateFlux(docs: readonly ManifestDoc[], ctx: FluxContext): ValidationResult[] {
  const out: ValidationResult[] = [];
  for (const d of docs) {
    const o = d.object;
    const problems: string[] = [];
    const notes: string[] = [];
    if (isFluxKustomizationObject(o)) {
      const effective = ctx.effective.get(d);
      const applied = effective?.object ?? o;
      if (effective?.problem) problems.push(effective.problem);
      else if (effective?.parent) notes.push(`as its parent ${effective.parent} patches it`);
      sourceProblem(get(applied, 'spec', 'sourceRef'), applied, 'sourceRef', ctx, problems, notes);
      problems.push(...postBuildProblems(applied, d.file, ctx));
      const p = pathProblems(applied, ctx);
      problems.push(...p.problems);
      notes.push(...p.notes);
    } else if (isHelmRelease(o)) {
      sourceProblem(helmReleaseSource(o), o, 'chart source', ctx, problems, notes);
    } else continue;
    const resource = `${str(o.kind)}/${str(get(o, 'metadata', 'name')) ?? '?'}`;
    out.push(problems.length
      ? { validator: 'flux', target: d.file, status: 'fail', file: d.file, line: d.line, message: `${resource}: ${problems.join('; ')}` }
      : { validator: 'flux', target: d.file, status: 'pass', message: `${resource}: ${notes.join('; ') || 'ok'}` });
  }
  return out;
}
