// What the linters bench compares: the ids of the checks registered before issue 25, and the
// kube-score and checkov ids whose meaning is one of our checks' (docs/checks.md has the full
// table, kube-linter and Polaris included, with the differences). Findings are compared per
// object: (target, Kind/name), since kube-score and checkov report one finding per object and
// check, ours one per container.
import type { Finding } from '../core/schemas';

/** core/compliance/index.ts CHECKS at 7e0f5d4, the last commit before issue 25's checks. */
export const BEFORE_ISSUE_25 = [
  'required-labels', 'resource-requests-limits', 'service-selector-mismatch', 'missing-probes', 'plaintext-secret',
  'gitops-path-missing', 'missing-network-policy', 'kustomize-build-failed', 'image-latest-or-untagged',
  'privileged-container', 'host-namespaces', 'run-as-non-root', 'read-only-root-fs', 'deployment-selector-mismatch',
  'privilege-escalation-allowed', 'seccomp-profile-missing', 'service-account-token-mounted', 'host-port',
  'image-not-pinned', 'image-tag-floating', 'removed-api-version',
] as const;

/** kube-score check id → ours (container-seccomp-profile is optional in kube-score: the bench enables it). */
export const KUBE_SCORE: Readonly<Record<string, string>> = {
  'container-resources': 'resource-requests-limits',
  'pod-probes': 'missing-probes',
  'service-targets-pod': 'service-selector-mismatch',
  'pod-networkpolicy': 'missing-network-policy',
  'container-image-tag': 'image-latest-or-untagged',
  'container-security-context-privileged': 'privileged-container',
  'container-security-context-readonlyrootfilesystem': 'read-only-root-fs',
  'container-seccomp-profile': 'seccomp-profile-missing',
  'deployment-pod-selector-labels-match-template-metadata-labels': 'deployment-selector-mismatch',
  'statefulset-pod-selector-labels-match-template-metadata-labels': 'deployment-selector-mismatch',
  'stable-version': 'removed-api-version',
  // Issue 25's checks. kube-score judges every target; ours are production-only (what it flags
  // outside production is counted beyond, and is the difference docs/checks.md explains).
  'deployment-has-poddisruptionbudget': 'missing-pod-disruption-budget',
  'statefulset-has-poddisruptionbudget': 'missing-pod-disruption-budget',
  'deployment-replicas': 'single-replica',
  'deployment-has-host-podantiaffinity': 'missing-anti-affinity',
  'statefulset-has-host-podantiaffinity': 'missing-anti-affinity',
  'ingress-targets-service': 'ingress-backend-missing',
};

/**
 * checkov (3.3.30, kubernetes framework) check id → ours. Left out: CKV_K8S_25 (any added
 * capability) and CKV_K8S_40 (UID/GID above 10000), broader than ours by design, and the
 * CKV_SECRET_* checks, which belong to its secrets framework.
 */
export const CHECKOV: Readonly<Record<string, string>> = {
  CKV_K8S_10: 'resource-requests-limits', CKV_K8S_11: 'resource-requests-limits', CKV_K8S_12: 'resource-requests-limits', CKV_K8S_13: 'resource-requests-limits',
  CKV_K8S_8: 'missing-probes', CKV_K8S_9: 'missing-probes',
  CKV2_K8S_6: 'missing-network-policy',
  CKV_K8S_14: 'image-latest-or-untagged',
  CKV_K8S_16: 'privileged-container',
  CKV_K8S_17: 'host-namespaces', CKV_K8S_18: 'host-namespaces', CKV_K8S_19: 'host-namespaces',
  CKV_K8S_20: 'privilege-escalation-allowed',
  CKV_K8S_22: 'read-only-root-fs',
  CKV_K8S_23: 'run-as-non-root',
  CKV_K8S_26: 'host-port',
  CKV_K8S_31: 'seccomp-profile-missing',
  CKV_K8S_38: 'service-account-token-mounted',
  CKV_K8S_43: 'image-not-pinned',
  // Issue 25's checks. The CKV2 graph checks may name the binding as well as the role; ours name the role.
  CKV_K8S_39: 'dangerous-capabilities',
  CKV_K8S_28: 'net-raw-not-dropped',
  CKV_K8S_27: 'container-runtime-socket',
  CKV_K8S_49: 'rbac-wildcard-rule',
  CKV2_K8S_5: 'rbac-secrets-read',
  CKV2_K8S_2: 'rbac-pod-exec',
};

export const MAPPED = [...new Set([...Object.values(KUBE_SCORE), ...Object.values(CHECKOV)])].sort();

/** Objects flagged, per our check id: `target|Kind/name`. */
export type Flags = Map<string, Set<string>>;
const add = (m: Flags, check: string, key: string) => { if (!m.has(check)) m.set(check, new Set()); m.get(check)!.add(key); };

/** Our active findings as flags; `judged` says which of them the hand table judged. */
export function ourFlags(findings: readonly Finding[], judged: (f: Finding) => boolean): { flags: Flags; unjudged: Flags } {
  const flags: Flags = new Map();
  const unjudged: Flags = new Map();
  for (const f of findings.filter((x) => x.suppressed === undefined && MAPPED.includes(x.check))) {
    for (const t of f.targets ?? [f.target]) add(judged(f) ? flags : unjudged, f.check, `${t}|${f.resource}`);
  }
  return { flags, unjudged };
}

interface KubeScoreObject {
  file_name: string;
  checks: { check: { id: string }; grade: number; skipped: boolean }[];
}
/**
 * kube-score grades: 1 critical, 5 warning, 7 almost OK, 10 OK; a skipped check is no finding.
 * `objectOf` names the one document of a rendered file as `target|Kind/name`.
 */
export function kubeScoreFlags(objects: readonly KubeScoreObject[], objectOf: (file: string) => string): { flags: Flags; all: number } {
  const flags: Flags = new Map();
  let all = 0;
  for (const o of objects) {
    for (const c of o.checks.filter((x) => !x.skipped && x.grade < 7)) {
      all++;
      const ours = KUBE_SCORE[c.check.id];
      if (ours) add(flags, ours, objectOf(o.file_name));
    }
  }
  return { flags, all };
}

interface CheckovFailed { check_id: string; file_path: string; resource: string }
/**
 * checkov names a resource `Kind.namespace.name`, and its graph checks a Pod made of a workload's
 * template (`Pod.default.atuin.app.kubernetes.io/name-atuin…`): the file says which object it is.
 */
export function checkovFlags(failed: readonly CheckovFailed[], objectOf: (file: string) => string): { flags: Flags; all: number } {
  const flags: Flags = new Map();
  for (const f of failed) {
    const ours = CHECKOV[f.check_id];
    if (!ours) continue;
    add(flags, ours, objectOf(f.file_path));
  }
  return { flags, all: failed.length };
}

export interface Row { check: string; judged: number; unjudgedOurs: number; tools: Record<string, { hit: number; onUnjudged: number; beyond: number; beyondSample: string[] }> }

/**
 * Per mapped meaning: the hand-judged objects, how many of them each tool flags, how many of our
 * unjudged ones it flags too, and what it flags beyond both (unjudged: not called false).
 */
export function compare(ours: { flags: Flags; unjudged: Flags }, tools: Record<string, Flags>): Row[] {
  return MAPPED.map((check) => {
    const truth = ours.flags.get(check) ?? new Set<string>();
    const unjudged = ours.unjudged.get(check) ?? new Set<string>();
    const row: Row = { check, judged: truth.size, unjudgedOurs: ours.unjudged.get(check)?.size ?? 0, tools: {} };
    for (const [tool, flags] of Object.entries(tools)) {
      const theirs = [...(flags.get(check) ?? [])];
      const beyond = theirs.filter((k) => !truth.has(k) && !unjudged.has(k)).sort();
      const onUnjudged = theirs.filter((k) => unjudged.has(k)).length;
      row.tools[tool] = { hit: theirs.length - beyond.length - onUnjudged, onUnjudged, beyond: beyond.length, beyondSample: beyond.slice(0, 8) };
    }
    return row;
  });
}
