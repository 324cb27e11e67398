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
];

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
      if (v.doc?.file !== undefined) finding.file = v.doc.file;
      if (v.doc?.line !== undefined) finding.line = v.doc.line;
      const reason = suppressionReason(v.doc, check.id);
      if (reason !== undefined) finding.suppressed = reason;
      findings.push(finding);
    }
  }
  return findings;
}

/** Findings that count towards the exit code and the summary: not suppressed. */
export const activeFindings = (findings: readonly Finding[]): Finding[] => findings.filter((f) => f.suppressed === undefined);
