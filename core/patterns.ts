// PatternProfile: what the repository already does, condensed so that every later step follows it.
// Built by surveyPatterns (activities/, with runtime/patterns.ts) from the files on disk with the pure functions of core/survey.ts.

export interface ServiceLayout {
  /** Service name (the Deployment's name). */
  name: string;
  /** File holding the Deployment. */
  deploymentFile: string;
  /** Folder of the service's base (the kustomization root holding the Deployment, or its folder). */
  baseDir: string;
  /** Every file whose path names the service: its own files, to mirror for a new service. */
  ownFiles: string[];
  /** Kustomization roots that include the base, directly or through other roots. */
  /** `env` is normalised (prod → production); `name` is the folder's own word for it (prod). */
  overlays: { dir: string; env: string; name: string; shared: boolean }[];
  /** Files of Flux objects (Kustomization / HelmRelease) that deploy this service's folders. */
  fluxFiles: string[];
  /** Set when the service is a Flux HelmRelease (then `deploymentFile` is the release's file). */
  helmRelease?: { file: string; chart?: string; sourceRef?: string; sharedChart: boolean; releasesOfChart?: number };
}

export interface ProbeStyle {
  path?: string;
  port?: number | string;
  initialDelaySeconds?: number;
  periodSeconds?: number;
}

export interface PatternProfile {
  /** Every folder with a kustomization.yaml, relative to the infra root. */
  kustomizationDirs: string[];
  /** Environment name → overlay folders (a folder counts as an overlay of the environment its path names). */
  environments: Record<string, string[]>;
  /** Kind → files holding at least one object of that kind. */
  kinds: Record<string, string[]>;
  /** `app` or `app.kubernetes.io/*`, by majority over workloads; `none` when nothing to learn from. */
  labelConvention: 'app' | 'app.kubernetes.io' | 'none';
  /** Label keys seen on workloads, most common first. */
  labelKeys: string[];
  /** The app / version / component label groups most workloads carry (by short key). */
  labelGroups?: string[];
  /** The most common container resources among existing workloads. */
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: ProbeStyle;
  readinessProbe?: ProbeStyle;
  /** Replica count per environment, as used by existing services (most common). */
  replicas: Record<string, number>;
  namespaces: string[];
  /** How manifest files are named: `kind` (deployment.yaml) or `name-kind` (orders-deployment.yaml). */
  fileNaming: 'kind' | 'name-kind' | 'unknown';
  services: ServiceLayout[];
  flux: {
    kustomizations: { name: string; file: string; path: string; sourceRef?: string }[];
    helmReleases: { name: string; file: string; chart?: string; sourceRef?: string }[];
    sources: { kind: string; name: string; file: string }[];
  };
  helmCharts: string[];
  /** The repository encrypts Secrets with SOPS (.sops.yaml, or encrypted Secrets seen). */
  sops: boolean;
  /** Short human-readable lines on what was learned, for prompts and the report. */
  notes: string[];
}
