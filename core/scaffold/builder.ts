// What every scaffold phase shares: the layout of the new service (mirroring the exemplar's), the
// plan builder that collects operations, assumptions and dependencies, and kustomization edits.
import { posix } from 'node:path';
import type { RepoReader } from '../implementer';
import type { PatternProfile, ServiceLayout } from '../patterns';
import type { Assumption, ChangeSet, Dependency, FileOperation, Phase, ServiceSpec } from '../schemas';
import { chooseExemplar, tokenRegExp } from '../repo-model';
import { kindOf, nameOf, parseManifests } from '../yaml-docs';
import { addToList, withoutAliases } from './edits';
import { knownEnvironments, newEnvironmentMessage, newEnvironments } from './environments';

export class ScaffoldError extends Error {
  override name = 'ScaffoldError';
}

export type Obj = Record<string, unknown>;

/** Where the new service goes and how it is named: the exemplar's layout with the name replaced. */
export interface Layout {
  spec: ServiceSpec;
  exemplar?: ServiceLayout;
  baseDir: string;
  /** Path of a file of the new service given the exemplar's file path (or a default name). */
  mapPath(p: string): string;
  fileFor(kind: string): string;
  environments: string[];
  /** Environments of the spec with no overlay yet, created because the spec allows it. */
  newEnvironments: string[];
}

const DEFAULT_BASE = 'apps/base';

export function layoutFor(spec: ServiceSpec, profile: PatternProfile): Layout {
  const ex = chooseExemplar(profile.services);
  const same = profile.services.find((s) => s.name === spec.service);
  if (same) throw new ScaffoldError(`service "${spec.service}" already exists in ${same.deploymentFile}`);
  const mapPath = (p: string) => (ex ? p.replace(tokenRegExp(ex.name), spec.service) : p);
  const knownEnvs = knownEnvironments(profile);
  const environments = spec.environments ?? (knownEnvs.length ? knownEnvs : ['staging', 'production']);
  const created = newEnvironments(spec, profile);
  // The CLI refuses this before the run starts; a run started otherwise is refused here too.
  if (created.length && !spec.allowNewEnvironment) throw new ScaffoldError(newEnvironmentMessage(created, knownEnvs));
  const baseDir = ex ? (mapPath(ex.baseDir) !== ex.baseDir ? mapPath(ex.baseDir) : ex.baseDir) : `${DEFAULT_BASE}/${spec.service}`;
  const fileFor = (kind: string) => {
    const lower = kind.toLowerCase();
    const own = ex?.ownFiles.find((f) => posix.dirname(f) === ex.baseDir && posix.basename(f).replace(/\.ya?ml$/, '').endsWith(lower));
    if (own) return mapPath(own);
    const ext = ex ? posix.extname(ex.deploymentFile) || '.yaml' : '.yaml';
    const name = profile.fileNaming === 'name-kind' || (ex && ex.baseDir === baseDir) ? `${spec.service}-${lower}` : lower;
    return posix.join(baseDir, `${name}${ext}`);
  };
  return { spec, ...(ex ? { exemplar: ex } : {}), baseDir, mapPath, fileFor, environments, newEnvironments: created };
}

export class PlanBuilder {
  readonly ops: FileOperation[] = [];
  readonly assumptions: Assumption[] = [];
  readonly dependencies: Dependency[] = [];
  private readonly pending = new Map<string, string | undefined>();
  /** Kustomization folder → the entries of the list it mirrors (the exemplar's, renamed): how to keep its order. */
  readonly mirrors = new Map<string, string[]>();

  constructor(readonly phase: Phase, readonly repo: RepoReader, readonly service = '') {}

  /** Current content, including this plan's own earlier writes. */
  async read(path: string): Promise<string | undefined> {
    return this.pending.has(path) ? this.pending.get(path) : this.repo.read(path);
  }

  /** A file the survey saw; its disappearance since then is a clear error, not a crash. */
  async mustRead(path: string): Promise<string> {
    const text = await this.read(path);
    if (text === undefined) throw new ScaffoldError(`${path} disappeared since the repository was surveyed; run again on a stable tree`);
    return text;
  }

  write(path: string, written: string, reason: string): void {
    const content = withoutAliases(written);
    this.pending.set(path, content);
    const existing = this.ops.findIndex((o) => o.path === path);
    const op: FileOperation = { path, action: 'write', content, phase: this.phase, reason };
    if (existing >= 0) this.ops[existing] = op;
    else this.ops.push(op);
  }

  assume(text: string, file?: string): void {
    this.assumptions.push(file ? { file, text } : { text });
  }

  result(): ChangeSet {
    return { operations: this.ops, assumptions: this.assumptions, dependencies: this.dependencies };
  }
}

export async function exemplarObject(repo: RepoReader, file: string, kind: string, name: string): Promise<Obj | undefined> {
  const text = await repo.read(file);
  if (!text) return undefined;
  return parseManifests(file, text).docs.find((d) => kindOf(d.object) === kind && nameOf(d.object) === name)?.object;
}

/** Reference from a kustomization folder to a path, as kustomize expects it. */
export const relRef = (fromDir: string, to: string) => posix.relative(fromDir, to) || '.';

/** Make sure `file` is listed in the resources of the kustomization of `dir` (created when missing). */
export async function includeInKustomization(b: PlanBuilder, dir: string, file: string, reason: string): Promise<void> {
  const kfile = posix.join(dir, 'kustomization.yaml');
  const text = (await b.read(kfile)) ?? 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n';
  const next = addToList(text.replace(/^resources: \[\]\n/m, 'resources:\n'), 'resources', relRef(dir, file), undefined, b.mirrors.get(dir));
  if (next !== text) b.write(kfile, next, reason);
}

