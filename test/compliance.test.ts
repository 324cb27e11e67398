// Compliance checks, kube-linter style: each check has a fixture folder under
// test/fixtures/compliance/<id>/ in which every object named `fire*` must be reported by that check
// and nothing else may be (objects named `dont-fire*` are the clean twins). The fixtures run through
// the real engine, so rendering, source mapping and severities are exercised too.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { CHECKS, runCompliance, type CheckContext, type RenderedDoc } from '../core/compliance';
import { imageTag } from '../core/compliance/image-latest-or-untagged';
import { selectorMatches } from '../core/compliance/k8s';
import { namesASecret, notASecret } from '../core/compliance/secret-names';
import type { Finding } from '../core/schemas';
import { validateRepository } from '../validation';

const FIXTURES = path.join(import.meta.dirname, 'fixtures', 'compliance');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = path.join(dir, e);
    return statSync(p).isDirectory() ? [p, ...walk(p)] : [p];
  });
}

/** Names of everything in a fixture that must fire: objects and folders named fire*. */
function firingNames(dir: string): Set<string> {
  const names = new Set<string>();
  for (const p of walk(dir)) {
    if (statSync(p).isDirectory()) {
      if (path.basename(p).startsWith('fire')) names.add(path.basename(p));
      continue;
    }
    for (const doc of parseAllDocuments(readFileSync(p, 'utf8'))) {
      const name = (doc.toJS() as { metadata?: { name?: string } } | null)?.metadata?.name;
      if (name?.startsWith('fire')) names.add(name);
    }
  }
  return names;
}

const nameOf = (f: Finding): string => f.resource.split('/').pop() ?? f.resource;

async function findingsOf(id: string): Promise<Finding[]> {
  const { findings } = await validateRepository({ root: path.join(FIXTURES, id) });
  return findings.filter((f) => f.check === id);
}

describe('compliance fixtures', () => {
  it('every registered check has a fixture folder with a planted violation and a clean twin', () => {
    for (const check of CHECKS) {
      const dir = path.join(FIXTURES, check.id);
      assert.ok(existsSync(dir), `check ${check.id} has no fixture folder ${path.relative(process.cwd(), dir)}`);
      const text = walk(dir).map((p) => path.basename(p) + (statSync(p).isFile() ? readFileSync(p, 'utf8') : '')).join('\n');
      assert.match(text, /dont-fire/, `fixture of ${check.id} has no dont-fire* object`);
      assert.ok(firingNames(dir).size > 0, `fixture of ${check.id} has no fire* object`);
    }
  });

  it('no fixture folder is left without a registered check', () => {
    const ids = new Set(CHECKS.map((c) => c.id));
    for (const dir of readdirSync(FIXTURES)) assert.ok(ids.has(dir), `fixture folder ${dir} names no registered check`);
  });

  for (const check of CHECKS) {
    it(`${check.id}: fires on exactly the fire* objects, never on dont-fire*`, async () => {
      const findings = await findingsOf(check.id);
      const fired = new Set(findings.map(nameOf));
      assert.deepEqual([...fired].sort(), [...firingNames(path.join(FIXTURES, check.id))].sort());
      for (const f of findings) {
        assert.ok(f.message.length > 0);
        if (check.id !== 'kustomize-build-failed') assert.ok(f.file && f.line, `${f.resource} is located at file:line`);
      }
    });
  }
});

describe('compliance specifics', () => {
  it('plaintext-secret is an error in production and a warning elsewhere; ENC values alone are not enough', async () => {
    const findings = await findingsOf('plaintext-secret');
    const by = (name: string) => findings.find((f) => nameOf(f) === name);
    assert.equal(by('fire-plaintext-production')?.severity, 'error');
    assert.equal(by('fire-plaintext-production')?.target, 'production');
    assert.equal(by('fire-plaintext-staging')?.severity, 'warning');
    assert.match(by('fire-half-encrypted')?.message ?? '', /plain-text value\(s\): data\.b/);
    assert.match(by('fire-fake-sops-block')?.message ?? '', /no SOPS metadata/);
  });

  it('findings point at the line and column of the offending field', async () => {
    const findings = await findingsOf('host-namespaces');
    const f = findings.find((x) => nameOf(x) === 'fire-host-pid-ipc');
    assert.equal(f?.file, 'manifests.yaml');
    const lines = readFileSync(path.join(FIXTURES, 'host-namespaces', 'manifests.yaml'), 'utf8').split('\n');
    const line = lines[(f?.line ?? 0) - 1] ?? '';
    assert.equal(line.trim(), 'hostPID: true');
    assert.equal(f?.column, line.indexOf('hostPID') + 1);
    assert.match(f?.message ?? '', /hostPID, hostIPC/);
  });

  it('a field a kustomize patch adds is located at the patch: the hand-added istio-proxy of dont-fire-istio-patch', async () => {
    const { findings } = await validateRepository({ root: path.join(FIXTURES, 'missing-probes') });
    const proxy = findings.filter((f) => f.message.includes('"istio-proxy"') && f.resource === 'Deployment/dont-fire-istio-patch');
    assert.ok(proxy.length > 0, 'the proxy is judged by the other checks');
    assert.equal(proxy.filter((f) => f.check === 'missing-probes').length, 0, 'the mesh probes its proxy');
    const text = readFileSync(path.join(FIXTURES, 'missing-probes', 'dont-fire-istio-patch', 'mesh', 'sidecar.yaml'), 'utf8').split('\n');
    for (const f of proxy) {
      assert.equal(f.file, 'dont-fire-istio-patch/mesh/sidecar.yaml', `${f.check} points at the patch`);
      assert.equal(text[(f.line ?? 0) - 1]?.trim(), '- name: istio-proxy', f.check);
    }
  });

  it('a container a JSON 6902 patch file adds is located at the operation: the istio-proxy and istio-init of dont-fire-istio-json6902', async () => {
    const { findings } = await validateRepository({ root: path.join(FIXTURES, 'missing-probes') });
    const mine = findings.filter((f) => f.resource === 'Deployment/dont-fire-istio-json6902');
    const text = readFileSync(path.join(FIXTURES, 'missing-probes', 'dont-fire-istio-json6902', 'mesh', 'sidecar.patch.yaml'), 'utf8').split('\n');
    const proxy = mine.filter((f) => f.message.includes('"istio-proxy"'));
    const init = mine.filter((f) => f.message.includes('"istio-init"'));
    assert.ok(proxy.length > 0 && init.length > 0, 'both added containers are judged');
    assert.equal(mine.filter((f) => f.check === 'missing-probes').length, 0, 'the mesh probes its proxy');
    for (const f of proxy) {
      assert.equal(f.file, 'dont-fire-istio-json6902/mesh/sidecar.patch.yaml', `${f.check} points at the patch`);
      assert.equal(text[(f.line ?? 0) - 1]?.trim(), 'value:', `${f.check} at the operation adding containers/1`);
      assert.equal(text[(f.line ?? 0) - 2]?.trim(), 'path: /spec/template/spec/containers/1', f.check);
    }
    for (const f of init) {
      assert.equal(f.file, 'dont-fire-istio-json6902/mesh/sidecar.patch.yaml', `${f.check} points at the patch`);
      // a field of the container the patch sets, else the container's own item
      assert.match(text[(f.line ?? 0) - 1]?.trim() ?? '', /^(- name: istio-init|securityContext: )/, f.check);
    }
    // the base's own container stays placed in the base
    assert.ok(mine.filter((f) => f.message.includes('"dont-fire-istio-json6902"')).every((f) => f.file === 'dont-fire-istio-json6902/base/deployment.yaml'));
  });

  it('the suppression annotation silences the new checks on their own objects (an RBAC binding, a workload), with the reason', async () => {
    const binding = (await findingsOf('rbac-cluster-admin-binding')).find((f) => nameOf(f) === 'fire-suppressed-break-glass');
    assert.equal(binding?.suppressed, 'break-glass account, audited');
    const agent = (await findingsOf('host-path-volume')).find((f) => nameOf(f) === 'fire-suppressed-node-agent');
    assert.equal(agent?.suppressed, 'node-exporter reads /proc');
    const others = (await findingsOf('rbac-cluster-admin-binding')).filter((f) => nameOf(f) !== 'fire-suppressed-break-glass');
    assert.ok(others.length > 0 && others.every((f) => f.suppressed === undefined));
  });

  it('the five corrected judgements say what is wrong: Unconfined, group 0, the open direction, the pod\'s own true, the sidecar left alone', async () => {
    const by = async (id: string, name: string) => (await findingsOf(id)).filter((f) => nameOf(f) === name).map((f) => f.message);
    assert.deepEqual(await by('seccomp-profile-missing', 'fire-container-unconfined-under-runtime-default'), ['container "debug" runs Unconfined by seccomp (its securityContext.seccompProfile.type: Unconfined)']);
    assert.deepEqual(await by('run-as-non-root', 'fire-group-zero'), ['container "main" runs as group 0, root\'s group (its securityContext.runAsGroup: 0)']);
    assert.deepEqual(await by('missing-network-policy', 'fire-ingress-only'), ['workload reads a Secret into its environment and its egress is open: NetworkPolicy/policy-ingress-only restricts ingress only']);
    assert.deepEqual(await by('missing-network-policy', 'fire-egress-only'), ['workload reads a Secret into its environment and its ingress is open: NetworkPolicy/policy-egress-only restricts egress only']);
    assert.deepEqual(await by('service-account-token-mounted', 'fire-pod-overrides-account'), ['pod runs as the default service account with its API token mounted (its pod spec sets automountServiceAccountToken: true)']);
    assert.deepEqual(await by('missing-probes', 'fire-main-named-by-service'), ['container "app" has no livenessProbe and no readinessProbe']);
  });

  it('kustomize-build-failed carries the tool error and names the overlay', async () => {
    const [f, ...rest] = await findingsOf('kustomize-build-failed');
    assert.equal(rest.length, 0);
    assert.equal(f?.target, 'fire-broken');
    assert.equal(f?.severity, 'error');
    assert.match(f?.message ?? '', /configmap\.yaml/);
  });
});

describe('compliance specifics: secrets in the clear, availability, ports and ingress', () => {
  const ISSUE_25 = [
    'secret-in-env', 'secret-in-configmap', 'missing-pod-disruption-budget', 'single-replica', 'missing-anti-affinity',
    'probe-port-undeclared', 'service-target-port-undeclared', 'ingress-backend-missing', 'ingress-missing-tls',
  ];

  it('each new check honours the suppression annotation of its fire-suppressed* object, and only that one', async () => {
    for (const id of ISSUE_25) {
      const findings = await findingsOf(id);
      const suppressed = findings.filter((f) => f.suppressed !== undefined).map(nameOf);
      assert.equal(suppressed.length, 1, id);
      assert.match(suppressed[0] ?? '', /^fire-suppressed/, id);
      assert.equal(findings.find((f) => f.suppressed !== undefined)?.suppressed, 'fixture: suppression works', id);
    }
  });

  it('a literal secret is an error in production and a warning elsewhere, and its value is never printed', async () => {
    for (const id of ['secret-in-env', 'secret-in-configmap']) {
      const findings = await findingsOf(id);
      for (const f of findings) assert.equal(f.severity, f.target === 'production' ? 'error' : 'warning', `${id} ${f.resource}`);
      assert.ok(findings.some((f) => f.target === 'production'), id);
      for (const f of findings) assert.doesNotMatch(f.message, /hunter2|fixture-not-a-real/, id);
    }
    const env = await findingsOf('secret-in-env');
    // Both containers of fire-camel-case-token are reported: the init container's SECRET_KEY_BASE too.
    assert.deepEqual(env.filter((f) => nameOf(f) === 'fire-camel-case-token').map((f) => f.message.match(/sets (\S+)/)?.[1]).sort(), ['SECRET_KEY_BASE', 'githubToken']);
  });

  it('a named probe port or Service targetPort nobody declares is an error; a numeric one a warning', async () => {
    const probes = await findingsOf('probe-port-undeclared');
    const sev = (fs: Finding[], name: string) => fs.find((f) => nameOf(f) === name)?.severity;
    assert.equal(sev(probes, 'fire-named-port-missing'), 'error');
    assert.equal(sev(probes, 'fire-named-port-of-sidecar'), 'error', 'the kubelet resolves a named probe port in its own container only');
    assert.equal(sev(probes, 'fire-numeric-port-stale'), 'warning');
    const services = await findingsOf('service-target-port-undeclared');
    assert.equal(sev(services, 'fire-named-target-missing'), 'error');
    assert.equal(sev(services, 'fire-numeric-target-stale'), 'warning');
    assert.match(services.find((f) => nameOf(f) === 'fire-target-defaults-to-port')?.message ?? '', /targets 80, .*declare 8080/);
  });

  it('ingress-backend-missing names the missing Service or port, and is silent where the Service may be applied elsewhere', async () => {
    const findings = await findingsOf('ingress-backend-missing');
    const msg = (name: string) => findings.find((f) => nameOf(f) === name)?.message ?? '';
    assert.match(msg('fire-service-typo'), /Service wbe does not exist/);
    assert.match(msg('fire-port-name'), /web has no port "grpc"/);
    assert.match(msg('fire-port-number'), /web has no port 8080/);
    assert.ok(findings.every((f) => f.target === 'app'), 'the lonely Ingress (no Service of its namespace rendered) is not judged');
  });

  it('the availability checks judge production overlays only', async () => {
    for (const id of ['missing-pod-disruption-budget', 'single-replica', 'missing-anti-affinity', 'ingress-missing-tls']) {
      const findings = await findingsOf(id);
      assert.ok(findings.length > 0, id);
      assert.ok(findings.every((f) => f.target === 'production'), id);
    }
  });
});

describe('compliance runner (pure)', () => {
  const ctx: CheckContext = { target: 'apps/prod', production: true, directories: new Set(['.']), definedSources: new Set() };
  const pod = (annotations: Record<string, string>): RenderedDoc => ({
    object: {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', annotations },
      spec: { hostNetwork: true, containers: [{ name: 'c', image: 'x:1' }] },
    },
    file: 'p.yaml', line: 1,
  });

  it('a suppression annotation keeps the finding with its reason and touches no other check', () => {
    const findings = runCompliance([pod({ 'infra-implementor.io/ignore-check.host-namespaces': 'node agent' })], ctx);
    const host = findings.find((f) => f.check === 'host-namespaces');
    assert.equal(host?.suppressed, 'node agent');
    const other = findings.find((f) => f.check === 'run-as-non-root');
    assert.ok(other, 'the pod is judged by run-as-non-root too');
    assert.equal(other.suppressed, undefined);
  });

  it('an empty suppression reason still suppresses, and says so', () => {
    const findings = runCompliance([pod({ 'infra-implementor.io/ignore-check.host-namespaces': '' })], ctx);
    assert.equal(findings.find((f) => f.check === 'host-namespaces')?.suppressed, 'no reason given');
  });

  it('an API removed at the target Kubernetes or Flux version is an error; one removed later a warning naming the release', () => {
    const doc = (apiVersion: string, kind: string): RenderedDoc => ({ object: { apiVersion, kind, metadata: { name: 'x' } }, file: 'x.yaml', line: 1 });
    const judge = (d: RenderedDoc, versions: Partial<CheckContext>) => runCompliance([d], { ...ctx, ...versions }).filter((f) => f.check === 'removed-api-version').map((f) => `${f.severity}: ${f.message}`);
    const hpa = doc('autoscaling/v2beta2', 'HorizontalPodAutoscaler');
    assert.deepEqual(judge(hpa, { kubeVersion: '1.25.0' }), ['warning: HorizontalPodAutoscaler autoscaling/v2beta2 is deprecated: removed in Kubernetes 1.26; use autoscaling/v2']);
    assert.deepEqual(judge(hpa, { kubeVersion: '1.34.0' }), ['error: HorizontalPodAutoscaler autoscaling/v2beta2 is not served by Kubernetes 1.34.0 (removed in Kubernetes 1.26); use autoscaling/v2']);
    const release = doc('helm.toolkit.fluxcd.io/v2beta2', 'HelmRelease');
    assert.deepEqual(judge(release, { fluxVersion: '2.7' }), ['warning: HelmRelease helm.toolkit.fluxcd.io/v2beta2 is deprecated: removed in Flux 2.8; use helm.toolkit.fluxcd.io/v2']);
    assert.deepEqual(judge(release, {}), ['error: HelmRelease helm.toolkit.fluxcd.io/v2beta2 is not served by Flux 2.9 (removed in Flux 2.8); use helm.toolkit.fluxcd.io/v2']);
    assert.deepEqual(judge(doc('extensions/v1beta1', 'Ingress'), { kubeVersion: '1.21' }), ['warning: Ingress extensions/v1beta1 is deprecated: removed in Kubernetes 1.22; use networking.k8s.io/v1']);
    assert.deepEqual(judge(doc('policy/v1', 'PodDisruptionBudget'), {}), []);
  });

  it('checks beyond the checklist are warnings; checklist ids are errors', () => {
    const extras = [
      'image-latest-or-untagged', 'privileged-container', 'host-namespaces', 'run-as-non-root', 'read-only-root-fs', 'deployment-selector-mismatch',
      'privilege-escalation-allowed', 'seccomp-profile-missing', 'service-account-token-mounted', 'host-port', 'image-not-pinned',
      'image-tag-floating', 'removed-api-version', 'rbac-cluster-admin-binding', 'rbac-wildcard-rule', 'rbac-secrets-read', 'rbac-pod-exec',
      'dangerous-capabilities', 'net-raw-not-dropped', 'host-path-volume', 'host-path-writable', 'container-runtime-socket',
    ];
    // Issue 25: warnings by default (errors per finding where the object cannot work); a missing Ingress backend always answers 503.
    const issue25 = [
      'secret-in-env', 'secret-in-configmap', 'missing-pod-disruption-budget', 'single-replica', 'missing-anti-affinity',
      'probe-port-undeclared', 'service-target-port-undeclared', 'ingress-missing-tls',
    ];
    for (const c of CHECKS) {
      const warning = extras.includes(c.id) || issue25.includes(c.id) || c.id === 'plaintext-secret';
      assert.equal(c.severity, warning ? 'warning' : 'error', c.id);
    }
    for (const c of CHECKS) assert.ok(c.help.length > 40, `${c.id} has help text`);
  });

  it('reads image tags past a registry port and digests', () => {
    assert.equal(imageTag('nginx'), undefined);
    assert.equal(imageTag('registry:5000/a/b'), undefined);
    assert.equal(imageTag('registry:5000/a/b:1.2'), '1.2');
    assert.equal(imageTag('nginx@sha256:abc'), undefined);
  });

  it('tells names that hold a secret from names that point at one, and values that cannot be one', () => {
    const secret = ['DB_PASSWORD', 'dbPassword', 'api-token', 'CLIENT_SECRET', 'SECRET_KEY_BASE', 'tls.key', 'AZURE_STORAGE_ACCOUNT_KEY', 'AWS_SECRET_ACCESS_KEY', 'password'];
    const not = ['KEY_FILE', 'TOKEN_PATH', 'DB_SECRET_NAME', 'PUBLIC_KEY', 'CACHE_KEY', 'MINIO_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'TOKEN_TTL', 'PASSWORD_MIN_LENGTH', 'key', 'LOG_LEVEL', 'BYPASS'];
    for (const n of secret) assert.ok(namesASecret(n), n);
    for (const n of not) assert.ok(!namesASecret(n), n);
    for (const v of ['', '$(DB_PASS)', '${TOKEN}', 'op://vault/item/field', 'vault:secret/data/x#k', '/etc/secret/key', 'true', 'No', '0']) assert.ok(notASecret(v), v);
    for (const v of ['hunter2', 'changeme', 'postgres://u:p@db/app']) assert.equal(notASecret(v), undefined, v);
  });

  it('evaluates label selectors with every operator', () => {
    const labels = { app: 'web', tier: 'front' };
    assert.ok(selectorMatches({}, labels));
    assert.ok(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }] }, labels));
    assert.ok(!selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }, labels));
    assert.ok(selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, labels));
    assert.ok(!selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, labels));
    assert.ok(!selectorMatches({ matchLabels: { app: 'api' } }, labels));
  });
});
