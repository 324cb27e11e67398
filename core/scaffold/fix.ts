// The scaffold's fix: deterministic repairs of the error findings on files the run wrote — labels
// by the repository's convention, requests and limits, probes, a Service selector, a NetworkPolicy
// for a sensitive workload. What it cannot repair (a tool failure, a finding on a file it did not
// write) it says, so the run escalates with the rest rather than looping.
import { posix } from 'node:path';
import { blockingFindings } from '../blocking-findings';
import { LABEL_GROUPS } from '../repo-model/labels';
import type { FixRequest, ImplementContext, RepoReader } from '../implementer';
import type { ChangeSet, Finding } from '../schemas';
import { arr, get, kindOf, nameOf, parseManifests, rec, str } from '../yaml-docs';
import { PlanBuilder, includeInKustomization, type Obj } from './builder';
import { editObject, renderManifest } from './edits';
import { DEFAULT_RESOURCES, egressReview, imageTag, networkPolicyFor, selectorLabels } from './objects';

const TEMPLATE = ['spec', 'template'];

function podTemplateOf(o: Obj): Obj | undefined {
  return kindOf(o) === 'CronJob' ? rec(get(o, 'spec', 'jobTemplate', 'spec', 'template')) : rec(get(o, ...TEMPLATE));
}
const containersOf = (o: Obj): Obj[] => arr(get(podTemplateOf(o), 'spec', 'containers')).flatMap((c) => (rec(c) ? [c as Obj] : []));

/** The missing label groups, filled in the repository's style. */
function addLabels(labels: Obj, o: Obj, ctx: ImplementContext): Obj {
  const io = ctx.profile.labelConvention !== 'app';
  const name = str(labels['app.kubernetes.io/name']) ?? str(labels.app) ?? nameOf(o);
  const image = str(get(containersOf(o)[0], 'image')) ?? '';
  const value: Record<string, string> = { app: name, version: imageTag(image), component: 'backend' };
  const out = { ...labels };
  for (const [short, long] of LABEL_GROUPS) if (!(short in out) && !(long in out)) out[io ? long : short] = value[short] ?? name;
  return out;
}

function probeFor(c: Obj, kind: 'livenessProbe' | 'readinessProbe', ctx: ImplementContext): Obj | undefined {
  const port = str(get(c, 'ports', 0, 'name')) ?? get(c, 'ports', 0, 'containerPort');
  if (port === undefined) return undefined;
  const style = kind === 'livenessProbe' ? ctx.profile.livenessProbe : ctx.profile.readinessProbe;
  return { httpGet: { path: style?.path ?? (kind === 'livenessProbe' ? '/healthz' : '/readyz'), port }, periodSeconds: style?.periodSeconds ?? 10 };
}

type Repair = (o: Obj, f: Finding, ctx: ImplementContext, all: Obj[]) => string | undefined;

/** One repair per check id; each edits the object in place and says what it did. */
const REPAIRS: Record<string, Repair> = {
  'required-labels': (o, _f, ctx) => {
    const meta = (o.metadata ??= {}) as Obj;
    meta.labels = addLabels(rec(meta.labels) ?? {}, o, ctx);
    const tmpl = podTemplateOf(o);
    if (tmpl && kindOf(o) !== 'Pod') {
      const tmeta = (tmpl.metadata ??= {}) as Obj;
      tmeta.labels = addLabels(rec(tmeta.labels) ?? {}, o, ctx);
    }
    return 'labels completed by the repository convention';
  },
  'resource-requests-limits': (o, _f, ctx) => {
    const base = ctx.profile.resources ?? DEFAULT_RESOURCES;
    for (const c of containersOf(o)) {
      const r = (c.resources ??= {}) as Obj;
      for (const group of ['requests', 'limits'] as const) r[group] = { ...(rec(base[group]) ?? {}), ...(rec(r[group]) ?? {}) };
    }
    return 'requests and limits set to what similar services use';
  },
  'missing-probes': (o, _f, ctx) => {
    let done = false;
    for (const c of containersOf(o)) {
      for (const k of ['livenessProbe', 'readinessProbe'] as const) {
        const p = c[k] === undefined ? probeFor(c, k, ctx) : undefined;
        if (p) { c[k] = p; done = true; }
      }
    }
    return done ? 'HTTP probes added on the container port (check the paths)' : undefined;
  },
  'service-selector-mismatch': (o, _f, _ctx, all) => {
    const pods = all.filter((x) => podTemplateOf(x));
    const target = pods.find((p) => nameOf(p) === nameOf(o)) ?? (pods.length === 1 ? pods[0] : undefined);
    const labels = rec(get(target && podTemplateOf(target), 'metadata', 'labels')) as Record<string, string> | undefined;
    if (!target || !labels) return undefined;
    (o.spec as Obj).selector = selectorLabels(labels, nameOf(target));
    return `selector set to the pod labels of ${kindOf(target)}/${nameOf(target)}`;
  },
};

async function repairFile(b: PlanBuilder, file: string, findings: Finding[], ctx: ImplementContext, all: Obj[]): Promise<string[]> {
  let text = await b.read(file);
  if (text === undefined) return [];
  const done: string[] = [];
  for (const f of findings) {
    const repair = REPAIRS[f.check];
    if (!repair) continue;
    const [kind, name] = f.resource.split('/');
    let said: string | undefined;
    try {
      text = editObject(text, (o) => kindOf(o) === kind && nameOf(o) === name, (o) => {
        said = repair(o, f, ctx, all);
        return o;
      });
    } catch {
      continue; // the object is no longer in the file: nothing to repair here
    }
    if (said) done.push(`${f.resource}: ${said}`);
  }
  if (done.length) b.write(file, text, `fix: ${done.join('; ')}`);
  return done;
}

/** A NetworkPolicy beside a sensitive workload, selecting its pods, listed in its kustomization. */
async function addNetworkPolicy(b: PlanBuilder, f: Finding, ctx: ImplementContext, all: Obj[]): Promise<string | undefined> {
  const [, name] = f.resource.split('/');
  const workload = all.find((o) => nameOf(o) === name && podTemplateOf(o));
  const labels = rec(get(workload && podTemplateOf(workload), 'metadata', 'labels')) as Record<string, string> | undefined;
  if (!workload || !labels || !f.file || !ctx.input.spec) return undefined;
  const dir = posix.dirname(f.file);
  const file = posix.join(dir, `${name}-networkpolicy.yaml`);
  const policy = networkPolicyFor({ ...ctx.input.spec, service: name ?? ctx.input.spec.service }, { ...selectorLabels(labels, name ?? ''), ...labels }, Boolean(ctx.input.spec.ingress));
  const ns = str(get(workload, 'metadata', 'namespace'));
  if (ns) (policy.metadata as Obj).namespace = ns;
  b.write(file, renderManifest([policy], ['added by the fix: the workload reads a Secret and nothing fenced both its directions', egressReview(name ?? ctx.input.spec.service)]), `fix: NetworkPolicy for ${f.resource}`);
  if ((await b.read(posix.join(dir, 'kustomization.yaml'))) !== undefined) await includeInKustomization(b, dir, file, `fix: list the NetworkPolicy of ${name}`);
  return `${f.resource}: NetworkPolicy ${file} added`;
}

export async function planFix(ctx: ImplementContext, request: FixRequest, repo: RepoReader): Promise<ChangeSet> {
  const b = new PlanBuilder('network', repo, ctx.input.spec?.service ?? '');
  const mine = blockingFindings(request.findings, request.touched);
  const byFile = new Map<string, Finding[]>();
  for (const f of mine) if (f.file) (byFile.get(f.file) ?? byFile.set(f.file, []).get(f.file))?.push(f);
  // Objects of the run's own files, for repairs that look across files (a Service and its Deployment).
  const all: Obj[] = [];
  for (const file of request.touched) all.push(...parseManifests(file, (await repo.read(file)) ?? '').docs.map((d) => d.object));
  const repaired: string[] = [];
  for (const [file, findings] of byFile) repaired.push(...await repairFile(b, file, findings, ctx, all));
  for (const f of mine.filter((x) => x.check === 'missing-network-policy')) {
    const done = await addNetworkPolicy(b, f, ctx, all);
    if (done) repaired.push(done);
  }
  for (const r of repaired) b.assume(`REVIEW (fix): ${r}`);
  const left = mine.length - repaired.length;
  if (request.failures.length || left > 0 || repaired.length === 0) {
    const what = [request.failures.length ? `${request.failures.length} validation failure(s)` : '', left > 0 ? `${left} finding(s)` : ''].filter(Boolean).join(' and ') || 'nothing it can repair';
    b.assume(`the scaffold implementer cannot repair ${what} deterministically; a human decides`);
  }
  return b.result();
}
