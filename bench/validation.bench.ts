// Benchmark of the validation engine on a generated GitOps repository (200 services × 3 overlays,
// `--quick`: 20): a cold full run, re-validation after a one-file change (target ≤ 10 % of the full
// run), a warm full run, and Flux's recipe — `kubectl kustomize` of each folder the full run builds, one
// after another, on the same repository. Not run by the tests; `npm run bench` reuses it.
//   node --import tsx bench/validation.bench.ts [--quick] [--json]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { clearValidationCache, validateRepository } from '../validation';

const OVERLAYS = ['dev', 'staging', 'production'];

function deployment(name: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {app.kubernetes.io/name: ${name}, app.kubernetes.io/version: "1.0.0", app.kubernetes.io/component: backend}
spec:
  replicas: 1
  selector:
    matchLabels: {app.kubernetes.io/name: ${name}}
  template:
    metadata:
      labels: {app.kubernetes.io/name: ${name}, app.kubernetes.io/version: "1.0.0", app.kubernetes.io/component: backend}
    spec:
      securityContext: {runAsNonRoot: true}
      containers:
        - name: app
          image: ghcr.io/acme/${name}:1.0.0
          ports: [{name: http, containerPort: 8080}]
          resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: 500m, memory: 256Mi}}
          livenessProbe: {httpGet: {path: /healthz, port: http}}
          readinessProbe: {httpGet: {path: /readyz, port: http}}
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}
`;
}

function service(name: string): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  labels: {app.kubernetes.io/name: ${name}, app.kubernetes.io/version: "1.0.0", app.kubernetes.io/component: backend}
spec:
  selector: {app.kubernetes.io/name: ${name}}
  ports: [{name: http, port: 80, targetPort: http}]
`;
}

function generate(root: string, services: number): string[] {
  const kustomizationDirs: string[] = [];
  const put = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  };
  for (let i = 0; i < services; i++) {
    const name = `svc-${String(i).padStart(3, '0')}`;
    const base = `services/${name}/base`;
    put(`${base}/deployment.yaml`, deployment(name));
    put(`${base}/service.yaml`, service(name));
    put(`${base}/kustomization.yaml`, 'resources:\n  - deployment.yaml\n  - service.yaml\n');
    kustomizationDirs.push(base);
    for (const [j, env] of OVERLAYS.entries()) {
      const dir = `services/${name}/overlays/${env}`;
      put(`${dir}/kustomization.yaml`, `namespace: ${env}\nresources:\n  - ../../base\npatches:\n  - path: replicas.yaml\n`);
      put(`${dir}/replicas.yaml`, `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  replicas: ${j + 1}\n`);
      kustomizationDirs.push(dir);
    }
  }
  return kustomizationDirs;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: Math.round(performance.now() - start), value };
}

export type ValidationFigures = Awaited<ReturnType<typeof runValidationBench>>;

/** The figures of one run on a generated repository of `services` services (bench/index.ts reuses it). */
export async function runValidationBench(services: number) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'validation-bench-'));
  try {
    const dirs = generate(root, services);
    clearValidationCache();
    let builds = 0;
    // The kustomize targets the full run builds (the overlays and the folders no overlay includes):
    // Flux's recipe below builds the same ones, so that the ratio compares the same work.
    const built: string[] = [];
    const full = await timed(() => validateRepository({ root, onBuild: (id, kind) => { builds++; if (kind === 'kustomize') built.push(id); } }));
    const fullBuilds = builds;

    const changed = 'services/svc-000/base/deployment.yaml';
    writeFileSync(path.join(root, changed), deployment('svc-000').replace('cpu: 100m', 'cpu: 150m'));
    builds = 0;
    const incremental = await timed(() => validateRepository({ root, changedFiles: [changed], onBuild: () => builds++ }));
    const incrementalBuilds = builds;

    builds = 0;
    const warm = await timed(() => validateRepository({ root, onBuild: () => builds++ }));
    const warmBuilds = builds;

    // Flux's recipe: kubectl kustomize of each of those folders, one after another.
    const flux = await timed(async () => {
      for (const d of built) await execa('kubectl', ['kustomize', '--load-restrictor=LoadRestrictionsNone', path.join(root, d)]);
    });

    const failed = full.value.validations.filter((v) => v.status === 'fail').length;
    return {
      services, overlays: services * OVERLAYS.length, kustomizationRoots: dirs.length, cores: os.availableParallelism(),
      fullMs: full.ms, fullBuilds, failedValidations: failed, findings: full.value.findings.length,
      incrementalMs: incremental.ms, incrementalBuilds, incrementalRatio: +(incremental.ms / full.ms).toFixed(3),
      warmFullMs: warm.ms, warmBuilds,
      fluxRecipeMs: flux.ms, fluxRecipeBuilds: built.length, fullVsFluxRatio: +(full.ms / flux.ms).toFixed(3),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const figures = await runValidationBench(process.argv.includes('--quick') ? 20 : 200);
  if (json) process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
  else {
    process.stdout.write([
      `repository: ${figures.services} services × ${OVERLAYS.length} overlays (${figures.kustomizationRoots} kustomization roots), ${figures.cores} cores`,
      `full run (cold cache):        ${figures.fullMs} ms, ${figures.fullBuilds} builds, ${figures.failedValidations} failed validations, ${figures.findings} findings`,
      `after a one-file change:      ${figures.incrementalMs} ms, ${figures.incrementalBuilds} builds — ratio ${figures.incrementalRatio} (target ≤ 0.10)`,
      `full run (warm cache):        ${figures.warmFullMs} ms, ${figures.warmBuilds} builds`,
      `Flux recipe (sequential loop): ${figures.fluxRecipeMs} ms, ${figures.fluxRecipeBuilds} builds — full run / recipe = ${figures.fullVsFluxRatio}`,
    ].join('\n') + '\n');
  }
}

// Run on its own when executed directly; a module when imported by bench/index.ts.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
