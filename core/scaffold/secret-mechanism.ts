// How the repository's services get their Secrets, learnt from what is there: ExternalSecrets,
// SealedSecrets, SOPS-encrypted Secrets (where `.sops.yaml` rules cover the path), or Secrets the
// workloads reference and Git does not hold. The exemplar's own files speak first, then its siblings
// (the services in the same folder), then the whole repository.
import { posix } from 'node:path';
import { parse } from 'yaml';
import type { PatternProfile, ServiceLayout } from '../patterns';
import { tokenRegExp } from '../repo-model';
import { arr, get, kindOf, nameOf, parseManifests, rec, str } from '../yaml-docs';
import type { Obj, PlanBuilder } from './builder';

export type Mechanism =
  /** `object` is the sibling's ExternalSecret (or SealedSecret) to mirror, `owner` the service it belongs to. */
  | { kind: 'external-secret' | 'sealed-secret'; file: string; object: Obj; owner?: ServiceLayout; why: string }
  /** `file` is a sibling's encrypted Secret, to name the new one alike; `rule` the creation rule covering `target`. */
  | { kind: 'sops'; file: string; object: Obj; owner?: ServiceLayout; config: string; rule: string; why: string }
  /** Siblings name Secrets that nothing in Git defines: they are made outside it. `example` is one such name. */
  | { kind: 'existing'; example: string; owner?: ServiceLayout; why: string }
  | { kind: 'none'; why: string };

interface Evidence {
  kind: 'external-secret' | 'sealed-secret' | 'sops';
  file: string;
  object: Obj;
  owner?: ServiceLayout;
  distance: number;
}

const KIND_OF: Record<string, Evidence['kind']> = { ExternalSecret: 'external-secret', SealedSecret: 'sealed-secret' };
const PREFERENCE: Evidence['kind'][] = ['external-secret', 'sealed-secret', 'sops'];
const isSopsSecret = (o: Obj) => kindOf(o) === 'Secret' && (o.sops !== undefined || /ENC\[/.test(JSON.stringify(o)));

/** The folder holding a service's folder (`kubernetes/apps/default` for `…/default/atuin/app`), where its siblings live. */
export function siblingsDir(s: ServiceLayout): string {
  const parts = s.baseDir.split('/');
  const at = parts.findIndex((p) => tokenRegExp(s.name, '').test(p));
  return at >= 0 ? parts.slice(0, at).join('/') : posix.dirname(s.baseDir);
}

/** `file` is under `dir` ('' and '.' hold everything). */
export const inFolder = (dir: string | undefined, file: string): boolean => dir !== undefined && (dir === '' || dir === '.' || file.startsWith(`${dir}/`));

/** The service a file belongs to: the one whose name its path carries. */
export const ownerOf = (file: string, services: readonly ServiceLayout[]) =>
  services.find((s) => s.ownFiles.includes(file)) ?? services.find((s) => tokenRegExp(s.name, '').test(file));

/** Every Secret, ExternalSecret and SealedSecret document of the repository, read once. */
async function secretDocs(b: PlanBuilder, profile: PatternProfile): Promise<{ kind: string; file: string; object: Obj }[]> {
  const out: { kind: string; file: string; object: Obj }[] = [];
  for (const kind of ['ExternalSecret', 'SealedSecret', 'Secret']) {
    for (const file of profile.kinds[kind] ?? []) {
      for (const d of parseManifests(file, (await b.read(file)) ?? '').docs) if (kindOf(d.object) === kind) out.push({ kind, file, object: d.object });
    }
  }
  return out;
}

function evidence(docs: readonly { kind: string; file: string; object: Obj }[], profile: PatternProfile, ex: ServiceLayout | undefined): Evidence[] {
  const near = ex ? siblingsDir(ex) : undefined;
  return docs.flatMap(({ kind, file, object }) => {
    const k = KIND_OF[kind] ?? (isSopsSecret(object) ? 'sops' : undefined);
    if (!k) return [];
    const owner = ownerOf(file, profile.services);
    const distance = ex && ex.ownFiles.includes(file) ? 0 : inFolder(near, file) ? 1 : 2;
    return [{ kind: k, file, object, ...(owner ? { owner } : {}), distance }];
  });
}

/**
 * How well a sibling's Secret shows the service's own Secret: one of a service (its names follow the
 * service), named after it (`atuin`, `atuin-secret`) rather than after a part (`plex-claim`).
 */
function typical(e: Evidence): number {
  if (!e.owner) return 0;
  const names = [nameOf(e.object), str(get(e.object, 'spec', 'target', 'name')), str(get(e.object, 'spec', 'template', 'metadata', 'name'))].filter(Boolean);
  const n = e.owner.name;
  return 1 + Number(names.some((x) => x === n || x === `${n}-secret` || x === `${n}-secrets`));
}

/** The nearest `.sops.yaml` above `file` inside the infra root, and the first creation rule covering `file`. */
export async function sopsRuleFor(b: PlanBuilder, file: string): Promise<{ config: string; rule: string } | undefined> {
  for (let dir = posix.dirname(file); ; dir = posix.dirname(dir)) {
    const config = posix.join(dir === '.' ? '' : dir, '.sops.yaml');
    const text = await b.read(config);
    if (text !== undefined) {
      let rules: unknown[] = [];
      try { rules = arr(get(parse(text), 'creation_rules')); } catch { return undefined; }
      const rel = dir === '.' ? file : posix.relative(dir, file);
      for (const r of rules) {
        const re = str(get(r, 'path_regex'));
        try {
          if (re === undefined || new RegExp(re).test(rel)) return { config, rule: re ?? '(a rule for every path)' };
        } catch { /* a Go-only regular expression: not ours to judge */ }
      }
      return undefined;
    }
    if (dir === '.' || dir === '') return undefined;
  }
}

/** Secret names the workloads of services near the exemplar reference, that nothing in Git defines. */
async function undefinedReferences(
  b: PlanBuilder, profile: PatternProfile, ex: ServiceLayout, docs: readonly { object: Obj }[],
): Promise<{ name: string; owner: ServiceLayout }[]> {
  const defined = new Set(docs.map(({ object: o }) => str(get(o, 'spec', 'target', 'name')) ?? str(get(o, 'spec', 'template', 'metadata', 'name')) ?? nameOf(o)));
  const near = siblingsDir(ex);
  const out: { name: string; owner: ServiceLayout }[] = [];
  for (const s of profile.services.filter((x) => x === ex || inFolder(near, x.baseDir))) {
    const refs = new Set<string>();
    const walk = (v: unknown): void => {
      const r = rec(v);
      if (Array.isArray(v)) v.forEach(walk);
      if (!r) return;
      // The environment's Secrets only: a mounted one is a certificate or a file, not what a new service's keys become.
      for (const k of ['secretKeyRef', 'secretRef']) { const n = str(get(r, k, 'name')); if (n) refs.add(n); }
      Object.values(r).forEach(walk);
    };
    for (const d of parseManifests(s.deploymentFile, (await b.read(s.deploymentFile)) ?? '').docs) walk(d.object);
    for (const name of refs) if (!defined.has(name) && !/[{}$]/.test(name)) out.push({ name, owner: s });
  }
  return out;
}

/** The mechanism a new service's Secret should use, and why; `place` says where the new service's copy of a sibling's file goes. */
export async function secretMechanism(
  b: PlanBuilder, profile: PatternProfile, ex: ServiceLayout | undefined, place: (file: string, owner: ServiceLayout | undefined) => string,
): Promise<Mechanism> {
  const docs = await secretDocs(b, profile);
  const found = evidence(docs, profile, ex);
  for (const distance of [0, 1, 2]) {
    const here = found.filter((e) => e.distance === distance);
    if (!here.length) continue;
    const count = (k: Evidence['kind']) => here.filter((e) => e.kind === k).length;
    const kind = [...PREFERENCE].sort((a, c) => count(c) - count(a))[0] as Evidence['kind'];
    // The one to mirror: the most typical of that kind (a service's own Secret, named after it), the nearest first.
    const pick = found.filter((e) => e.kind === kind).sort((a, c) => typical(c) - typical(a) || a.distance - c.distance || Number(a.owner !== ex) - Number(c.owner !== ex))[0] as Evidence;
    const where = distance === 0 ? `${ex?.name} uses` : distance === 1 ? `services beside ${ex?.name} use` : 'the repository uses';
    const why = `${where} ${count(kind)} ${kind === 'external-secret' ? 'ExternalSecret' : kind === 'sealed-secret' ? 'SealedSecret' : 'SOPS-encrypted Secret'}${count(kind) === 1 ? '' : 's'}; mirrored: ${pick.file}`;
    if (kind !== 'sops') return { kind, file: pick.file, object: pick.object, ...(pick.owner ? { owner: pick.owner } : {}), why };
    const target = place(pick.file, pick.owner);
    const rule = await sopsRuleFor(b, target);
    if (rule) return { kind: 'sops', file: pick.file, object: pick.object, ...(pick.owner ? { owner: pick.owner } : {}), ...rule, why: `${why}, and ${rule.config} has a creation rule for ${target} (${rule.rule})` };
    return { kind: 'none', why: `${why}, but no creation rule of a .sops.yaml covers ${target}: add one, or say how its Secret is made` };
  }
  const refs = ex ? await undefinedReferences(b, profile, ex, docs) : [];
  const ref = refs.find((r) => tokenRegExp(r.owner.name, '').test(r.name)) ?? refs[0];
  if (ref) return { kind: 'existing', example: ref.name, owner: ref.owner, why: `${ref.owner.name} reads the Secret ${ref.name}, which nothing in Git defines: Secrets here are made outside the repository` };
  return { kind: 'none', why: 'no ExternalSecret, SealedSecret, SOPS rule or Secret reference in the repository to learn from' };
}
