// The scaffold mirrors what the new service's siblings really use, on trimmed copies of real
// repositories (test/fixtures/real, licences kept): their Secret mechanism (ExternalSecret,
// SealedSecret, SOPS where .sops.yaml covers the path), their network policy kind (Cilium), their
// list order and entry style, only the dependencies they share, and resources that pass the checklist.
// Each test asserts the exact files written, that `kubectl kustomize` builds the new folder, and that
// `check` finds nothing new.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import { parse, parseAllDocuments } from 'yaml';
import { ServiceSpec, type Finding } from '../core/schemas';
import { directions } from '../core/compliance/missing-network-policy';
import { validateRepository } from '../validation';
import { gitCopy } from './helpers/repo';
import { scaffoldRun } from './helpers/scaffold-run';

const REAL = path.join(import.meta.dirname, 'fixtures', 'real');
const SPEC = {
  service: 'orders', image: 'ghcr.io/acme/orders:1.4.2', port: 8080, replicas: 2, config: { LOG_LEVEL: 'info' },
  secrets: ['DB_PASSWORD'], ingress: { host: 'orders.example.com' }, sensitive: true,
};
const read = (root: string, f: string) => readFileSync(path.join(root, f), 'utf8');
const yaml = <T>(root: string, f: string) => parse(read(root, f).replace(/^# REVIEW:.*\n/gm, '')) as T;
const kustomize = (root: string, dir: string) => execa('kubectl', ['kustomize', '--load-restrictor=LoadRestrictionsNone', path.join(root, dir)], { reject: false });

const key = (f: Finding) => `${f.check} ${f.severity} ${f.file ?? f.target}: ${f.message}`;
const findings = async (root: string) => (await validateRepository({ root })).findings.filter((f) => !f.suppressed).map(key);

/** A scaffold run on a fresh copy of the fixture, with what `check` says before and after. */
async function run(fixture: string, spec: Record<string, unknown> = SPEC) {
  const root = await gitCopy(path.join(REAL, fixture));
  const before = await findings(root);
  const result = await scaffoldRun(root, ServiceSpec.parse(spec));
  const after = await findings(root);
  const added = after.filter((f) => { const i = before.indexOf(f); if (i >= 0) before.splice(i, 1); return i < 0; });
  const texts = result.changeSets.flatMap((c) => c.assumptions.map((a) => `${a.file ?? ''}: ${a.text}`));
  const deps = result.changeSets.flatMap((c) => c.dependencies.map((d) => `[${d.kind}] ${d.description}`));
  return { root, ...result, added, assumptions: texts.join('\n'), deps };
}

const resourcesOf = (list: string) => [...list.matchAll(/^ *- (.+)$/gm)].map((m) => m[1]);

describe('scaffold beside services with ExternalSecrets and CiliumNetworkPolicies (jfroy/flatops)', () => {
  it('writes an ExternalSecret of the same store and naming and a CiliumNetworkPolicy, listed in the sorted lists', async () => {
    const r = await run('cilium-jfroy');
    const dir = 'kubernetes/apps/default/orders';
    assert.deepEqual(r.written, [
      'kubernetes/apps/default/kustomization.yaml',
      `${dir}/app/externalsecret.yaml`, `${dir}/app/helmrelease.yaml`, `${dir}/app/kustomization.yaml`, `${dir}/app/networkpolicy.yaml`,
      `${dir}/ks.yaml`,
    ]);
    // The namespace list is sorted (after its namespace and a bare comment line): orders goes between buildkit and plex.
    assert.match(read(r.root, 'kubernetes/apps/default/kustomization.yaml'), /- \.\/namespace\.yaml\n {2}#\n {2}- \.\/buildkit\/ks\.yaml\n {2}- \.\/orders\/ks\.yaml\n {2}- \.\/plex\/ks\.yaml\n/);
    const app = yaml<{ resources: string[]; configMapGenerator?: unknown }>(r.root, `${dir}/app/kustomization.yaml`);
    assert.deepEqual(app.resources, ['./externalsecret.yaml', './helmrelease.yaml', './networkpolicy.yaml'], 'sorted, ./ entries, like its siblings');
    assert.equal(app.configMapGenerator, undefined, "buildkit's own config is not carried over");

    const es = yaml<{ kind: string; metadata: { name: string }; spec: Record<string, unknown> }>(r.root, `${dir}/app/externalsecret.yaml`);
    assert.equal(es.kind, 'ExternalSecret');
    assert.deepEqual(es.spec, { secretStoreRef: { kind: 'ClusterSecretStore', name: 'onepassword' }, target: { name: 'orders-secret' }, dataFrom: [{ extract: { key: 'orders' } }] });
    const release = read(r.root, `${dir}/app/helmrelease.yaml`);
    assert.match(release, /envFrom:\n\s+- secretRef:\n\s+name: orders-secret/);
    assert.doesNotMatch(release, /buildctl|privileged: true|cronjob/, "buildkit's tooling and privileges stay with buildkit");
    const values = yaml<{ spec: { values: { controllers: Record<string, { containers: Record<string, { resources: unknown }> }> } } }>(r.root, `${dir}/app/helmrelease.yaml`).spec.values;
    const container = Object.values(Object.values(values.controllers)[0]?.containers ?? {})[0];
    assert.deepEqual(Object.keys((container?.resources ?? {}) as object).sort(), ['limits', 'requests']);
    assert.match(r.assumptions, /buildkit sets no resources\.requests\.memory, resources\.limits\.cpu, resources\.limits\.memory, which the checklist requires/);

    const policy = yaml<{ apiVersion: string; kind: string; spec: { endpointSelector: unknown } }>(r.root, `${dir}/app/networkpolicy.yaml`);
    assert.equal(policy.apiVersion, 'cilium.io/v2');
    assert.equal(policy.kind, 'CiliumNetworkPolicy');
    assert.deepEqual(policy.spec.endpointSelector, { matchLabels: { 'app.kubernetes.io/name': 'orders' } });
    assert.deepEqual(directions(policy), ['ingress', 'egress'], 'both directions fenced, as missing-network-policy wants');
    assert.match(read(r.root, `${dir}/app/networkpolicy.yaml`), /^# REVIEW: egress allowed to DNS \(k8s-app: kube-dns in kube-system, port 53\) and to the pods of its own namespace only/m);

    assert.match(r.assumptions, /externalsecret\.yaml: Secret by ExternalSecret, as its siblings: services beside buildkit use 5 ExternalSecrets/);
    assert.ok(r.deps.includes('[secret-value] create the item "orders" with the fields DB_PASSWORD in ClusterSecretStore onepassword'), r.deps.join('\n'));
    assert.equal((await kustomize(r.root, `${dir}/app`)).exitCode, 0);
    assert.equal((await kustomize(r.root, 'kubernetes/apps/default')).exitCode, 0);
    assert.deepEqual(r.added, []);
  });
});

describe('scaffold in a SOPS repository (haraldkoch/kochhaus-home)', () => {
  it('writes the Secret as its siblings name theirs, where a creation rule covers it, to fill in and encrypt', async () => {
    const r = await run('sops-haraldkoch');
    const dir = 'kubernetes/apps/base/default/orders';
    assert.deepEqual(r.written, [
      `${dir}/helmrelease.yaml`, `${dir}/kustomization.yaml`, `${dir}/networkpolicy.yaml`, `${dir}/ocirepository.yaml`, `${dir}/secret.sops.yaml`,
      'kubernetes/main/apps/default/kustomization.yaml', 'kubernetes/main/apps/default/orders.yaml',
    ]);
    const secret = yaml<{ kind: string; metadata: { name: string }; stringData: Record<string, string> }>(r.root, `${dir}/secret.sops.yaml`);
    assert.equal(secret.metadata.name, 'orders', 'named after the service, as static-web and opnsense-backup are');
    assert.deepEqual(secret.stringData, { DB_PASSWORD: '<set DB_PASSWORD, then encrypt it with sops>' });
    assert.match(read(r.root, `${dir}/secret.sops.yaml`), /^# REVIEW: .*sops --encrypt --in-place kubernetes\/apps\/base\/default\/orders\/secret\.sops\.yaml; \.sops\.yaml covers it with \(bootstrap\|kubernetes\)/m);
    assert.ok(!resourcesOf(read(r.root, `${dir}/kustomization.yaml`)).includes('./secret.sops.yaml'), 'not applied before it is encrypted');
    assert.match(r.assumptions, /Secret by SOPS, as its siblings: .*and \.sops\.yaml has a creation rule for kubernetes\/apps\/base\/default\/orders\/secret\.sops\.yaml/);
    assert.ok(r.deps.some((d) => d.startsWith('[sops-key] fill in DB_PASSWORD in kubernetes/apps/base/default/orders/secret.sops.yaml')), r.deps.join('\n'));
    assert.match(read(r.root, `${dir}/helmrelease.yaml`), /secretRef:\n\s+name: orders\n/);
    assert.match(read(r.root, `${dir}/helmrelease.yaml`), /service:\n {6}app:\n {8}controller: main\n {8}ports:\n {10}http:\n {12}port: 8080\n/, 'a Service for the port, which opnsense-backup has none of');
    assert.doesNotMatch(read(r.root, `${dir}/helmrelease.yaml`).replace(/^# REVIEW:.*\n/gm, ''), /cronjob|restartPolicy/, "opnsense-backup's cron shape is its own");
    assert.match(read(r.root, 'kubernetes/main/apps/default/kustomization.yaml'), /- \.\/opnsense-backup\.yaml\n {2}- \.\/orders\.yaml\n {2}- \.\/static-web\.yaml/);
    assert.equal((await kustomize(r.root, dir)).exitCode, 0);
    assert.equal((await kustomize(r.root, 'kubernetes/main/apps/default')).exitCode, 0);
    assert.deepEqual(r.added, []);
  });
});

describe('scaffold beside SealedSecrets and Argo CD Applications (SIMULATAN/k8s-ops)', () => {
  it('writes a template to seal for the new namespace, the Application, and keeps the exemplar\'s order and .yml style', async () => {
    const r = await run('sealed-secrets-simulatan');
    assert.deepEqual(r.written, [
      'orders/configmap.yml', 'orders/deployment.yml', 'orders/ingress.yml', 'orders/kustomization.yaml', 'orders/networkpolicy.yml',
      'orders/orders.argo.yml', 'orders/secret.template.yml', 'orders/service.yml',
    ]);
    // hedgedoc lists deployment, service, ingress in that order (unsorted): the mirror keeps it, new kinds after.
    assert.deepEqual(resourcesOf(read(r.root, 'orders/kustomization.yaml')), ['./deployment.yml', './service.yml', './ingress.yml', './configmap.yml', './networkpolicy.yml']);
    const template = yaml<{ metadata: { name: string; namespace: string } }>(r.root, 'orders/secret.template.yml');
    assert.deepEqual([template.metadata.name, template.metadata.namespace], ['orders', 'orders'], 'named like speedtest-tracker\'s and lldap\'s, sealed for the namespace orders lands in');
    assert.match(r.assumptions, /secret\.template\.yml: Secret by SealedSecret, as its siblings/);
    assert.ok(r.deps.some((d) => d.includes('kubeseal --format yaml < orders/secret.template.yml > orders/secret.yml')), r.deps.join('\n'));
    const app = yaml<{ kind: string; spec: { source: { path: string }; destination: { namespace: string } } }>(r.root, 'orders/orders.argo.yml');
    assert.deepEqual([app.kind, app.spec.source.path, app.spec.destination.namespace], ['Application', 'orders', 'orders']);
    assert.match(read(r.root, 'orders/deployment.yml'), /secretRef:\n\s+name: orders\n/);
    assert.equal((await kustomize(r.root, 'orders')).exitCode, 0);
    assert.deepEqual(r.added, []);
  });
});

describe('scaffold beside Calico policies', () => {
  // No licensed public repository with per-service Calico policies was found (see EXPECTED.md): the
  // SealedSecret tree above, with a Calico NetworkPolicy given to hedgedoc in the test.
  it('writes a projectcalico.org NetworkPolicy whose selector check reads as covering the new service', async () => {
    const root = await gitCopy(path.join(REAL, 'sealed-secrets-simulatan'));
    writeFileSync(path.join(root, 'hedgedoc/networkpolicy.yml'), 'apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  name: hedgedoc\nspec:\n  selector: app == \'hedgedoc\'\n  types: [Ingress]\n  ingress:\n    - action: Allow\n      source:\n        selector: all()\n');
    writeFileSync(path.join(root, 'hedgedoc/kustomization.yaml'), `${read(root, 'hedgedoc/kustomization.yaml')}  - ./networkpolicy.yml\n`);
    const before = await findings(root);
    await scaffoldRun(root, ServiceSpec.parse({ ...SPEC, ingress: undefined }));
    const policy = yaml<{ apiVersion: string; kind: string; spec: { selector: string; ingress: { source: unknown }[] } }>(root, 'orders/networkpolicy.yml');
    assert.deepEqual([policy.apiVersion, policy.kind, policy.spec.selector], ['projectcalico.org/v3', 'NetworkPolicy', "app == 'orders'"]);
    assert.deepEqual(policy.spec.ingress.map((r) => r.source), [{ selector: 'all()' }]);
    assert.deepEqual(directions(policy), ['ingress', 'egress']);
    assert.deepEqual((await findings(root)).filter((f) => !before.includes(f)), []);
  });
});

describe('scaffold in a plain Kustomize tree whose lists are kept in no order (argoproj/argo-cd manifests)', () => {
  it('adds entries after their like without reordering, and writes no Secret where the siblings\' Secrets are made outside Git', async () => {
    const r = await run('kustomize-argo-cd', { ...SPEC, ingress: undefined });
    const listed = resourcesOf(read(r.root, 'manifests/base/dex/kustomization.yaml'));
    const original = resourcesOf(read(path.join(REAL, 'kustomize-argo-cd'), 'manifests/base/dex/kustomization.yaml'));
    assert.deepEqual(listed.slice(0, original.length), original, 'the existing order stays');
    assert.deepEqual(listed.slice(original.length), ['orders-deployment.yaml', 'orders-configmap.yaml', 'orders-service.yaml', 'orders-networkpolicy.yaml']);
    assert.ok(!r.written.some((f) => /secret/.test(f)), r.written.join(', '));
    assert.equal((await kustomize(r.root, 'manifests/base')).exitCode, 0);
    assert.deepEqual(r.added, []);
  });
});

describe('scaffold from an exemplar with dependencies of its own (onedr0p/home-ops, slskd)', () => {
  it('drops the dependsOn and components the siblings do not share, with an assumption; replicas: N applies', async () => {
    const r = await run('home-ops-slskd');
    const ks = read(r.root, 'kubernetes/apps/default/orders/ks.yaml');
    assert.doesNotMatch(ks, /dependsOn|multus|components/);
    assert.match(r.assumptions, /slskd's dependsOn multus-networks not copied: no more than 1 of its 2 siblings depend on it/);
    assert.ok(!r.written.some((f) => /multus/.test(read(r.root, f))), 'no trace of the network attachment');
    const release = parseAllDocuments(read(r.root, 'kubernetes/apps/default/orders/app/helmrelease.yaml'))[0]?.toJS() as { spec: { values: { controllers: Record<string, { replicas: number }> } } };
    assert.equal(Object.values(release.spec.values.controllers)[0]?.replicas, 2);
    const bad = ServiceSpec.safeParse({ ...SPEC, replicas: 'two' });
    assert.equal(bad.success, false);
    assert.match(bad.error?.issues[0]?.message ?? '', /^must be a number of replicas, or a map of environment to number$/);
    assert.equal((await kustomize(r.root, 'kubernetes/apps/default')).exitCode, 0);
    assert.deepEqual(r.added, []);
  });

  it('keeps a dependsOn that most siblings share (here made so: smtp-relay depends on multus-networks too)', async () => {
    const root = await gitCopy(path.join(REAL, 'home-ops-slskd'));
    const smtp = path.join(root, 'kubernetes/apps/default/smtp-relay/ks.yaml');
    writeFileSync(smtp, read(root, 'kubernetes/apps/default/smtp-relay/ks.yaml').replace('spec:\n', 'spec:\n  dependsOn:\n    - name: multus-networks\n      namespace: kube-system\n'));
    const { changeSets } = await scaffoldRun(root, ServiceSpec.parse(SPEC));
    assert.match(read(root, 'kubernetes/apps/default/orders/ks.yaml'), /dependsOn:\n {4}- name: multus-networks\n {6}namespace: kube-system\n/);
    assert.match(changeSets.flatMap((c) => c.assumptions.map((a) => a.text)).join('\n'), /dependsOn multus-networks kept: most services beside slskd depend on it too/);
  });
});
