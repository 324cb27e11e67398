// The shape of one compliance check: a small pure unit over the rendered documents of one target
// (an overlay, a chart rendering or a plain manifest folder), in the style of kube-linter.

import type { ArgoModel, FluxModel, LabelConvention } from '../repo-model';

/** One rendered Kubernetes object and, when known, where its source document starts. */
export interface RenderedDoc {
  object: Record<string, unknown>;
  file?: string;
  /** Where the source document starts. */
  line?: number;
  column?: number;
  /**
   * Position of a field of the source document (nearest existing parent when absent), if known; with
   * `file` when the field comes from another document (a kustomize patch).
   */
  at?: (path: readonly (string | number)[]) => { line: number; column: number; file?: string } | undefined;
}

/** What a check may know beyond the documents: the target, its environment, the repository. */
export interface CheckContext {
  /** Overlay folder, chart or file the documents were rendered from, relative to the repo root. */
  target: string;
  /** True when the target is a production overlay (path segment `prod` / `production` by default). */
  production: boolean;
  /** Set when the target failed to build; the documents are then empty. */
  buildError?: string;
  /** Folders that exist in the repository (relative, POSIX, `.` for the root). */
  directories: ReadonlySet<string>;
  /** Flux sources and charts defined anywhere in the repository, as `Kind/name` and `Kind/namespace/name`. */
  definedSources: ReadonlySet<string>;
  /** Kubernetes version the cluster runs (`--kube-version`), for API removals; default the engine's. */
  kubeVersion?: string;
  /** Flux minor version the cluster runs, for Flux API removals; default DEFAULT_FLUX_VERSION. */
  fluxVersion?: string;
  /** What the repository model knows beyond the rendering; absent in unit tests of single checks. */
  repo?: RepoFacts;
}

/** Facts about the whole repository a check may use (core/repo-model). */
export interface RepoFacts {
  flux: Pick<FluxModel, 'defined' | 'runtime' | 'otherRepositories'>;
  argo: Pick<ArgoModel, 'self'>;
  labels: Pick<LabelConvention, 'groups' | 'objectGroups' | 'style' | 'workloads'>;
  /** The pod template labels of every workload written in the repository (rendered or not). */
  podLabels?: readonly Record<string, string>[];
  /** Every ServiceAccount written in the repository (rendered or not). */
  serviceAccounts?: readonly ServiceAccountFact[];
  /** Every Service with a selector written in the repository (rendered or not). */
  services?: readonly ServiceFact[];
  /** Names of every Service written in the repository (rendered or not), and of its HelmReleases and Argo CD Applications, whose charts name Services after them: for ingress-backend-missing. */
  serviceNames?: ReadonlySet<string>;
}

/** What a check needs of a ServiceAccount. */
export interface ServiceAccountFact {
  name: string;
  /** Unset when the document leaves it to kustomize or the applier. */
  namespace?: string;
  automountServiceAccountToken?: boolean;
}

/** What a check needs of a Service: whom it selects and which container ports it sends to. */
export interface ServiceFact {
  name: string;
  namespace?: string;
  selector: Record<string, string>;
  /** Each port's targetPort (its port when unset): a container port number or name. */
  targetPorts: (string | number)[];
}

export type Severity = 'error' | 'warning';

/** Targets `check` judges as production (`ctx.production`) unless told otherwise: a path segment prod / production. */
export const DEFAULT_PRODUCTION_PATTERN = /(^|\/)(prod|production)(\/|$)/i;

/** What a check reports; the engine adds the check id, severity, target and suppression. */
export interface Violation {
  doc?: RenderedDoc;
  /** The offending field in the object (or the nearest existing parent), for line and column. */
  path?: (string | number)[];
  message: string;
  /** Overrides the check's default severity for this one report. */
  severity?: Severity;
}

export interface ComplianceCheck {
  id: string;
  severity: Severity;
  /** One paragraph for people: what fires, why it matters, how to fix it. Shown in SARIF rules. */
  help: string;
  check(docs: readonly RenderedDoc[], ctx: CheckContext): Violation[];
}
