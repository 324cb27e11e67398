// Which environments a service spec names that the repository has no overlay for. A new environment
// is a decision people take on purpose (something must sync it), so it is refused at the CLI edge
// unless `--allow-new-environment` (or `allowNewEnvironment: true` on a feature scope) says so.
import { chooseExemplar } from '../repo-model';
import type { PatternProfile } from '../patterns';
import type { ServiceSpec } from '../schemas';

/** The environments services of this repository are deployed to (the exemplar's, else every overlay's). */
export function knownEnvironments(profile: Pick<PatternProfile, 'services' | 'environments'>): string[] {
  const ex = chooseExemplar(profile.services);
  return ex && ex.overlays.length ? [...new Set(ex.overlays.flatMap((o) => [o.env, o.name]))] : Object.keys(profile.environments);
}

/** Environments of the spec with no overlay here; empty when the spec names none or the repository has none at all. */
export function newEnvironments(spec: Pick<ServiceSpec, 'environments'>, profile: Pick<PatternProfile, 'services' | 'environments'>): string[] {
  const known = knownEnvironments(profile);
  if (!spec.environments || known.length === 0) return [];
  return spec.environments.filter((e) => !known.includes(e));
}

export const newEnvironmentMessage = (missing: readonly string[], known: readonly string[]): string =>
  `environment ${missing.join(', ')} has no overlay for services in this repository (found: ${known.join(', ') || 'none'}); ` +
  'pass --allow-new-environment (feature scopes: allowNewEnvironment: true) to create it';

/** The spec's replica count in an environment (tried by each of its names), if it sets one. */
export function replicasIn(spec: Pick<ServiceSpec, 'replicas'>, ...names: string[]): number | undefined {
  const r = spec.replicas;
  if (typeof r === 'number') return r;
  for (const n of names) if (r?.[n] !== undefined) return r[n];
  return undefined;
}

/** Every distinct replica count the spec sets. */
export function replicaCounts(spec: Pick<ServiceSpec, 'replicas'>): number[] {
  const r = spec.replicas;
  return r === undefined ? [] : typeof r === 'number' ? [r] : [...new Set(Object.values(r))];
}
