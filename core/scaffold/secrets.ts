// The new service's Secret, made the way its siblings make theirs (secret-mechanism.ts): an
// ExternalSecret of the same store and key naming, listed beside them; a SealedSecret or SOPS file
// to seal, as a template with the exact command; a Secret made outside Git, named alike; or, with
// nothing to learn from, a template and what must be created. Returns the Secret's name for the
// workload to read.
import { posix } from 'node:path';
import type { ImplementContext } from '../implementer';
import type { ServiceLayout } from '../patterns';
import { tokenRegExp } from '../repo-model';
import { get, nameOf, parseManifests, rec, str } from '../yaml-docs';
import { includeInKustomization, type Layout, type Obj, type PlanBuilder } from './builder';
import { renderManifest } from './edits';
import { renameValues, secretTemplateFor } from './objects';
import { secretMechanism, type Mechanism } from './secret-mechanism';

/** Where the new service's counterpart of a sibling's file goes. */
function placeFor(l: Layout, file: string, owner: ServiceLayout | undefined): string {
  if (owner && owner === l.exemplar) return l.mapPath(file);
  const rel = owner && file.startsWith(`${owner.baseDir}/`) ? posix.relative(owner.baseDir, file) : posix.basename(file);
  return posix.join(l.baseDir, owner ? rel.replace(tokenRegExp(owner.name), l.spec.service) : rel);
}

const renamed = <T>(v: T, owner: ServiceLayout | undefined, to: string): T => (owner ? renameValues(structuredClone(v), owner.name, to) : structuredClone(v));

/** The sibling's ExternalSecret for the new service: same store, same naming, the spec's keys. */
function externalSecretFor(m: Extract<Mechanism, { object: Obj }>, service: string, keys: string[]): { object: Obj; item: string; store: string } {
  const o = renamed(m.object, m.owner, service);
  const meta = (rec(o.metadata) ?? {}) as Obj;
  if (!m.owner) meta.name = service;
  const spec = (rec(o.spec) ?? {}) as Obj;
  const template = rec(get(spec, 'target', 'template'));
  if (rec(template?.data)) (template as Obj).data = Object.fromEntries(keys.map((k) => [k, `{{ .${k} }}`]));
  const data = Array.isArray(spec.data) ? (spec.data as unknown[]) : undefined;
  const first = rec(rec(data?.[0])?.remoteRef);
  if (data && first) {
    // `key: item/field` (1Password, Vault paths) keeps the item and names the field; a bare key names the value.
    const item = str(first.key)?.includes('/') ? (str(first.key) as string).replace(/\/[^/]*$/, '') : undefined;
    spec.data = keys.map((k) => ({ secretKey: k, remoteRef: { ...first, ...(first.property !== undefined ? { property: k } : { key: item ? `${item}/${k}` : k }) } }));
  }
  const item = str(get(spec, 'dataFrom', 0, 'extract', 'key')) ?? str(first?.key) ?? service;
  const store = `${str(get(spec, 'secretStoreRef', 'kind')) ?? 'SecretStore'} ${str(get(spec, 'secretStoreRef', 'name')) ?? '?'}`;
  return { object: o, item, store };
}

/** The name a Secret of the owner's becomes for the new service. */
const secretName = (name: string | undefined, owner: ServiceLayout | undefined, service: string) =>
  name && owner && tokenRegExp(owner.name, '').test(name) ? name.replace(tokenRegExp(owner.name), service) : `${service}-secrets`;


export async function planServiceSecret(b: PlanBuilder, l: Layout, ctx: ImplementContext, labels: Record<string, string>): Promise<string | undefined> {
  const { spec } = l;
  const keys = spec.secrets ?? [];
  if (!keys.length) return undefined;
  const m = await secretMechanism(b, ctx.profile, l.exemplar, (file, owner) => placeFor(l, file, owner));
  const template = (name: string, then: string, namespace?: string): Obj => {
    const t = secretTemplateFor(spec, labels);
    (t.metadata as Obj).name = name;
    if (namespace) (t.metadata as Obj).namespace = namespace;
    t.stringData = Object.fromEntries(keys.map((k) => [k, `<set ${k}${then}>`]));
    return t;
  };
  const list = keys.join(', ');
  switch (m.kind) {
    case 'external-secret': {
      const file = placeFor(l, m.file, m.owner);
      const { object, item, store } = externalSecretFor(m, spec.service, keys);
      b.write(file, renderManifest([object], [`the item "${item}" with the fields ${list} must exist in the store (${store})`]), `ExternalSecret of ${spec.service}`);
      await includeInKustomization(b, posix.dirname(file), file, `list the ExternalSecret of ${spec.service}`);
      b.assume(`Secret by ExternalSecret, as its siblings: ${m.why}`, file);
      b.dependencies.push({ kind: 'secret-value', description: `create the item "${item}" with the fields ${list} in ${store}` });
      return str(get(object, 'spec', 'target', 'name')) ?? str(get(object, 'metadata', 'name')) ?? spec.service;
    }
    case 'sealed-secret': {
      const sealed = placeFor(l, m.file, m.owner);
      const meta = rec(get(m.object, 'spec', 'template', 'metadata')) ?? rec(m.object.metadata) ?? {};
      const name = secretName(str(meta.name) ?? str(get(m.object, 'metadata', 'name')), m.owner, spec.service);
      // Sealed for the namespace the new service lands in (its kustomization's), not the sibling's.
      const kustomization = parseManifests('kustomization.yaml', (await b.read(posix.join(posix.dirname(sealed), 'kustomization.yaml'))) ?? '').docs[0]?.object;
      const sibling = str(get(m.object, 'metadata', 'namespace'));
      const namespace = str(kustomization?.namespace) ?? (sibling && m.owner && tokenRegExp(m.owner.name, '').test(sibling) ? sibling.replace(tokenRegExp(m.owner.name), spec.service) : undefined);
      const file = sealed.replace(/(\.ya?ml)$/, '.template$1');
      const command = `kubeseal --format yaml < ${file} > ${sealed}`;
      b.write(file, renderManifest([template(name, ', then seal it with kubeseal', namespace)], [
        `a template for kubeseal, not applied and not to be committed with values: fill them in, run ${command}, delete this file, list ${posix.basename(sealed)} in the kustomization`,
      ]), `Secret of ${spec.service} to seal`);
      b.assume(`Secret by SealedSecret, as its siblings: ${m.why}; it needs the cluster's sealing key, so ${file} is a template to seal`, file);
      b.dependencies.push({ kind: 'secret-value', description: `values for ${list}, sealed with ${command} (the controller's certificate: kubeseal --fetch-cert), then ${sealed} listed in ${posix.dirname(sealed)}/kustomization.yaml` });
      return name;
    }
    case 'sops': {
      const target = placeFor(l, m.file, m.owner);
      const name = secretName(nameOf(m.object), m.owner, spec.service);
      b.write(target, renderManifest([template(name, ', then encrypt it with sops')], [
        `fill in the values, encrypt in place (sops --encrypt --in-place ${target}; ${m.config} covers it with ${m.rule}), then list it in the kustomization`,
      ]), `Secret of ${spec.service} to encrypt`);
      b.assume(`Secret by SOPS, as its siblings: ${m.why}`, target);
      b.dependencies.push({ kind: 'sops-key', description: `fill in ${list} in ${target}, encrypt it with sops (${m.config}) and list it in ${posix.dirname(target)}/kustomization.yaml` });
      return name;
    }
    case 'existing': {
      const name = secretName(m.example, m.owner, spec.service);
      b.assume(`no Secret written: ${m.why}; ${spec.service} reads ${name}`, l.fileFor('Deployment'));
      b.dependencies.push({ kind: 'secret-value', description: `create the Secret ${name} with ${list} where ${m.example} is made (outside Git)` });
      return name;
    }
    case 'none': {
      const file = l.fileFor('Secret').replace(/\.ya?ml$/, '.template.yaml');
      const name = `${spec.service}-secrets`;
      b.write(file, renderManifest([template(name, '')], [`a template, not applied by any kustomization: ${m.why}; make the Secret ${name} the way this cluster makes Secrets`]), `Secret template of ${spec.service}`);
      b.assume(`the Secret ${name} (${list}) must be created before ${spec.service} can start: ${m.why}`, file);
      b.dependencies.push({ kind: 'secret-value', description: `create the Secret ${name} with ${list} (template: ${file})` });
      return name;
    }
  }
}
