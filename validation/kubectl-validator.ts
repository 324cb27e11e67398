// `kubectl`: a server-side dry run of each rendering, the only check that knows the cluster's own
// API versions, CRDs and admission webhooks. It runs only where a cluster context is configured
// and answers within seconds; otherwise every target is `skipped` with the reason, never passed.
import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launch } from '../runtime/launcher';
import type { ValidationResult } from '../core/schemas';
import type { Toolbox } from './tools';

const PROBE_TIMEOUT_MS = 8_000;

export type Cluster = { reachable: true; context: string } | { reachable: false; reason: string };

/** How long a probe's answer stands while the kubeconfig files stay as they were. */
const PROBE_TTL_MS = 30_000;

/** What kubectl's answer depends on: the kubeconfig files (path, size, mtime) and the in-cluster variable. */
function kubeconfigState(): string {
  const files = (process.env.KUBECONFIG || path.join(os.homedir(), '.kube', 'config')).split(path.delimiter).filter(Boolean);
  const stat = (f: string) => {
    try {
      const st = statSync(f);
      return [f, st.size, st.mtimeMs];
    } catch {
      return [f, null];
    }
  };
  return JSON.stringify([files.map(stat), process.env.KUBERNETES_SERVICE_HOST ?? '']);
}

let lastProbe: { state: string; at: number; cluster: Promise<Cluster> } | undefined;

/**
 * Is there a cluster to dry-run against? Probing costs two kubectl processes (~0.1 CPU-s each), and
 * every validation asks: the answer is shared by concurrent validations and reused for 30 s, unless
 * the kubeconfig changes.
 */
export function findCluster(tools: Toolbox): Promise<Cluster> {
  const state = kubeconfigState();
  const now = Date.now();
  if (lastProbe && lastProbe.state === state && now - lastProbe.at < PROBE_TTL_MS) return lastProbe.cluster;
  const cluster = probeCluster(tools);
  lastProbe = { state, at: now, cluster };
  return cluster;
}

async function probeCluster(tools: Toolbox): Promise<Cluster> {
  if (!tools.kubectl) return { reachable: false, reason: tools.missing.kubectl };
  const ctx = await launch('kubectl', ['config', 'current-context'], { timeout: PROBE_TIMEOUT_MS });
  if (ctx.exitCode !== 0) return { reachable: false, reason: 'no cluster context is configured (kubectl config current-context)' };
  const context = String(ctx.stdout).trim();
  const version = await launch('kubectl', ['version', '--request-timeout=5s', '-o', 'json'], { timeout: PROBE_TIMEOUT_MS });
  if (version.exitCode !== 0 || !String(version.stdout).includes('serverVersion')) {
    return { reachable: false, reason: `cluster context "${context}" is not reachable` };
  }
  return { reachable: true, context };
}

export async function dryRun(target: string, manifests: string, cluster: Cluster, signal?: AbortSignal): Promise<ValidationResult> {
  if (!cluster.reachable) return { validator: 'kubectl', target, status: 'skipped', message: cluster.reason };
  if (!manifests.trim()) return { validator: 'kubectl', target, status: 'skipped', message: 'nothing rendered' };
  const r = await launch('kubectl', ['apply', '--dry-run=server', '--validate=strict', '-f', '-'], {
    input: manifests, timeout: 120_000, cancelSignal: signal,
  });
  return r.exitCode === 0
    ? { validator: 'kubectl', target, status: 'pass', message: `server-side dry run on ${cluster.context} accepted` }
    : { validator: 'kubectl', target, status: 'fail', message: String(r.stderr || r.stdout).trim().split('\n').slice(-8).join('\n') };
}
