// deploy/ puts the worker on Kubernetes the way the project asks of others: both overlays build
// with kubectl's kustomize, render a locked-down worker, and `check deploy` finds nothing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../worker/config';
import { healthPortFromEnv } from '../worker/health';
import { imageNodeEnv } from '../bench/throughput';
import { PROJECT_ROOT } from './helpers/repo';

const DEPLOY = path.join(PROJECT_ROOT, 'deploy');
const CLI = path.join(PROJECT_ROOT, 'bin/infra-implementor.js');

// The slice of the rendered objects these tests read.
interface K8sObject {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function build(overlay: string): Promise<K8sObject[]> {
  const { stdout } = await execa('kubectl', ['kustomize', path.join(DEPLOY, 'overlays', overlay)]);
  return parseAllDocuments(stdout).map((d) => d.toJS() as K8sObject).filter(Boolean);
}

const one = (objects: K8sObject[], kind: string): K8sObject => {
  const found = objects.filter((o) => o.kind === kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0]!;
};

for (const [overlay, expected] of [
  ['staging', { namespace: 'infra-implementor-staging', temporalNamespace: 'staging', minReplicas: 1, maxReplicas: 3 }],
  ['production', { namespace: 'infra-implementor', temporalNamespace: 'production', minReplicas: 2, maxReplicas: 10 }],
] as const) {
  describe(`deploy/overlays/${overlay}`, () => {
    it('builds with kubectl kustomize into a ServiceAccount, ConfigMap, Deployment, NetworkPolicy and HPA in its namespace', async () => {
      const objects = await build(overlay);
      assert.deepEqual(objects.map((o) => o.kind).sort(), ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'NetworkPolicy', 'PodDisruptionBudget', 'ServiceAccount']);
      for (const o of objects) assert.equal(o.metadata.namespace, expected.namespace, `${o.kind} namespace`);
      const hpa = one(objects, 'HorizontalPodAutoscaler');
      assert.deepEqual(hpa.spec?.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: one(objects, 'Deployment').metadata.name });
      assert.equal(hpa.spec?.minReplicas, expected.minReplicas);
      assert.equal(hpa.spec?.maxReplicas, expected.maxReplicas);
      assert.equal(one(objects, 'Deployment').spec?.replicas, undefined, 'the HPA, not the Deployment, owns replicas');
    });

    it('runs the worker non-root on a read-only root file system, with limits and probes on its health endpoint', async () => {
      const objects = await build(overlay);
      const pod = one(objects, 'Deployment').spec?.template.spec;
      const [container, ...others] = pod.containers;
      assert.equal(others.length, 0);
      assert.equal(pod.securityContext.runAsNonRoot, true);
      assert.ok(pod.securityContext.runAsUser > 0);
      assert.equal(pod.automountServiceAccountToken, false);
      assert.equal(pod.serviceAccountName, one(objects, 'ServiceAccount').metadata.name);
      assert.equal(container.securityContext.readOnlyRootFilesystem, true);
      assert.equal(container.securityContext.allowPrivilegeEscalation, false);
      assert.deepEqual(container.securityContext.capabilities.drop, ['ALL']);
      for (const field of ['requests', 'limits']) for (const r of ['cpu', 'memory']) assert.ok(container.resources[field][r], `${field}.${r}`);
      assert.match(container.image, /^[\w./-]+:\d+\.\d+\.\d+$/, 'image pinned to a version');
      const mounted = new Set(container.volumeMounts.map((m: { mountPath: string }) => m.mountPath));
      assert.ok(mounted.has('/tmp'), 'a writable /tmp beside the read-only root');

      const config = one(objects, 'ConfigMap');
      assert.deepEqual(container.envFrom, [{ configMapRef: { name: config.metadata.name } }], 'the generated (hashed) ConfigMap name');
      const env = config.data ?? {};
      assert.equal(loadConfig(env).TEMPORAL_NAMESPACE, expected.temporalNamespace, 'the worker accepts its configuration');
      assert.ok(env.TEMPORAL_ADDRESS);
      assert.ok(mounted.has(env.INFRA_IMPLEMENTOR_STATE_DIR!), 'the state directory is a volume');
      const healthPort = healthPortFromEnv(env);
      const metricsPort = loadConfig(env).INFRA_IMPLEMENTOR_METRICS_PORT;
      assert.deepEqual(container.ports, [{ name: 'health', containerPort: healthPort }, { name: 'metrics', containerPort: metricsPort }]);
      assert.deepEqual(one(objects, 'Deployment').spec?.template.metadata.annotations,
        { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(metricsPort), 'prometheus.io/path': '/metrics' }, 'Prometheus scrapes the port the worker serves');
      assert.deepEqual(container.livenessProbe.httpGet, { path: '/healthz', port: 'health' });
      assert.deepEqual(container.readinessProbe.httpGet, { path: '/readyz', port: 'health' });
    });

    it('runs from Git remotes: workspaces live in the state volume, credentials come from the Secret (read-only, optional), no volume pretends to hold repositories', async () => {
      const pod = one(await build(overlay), 'Deployment').spec?.template.spec;
      const container = pod.containers[0];
      const mounts = new Map(container.volumeMounts.map((m: { mountPath: string; name: string; readOnly?: boolean }) => [m.mountPath, m]));
      assert.ok(![...mounts.keys()].some((p) => p === '/repos'), 'no /repos volume');
      assert.ok(pod.volumes.some((v: { name: string; emptyDir?: { sizeLimit?: string } }) => v.name === 'state' && v.emptyDir?.sizeLimit), 'the state volume has room for workspaces and clones');
      const creds = pod.volumes.find((v: { name: string }) => v.name === 'git-credentials');
      assert.equal(creds?.secret?.optional, true);
      assert.equal((mounts.get('/etc/infra-implementor/git') as { readOnly?: boolean } | undefined)?.readOnly, true);
      const env = new Map((container.env ?? []).map((e: { name: string; value?: string; valueFrom?: { secretKeyRef?: { key: string; optional?: boolean } } }) => [e.name, e]));
      const token = env.get('INFRA_IMPLEMENTOR_GIT_TOKEN') as { valueFrom?: { secretKeyRef?: { key: string; optional?: boolean } } } | undefined;
      assert.equal(token?.valueFrom?.secretKeyRef?.key, 'INFRA_IMPLEMENTOR_GIT_TOKEN');
      assert.equal(token?.valueFrom?.secretKeyRef?.optional, true);
      const forge = env.get('INFRA_IMPLEMENTOR_FORGE_TOKEN') as typeof token;
      assert.deepEqual([forge?.valueFrom?.secretKeyRef?.key, forge?.valueFrom?.secretKeyRef?.optional], ['INFRA_IMPLEMENTOR_FORGE_TOKEN', true], 'the forge token for pull requests, from the Secret');
      assert.match(String((env.get('GIT_SSH_COMMAND') as { value?: string } | undefined)?.value), /-i \/etc\/infra-implementor\/git\/ssh-privatekey/);
    });

    it("the image's V8 heap budget and glibc arenas fit the pod's memory limit, and nothing overrides them", async () => {
      const container = one(await build(overlay), 'Deployment').spec?.template.spec.containers[0];
      const heapMb = Number(/--max-old-space-size=(\d+)/.exec(imageNodeEnv().NODE_OPTIONS ?? '')?.[1]);
      assert.ok(heapMb > 0, 'the image sets --max-old-space-size in NODE_OPTIONS');
      const limit = String(container.resources.limits.memory);
      const limitMb = Number(/^(\d+)(Mi|Gi)$/.exec(limit)?.[1]) * (limit.endsWith('Gi') ? 1024 : 1);
      assert.ok(heapMb <= limitMb / 2, `heap ${heapMb} MB leaves room in the ${limit} limit for the workflow thread, the SDK core and kubectl`);
      assert.ok(!(container.env ?? []).some((e: { name: string }) => e.name === 'NODE_OPTIONS'), 'the manifests keep the image\'s NODE_OPTIONS');
      // glibc's arenas: set by the image, read by the benchmark's worker too, not overridden here.
      assert.equal(imageNodeEnv().MALLOC_ARENA_MAX, '2');
      assert.ok(!(container.env ?? []).some((e: { name: string }) => e.name === 'MALLOC_ARENA_MAX'), 'the manifests keep the image\'s MALLOC_ARENA_MAX');
    });

    it('the NetworkPolicy selects the worker pods and allows no ingress but Prometheus on the metrics port', async () => {
      const objects = await build(overlay);
      const policy = one(objects, 'NetworkPolicy');
      const podLabels: Record<string, string> = one(objects, 'Deployment').spec?.template.metadata.labels;
      for (const [k, v] of Object.entries(policy.spec?.podSelector.matchLabels as Record<string, string>)) assert.equal(podLabels[k], v, k);
      assert.deepEqual(policy.spec?.policyTypes, ['Ingress', 'Egress']);
      const metricsPort = loadConfig(one(objects, 'ConfigMap').data ?? {}).INFRA_IMPLEMENTOR_METRICS_PORT;
      assert.deepEqual(policy.spec?.ingress, [{
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
        ports: [{ protocol: 'TCP', port: metricsPort }],
      }]);
    });
  });
}

describe('deploy/', () => {
  it('`infra-implementor check deploy --format json` passes: no failed validation, no finding but the SOPS template and unpinned-image suppressions', async () => {
    const result = await execa('node', [CLI, 'check', DEPLOY, '--format', 'json'], { reject: false });
    assert.equal(result.exitCode, 0, String(result.stdout) + String(result.stderr));
    const report = JSON.parse(String(result.stdout)) as {
      validations: { validator: string; target: string; status: string }[];
      findings: { check: string; file?: string; suppressed?: string }[];
    };
    assert.deepEqual(report.validations.filter((v) => v.status === 'fail'), []);
    for (const overlay of ['overlays/staging', 'overlays/production']) {
      assert.ok(report.validations.some((v) => v.validator === 'kustomize' && v.target === overlay && v.status === 'pass'), `${overlay} builds`);
      assert.ok(report.validations.some((v) => v.validator === 'schema' && v.target === overlay && v.status === 'pass'), `${overlay} passes the schema`);
    }
    assert.deepEqual(report.findings.filter((f) => !f.suppressed), [], 'no finding');
    // The suppressions: the placeholder template, which no kustomization includes, and the
    // production image tag, which a release pins by digest (the image is built from this repository).
    assert.deepEqual(report.findings.map((f) => [f.check, f.file]).sort(), [
      ['image-not-pinned', 'base/deployment.yaml'], ['plaintext-secret', 'secrets/infra-implementor.secret.yaml'],
    ]);
  });

  it('production reaches Temporal over mTLS: the TEMPORAL_TLS_* paths lie in a read-only mount of its own Secret; staging has none', async () => {
    const objects = await build('production');
    const pod = one(objects, 'Deployment').spec?.template.spec;
    const env = one(objects, 'ConfigMap').data ?? {};
    const mount = (pod.containers[0].volumeMounts as { name: string; mountPath: string; readOnly?: boolean }[]).find((m) => m.name === 'temporal-tls');
    assert.equal(mount?.readOnly, true);
    const volume = (pod.volumes as { name: string; secret?: { secretName: string; optional?: boolean } }[]).find((v) => v.name === 'temporal-tls');
    assert.equal(volume?.secret?.secretName, 'infra-implementor-temporal-tls');
    assert.notEqual(volume?.secret?.optional, true, 'a production worker without its certificate must not start');
    for (const [name, file] of [['TEMPORAL_TLS_CLIENT_CERT_PATH', 'tls.crt'], ['TEMPORAL_TLS_CLIENT_KEY_PATH', 'tls.key'], ['TEMPORAL_TLS_SERVER_CA_CERT_PATH', 'ca.crt']]) {
      assert.equal(env[name!], `${mount?.mountPath}/${file}`, name);
    }
    const staging = one(await build('staging'), 'ConfigMap').data ?? {};
    assert.deepEqual(Object.keys(staging).filter((k) => k.startsWith('TEMPORAL_TLS')), []);
  });

  it('the SOPS template names the Secret and the keys the Deployment reads', async () => {
    const secret = parse(readFileSync(path.join(DEPLOY, 'secrets/infra-implementor.secret.yaml'), 'utf8')) as K8sObject;
    const pod = one(await build('production'), 'Deployment').spec?.template.spec;
    const refs = (pod.containers[0].env as { valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } } }[])
      .flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef] : []));
    assert.ok(refs.length > 0);
    for (const ref of refs) {
      assert.equal(ref.name, secret.metadata.name);
      assert.ok(ref.key in (secret.stringData ?? {}), ref.key);
      assert.equal(ref.optional, true, 'the worker starts before the Secret exists');
    }
  });
});
