// The compliance registry and its runner: every check over the rendered documents of one target,
// findings with their source file:line, and the `infra-implementor.io/ignore-check.<id>` suppression.
import type { Finding } from '../schemas';
import { get, str } from '../yaml-docs';
import { resourceId } from './k8s';
import type { CheckContext, ComplianceCheck, RenderedDoc } from './types';
import { requiredLabels } from './required-labels';
import { resourceRequestsLimits } from './resource-requests-limits';
import { serviceSelectorMismatch } from './service-selector-mismatch';
import { missingProbes } from './missing-probes';
import { plaintextSecret } from './plaintext-secret';
import { gitopsPathMissing } from './gitops-path-missing';
import { missingNetworkPolicy } from './missing-network-policy';
import { kustomizeBuildFailed } from './kustomize-build-failed';
import { imageLatestOrUntagged } from './image-latest-or-untagged';
import { privilegedContainer } from './privileged-container';
import { hostNamespaces } from './host-namespaces';
import { runAsNonRoot } from './run-as-non-root';
import { readOnlyRootFs } from './read-only-root-fs';
import { deploymentSelectorMismatch } from './deployment-selector-mismatch';
import { privilegeEscalationAllowed } from './privilege-escalation-allowed';
import { seccompProfileMissing } from './seccomp-profile-missing';
import { serviceAccountTokenMounted } from './service-account-token-mounted';
import { hostPort } from './host-port';
import { imageNotPinned } from './image-not-pinned';
import { imageTagFloating } from './image-tag-floating';
import { removedApiVersion } from './removed-api-version';
import { rbacClusterAdminBinding } from './rbac-cluster-admin-binding';
import { rbacWildcardRule } from './rbac-wildcard-rule';
import { rbacSecretsRead } from './rbac-secrets-read';
import { rbacPodExec } from './rbac-pod-exec';
import { dangerousCapabilities } from './dangerous-capabilities';
import { netRawNotDropped } from './net-raw-not-dropped';
import { hostPathVolume } from './host-path-volume';
import { hostPathWritable } from './host-path-writable';
import { containerRuntimeSocket } from './container-runtime-socket';
import { secretInEnv } from './secret-in-env';
import { secretInConfigMap } from './secret-in-configmap';
import { missingPodDisruptionBudget } from './missing-pod-disruption-budget';
import { singleReplica } from './single-replica';
import { missingAntiAffinity } from './missing-anti-affinity';
import { probePortUndeclared } from './probe-port-undeclared';
import { serviceTargetPortUndeclared } from './service-target-port-undeclared';
import { ingressBackendMissing } from './ingress-backend-missing';
import { ingressMissingTls } from './ingress-missing-tls';

export type { CheckContext, ComplianceCheck, RenderedDoc, Severity, Violation } from './types';

/** The DESIGN.md checklist first (its ids are a contract), then the warning-level extras. */
export const CHECKS: readonly ComplianceCheck[] = [
  requiredLabels,
  resourceRequestsLimits,
  serviceSelectorMismatch,
  missingProbes,
  plaintextSecret,
  gitopsPathMissing,
  missingNetworkPolicy,
  kustomizeBuildFailed,
  imageLatestOrUntagged,
  privilegedContainer,
  hostNamespaces,
  runAsNonRoot,
  readOnlyRootFs,
  deploymentSelectorMismatch,
  privilegeEscalationAllowed,
  seccompProfileMissing,
  serviceAccountTokenMounted,
  hostPort,
  imageNotPinned,
  imageTagFloating,
  removedApiVersion,
  rbacClusterAdminBinding,
  rbacWildcardRule,
  rbacSecretsRead,
  rbacPodExec,
  dangerousCapabilities,
  netRawNotDropped,
  hostPathVolume,
  hostPathWritable,
  containerRuntimeSocket,
  // Secrets in the clear, availability in production, ports and ingress routing (issue 25).
  secretInEnv,
  secretInConfigMap,
  missingPodDisruptionBudget,
  singleReplica,
  missingAntiAffinity,
  probePortUndeclared,
  serviceTargetPortUndeclared,
  ingressBackendMissing,
  ingressMissingTls,
];

/** Unknown ids in a subset of checks: bad input, named. */
export class UnknownCheckError extends Error {
  override name = 'UnknownCheckError';
}

/** The registered checks with these ids, in registry order; throws naming any id not registered. */
export function selectChecks(ids: readonly string[]): ComplianceCheck[] {
  const unknown = ids.filter((id) => !CHECKS.some((c) => c.id === id));
  if (unknown.length) throw new UnknownCheckError(`unknown check id(s): ${unknown.join(', ')} (registered: ${CHECKS.map((c) => c.id).join(', ')})`);
  return CHECKS.filter((c) => ids.includes(c.id));
}

export const SUPPRESS_PREFIX = 'infra-implementor.io/ignore-check.';

/** The reason a document gives for silencing `checkId`, if it does (an empty value still silences). */
export function suppressionReason(doc: RenderedDoc | undefined, checkId: string): string | undefined {
  if (!doc) return undefined;
  const value = get(doc.object, 'metadata', 'annotations', SUPPRESS_PREFIX + checkId);
  if (value === undefined || value === null) return undefined;
  return str(value)?.trim() || 'no reason given';
}

export function runCompliance(docs: readonly RenderedDoc[], ctx: CheckContext, checks: readonly ComplianceCheck[] = CHECKS): Finding[] {
  const findings: Finding[] = [];
  for (const check of checks) {
    for (const v of check.check(docs, ctx)) {
      const finding: Finding = {
        check: check.id,
        severity: v.severity ?? check.severity,
        target: ctx.target,
        resource: v.doc ? resourceId(v.doc.object) : ctx.target,
        message: v.message,
      };
      const pos = v.path && v.doc?.at ? v.doc.at(v.path) : undefined;
      const file = pos?.file ?? v.doc?.file;
      if (file !== undefined) finding.file = file;
      const line = pos?.line ?? v.doc?.line;
      const column = pos ? pos.column : v.doc?.column;
      if (line !== undefined) finding.line = line;
      if (column !== undefined && line !== undefined) finding.column = column;
      const reason = suppressionReason(v.doc, check.id);
      if (reason !== undefined) finding.suppressed = reason;
      findings.push(finding);
    }
  }
  return findings;
}

/**
 * One finding per source location: a base rendered by several overlays is reported once, with the
 * targets it appears in. Findings with no file stay per target (nothing says they are the same).
 */
export function mergeByLocation(findings: readonly Finding[]): Finding[] {
  const out: Finding[] = [];
  const byKey = new Map<string, Finding>();
  for (const f of findings) {
    const key = f.file === undefined ? undefined : JSON.stringify([f.check, f.severity, f.file, f.line, f.column, f.message, f.suppressed]);
    const prev = key === undefined ? undefined : byKey.get(key);
    if (prev) {
      const targets = prev.targets ?? [prev.target];
      if (!targets.includes(f.target)) prev.targets = [...targets, f.target];
      continue;
    }
    const copy = { ...f };
    if (key !== undefined) byKey.set(key, copy);
    out.push(copy);
  }
  return out;
}

/** Findings that count towards the exit code and the summary: not suppressed. */
export const activeFindings = (findings: readonly Finding[]): Finding[] => findings.filter((f) => f.suppressed === undefined);
