// One model of a repository, built once from its files: the parsed documents, the kustomize graph
// with every reference kind, Flux and Argo CD objects, Helm charts and releases, the label
// convention and the services with the exemplar a new one mirrors. The survey, the validator's
// discovery, the scaffold and the LLM context all read it. Pure: the caller reads the files.
import { posix } from 'node:path';
import { isYamlFile, parseManifests, type ManifestDoc } from '../yaml-docs';
import { argoModel, type ArgoModel } from './argo';
import { fluxModel, type FluxModel } from './flux';
import { helmModel, type HelmModel } from './helm';
import { isKustomizationFile, kustomizationNode, type KustomizationNode, type KustomizeGraph } from './kustomize-graph';
import { labelConvention, type LabelConvention } from './labels';
import { chooseExemplar, services } from './services';
import type { ServiceLayout } from '../patterns';

export interface RepoModelInput {
  /** Every file of the repository, relative and POSIX. */
  paths: readonly string[];
  /** Text of a file; undefined for files not read (binary, oversized, not YAML). */
  text(path: string): string | undefined;
  /** URLs of this repository (`git remote`), so Argo Applications naming it are checked here. */
  selfUrls?: readonly string[];
}

export interface RepoModel {
  paths: readonly string[];
  /** Folders holding at least one file, and all their ancestors (`.` for the root). */
  directories: ReadonlySet<string>;
  /** Every document of every YAML file. */
  docs: ManifestDoc[];
  /** Documents with apiVersion and kind, outside chart folders and kustomization files. */
  manifests: ManifestDoc[];
  kustomize: KustomizeGraph;
  /** Files some kustomization applies as a patch: partial objects, checked only once applied. */
  patchFiles: ReadonlySet<string>;
  helm: HelmModel;
  flux: FluxModel;
  argo: ArgoModel;
  labels: LabelConvention;
  services: ServiceLayout[];
  exemplar?: ServiceLayout;
  /** .sops.yaml exists, or a SOPS-encrypted Secret was seen. */
  sops: boolean;
}

export function directoriesOf(paths: readonly string[]): Set<string> {
  const dirs = new Set<string>(['.']);
  for (const f of paths) for (let d = posix.dirname(f); d !== '.' && d !== '/' && d !== '' && !dirs.has(d); d = posix.dirname(d)) dirs.add(d);
  return dirs;
}

const isManifest = (d: ManifestDoc): boolean => typeof d.object.apiVersion === 'string' && typeof d.object.kind === 'string';

export function buildRepoModel(input: RepoModelInput): RepoModel {
  const paths = input.paths;
  const directories = directoriesOf(paths);
  const fileSet = new Set(paths);
  const docs: ManifestDoc[] = [];
  const graph = new Map<string, KustomizationNode>();
  const byFile = new Map<string, ManifestDoc[]>();
  const helmCharts = paths.filter((f) => posix.basename(f) === 'Chart.yaml').map((f) => posix.dirname(f));
  // Chart templates are Go templates, not YAML: helm renders them.
  const isTemplate = (f: string) => helmCharts.some((c) => f.startsWith(c === '.' ? 'templates/' : `${c}/templates/`));
  for (const f of paths) {
    if ((!isYamlFile(f) && !isKustomizationFile(f)) || isTemplate(f)) continue;
    const text = input.text(f);
    if (text === undefined) continue;
    const parsed = parseManifests(f, text).docs;
    byFile.set(f, parsed);
    docs.push(...parsed);
    if (isKustomizationFile(f) && !graph.has(posix.dirname(f))) {
      graph.set(posix.dirname(f), kustomizationNode(f, parsed[0]?.object ?? {}, { files: paths, directories }, fileSet));
    }
  }
  const inChart = (f: string) => helmCharts.some((c) => f.startsWith(`${c}/`));
  const manifests = [...byFile].flatMap(([f, ds]) => (inChart(f) || isKustomizationFile(f) ? [] : ds.filter(isManifest)));
  const patchFiles = new Set([...graph.values()].flatMap((n) => n.patchFiles));
  // Patch files are partial objects: they are Flux or Argo objects only once kustomize applies them.
  const whole = manifests.filter((d) => !patchFiles.has(d.file));
  const flux = fluxModel(whole, directories, input.selfUrls ?? []);
  const helm = helmModel(paths, flux.helmReleases);
  const all = services(docs.filter((d) => !patchFiles.has(d.file)), helm, { paths, graph, fluxKustomizations: flux.kustomizations, sources: flux.sources });
  const exemplar = chooseExemplar(all);
  const sops = fileSet.has('.sops.yaml') || docs.some((d) => d.object.kind === 'Secret' && (d.object.sops !== undefined || /ENC\[/.test(JSON.stringify(d.object))));
  return {
    paths, directories, docs, manifests, kustomize: graph, patchFiles, helm, flux,
    argo: argoModel(whole, directories, input.selfUrls ?? []),
    labels: labelConvention(docs), services: all, ...(exemplar ? { exemplar } : {}), sops,
  };
}

export * from './kustomize-graph';
export * from './flux';
export * from './argo';
export * from './helm';
export * from './labels';
export * from './deployed';
export { chooseExemplar, environmentOf, environmentWord, tokenRegExp } from './services';
