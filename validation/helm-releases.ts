// Flux HelmReleases rendered as helm-controller would: `helm template` of the release's chart with
// its valuesFrom ConfigMaps and inline values, when the chart is available offline (a chart folder
// of this repository through its own GitRepository, or a vendored .tgz). Otherwise the release is
// reported `skipped` with the reason: its workloads are not seen, and the report says so.
import path from 'node:path';
import { parseDocument, stringify } from 'yaml';
import type { RenderedDoc } from '../core/compliance';
import { chartAvailability, isHelmRelease, type HelmModel } from '../core/repo-model';
import type { ValidationResult } from '../core/schemas';
import { arr, get, rec, str } from '../core/yaml-docs';
import { launch } from '../runtime/launcher';
import { cacheKey, cached, remember } from './cache';
import { kubeVersionOf, tidy, type RenderOptions } from './render';
import { chartDocs } from './source-map';

type Obj = Record<string, unknown>;

/** Deep merge as Helm merges values files: maps merge, everything else is replaced. */
function merge(base: Obj, over: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = rec(out[k]);
    const o = rec(v);
    out[k] = b && o ? merge(b, o) : v;
  }
  return out;
}

/** valuesFrom (ConfigMaps rendered beside the release, in order), then spec.values on top. */
function releaseValues(release: Obj, docs: readonly RenderedDoc[]): { values: Obj; notes: string[] } {
  let values: Obj = {};
  const notes: string[] = [];
  for (const v of arr(get(release, 'spec', 'valuesFrom'))) {
    const kind = str(get(v, 'kind')) ?? 'ConfigMap';
    const name = str(get(v, 'name')) ?? '';
    const key = str(get(v, 'valuesKey')) ?? 'values.yaml';
    const cm = kind === 'ConfigMap' ? docs.find((d) => d.object.kind === 'ConfigMap' && get(d.object, 'metadata', 'name') === name) : undefined;
    const text = str(get(cm?.object, 'data', key));
    if (text === undefined) {
      notes.push(`valuesFrom ${kind}/${name} (${key}) is not in the repository: rendered without it`);
      continue;
    }
    const parsed = rec(parseDocument(text).toJS());
    if (parsed) values = merge(values, parsed);
  }
  const inline = rec(get(release, 'spec', 'values'));
  return { values: inline ? merge(values, inline) : values, notes };
}

export interface ReleaseResults {
  validations: ValidationResult[];
  docs: RenderedDoc[];
}

export async function renderReleases(target: string, docs: readonly RenderedDoc[], helm: Pick<HelmModel, 'charts' | 'archives'>, opts: RenderOptions): Promise<ReleaseResults> {
  const out: ReleaseResults = { validations: [], docs: [] };
  for (const doc of docs.filter((d) => isHelmRelease(d.object))) {
    const o = doc.object;
    const name = str(get(o, 'spec', 'releaseName')) ?? str(get(o, 'metadata', 'name')) ?? 'release';
    const ns = str(get(o, 'spec', 'targetNamespace')) ?? str(get(o, 'metadata', 'namespace')) ?? 'default';
    const label = `HelmRelease ${ns}/${str(get(o, 'metadata', 'name')) ?? '?'}`;
    const where = { ...(doc.file ? { file: doc.file } : {}), ...(doc.line ? { line: doc.line } : {}) };
    const avail = chartAvailability(o, helm);
    if ('unavailable' in avail) {
      out.validations.push({ validator: 'helm', target, status: 'skipped', message: `${label}: ${avail.unavailable}; its workloads are not checked` });
      continue;
    }
    if (!opts.tools.helm) {
      out.validations.push({ validator: 'helm', target, status: 'skipped', message: `${label}: ${opts.tools.missing.helm}` });
      continue;
    }
    const { values, notes } = releaseValues(o, docs);
    const valuesText = stringify(values);
    const chartInputs = opts.snap.files.filter((f) => f === avail.localChart || f.startsWith(`${avail.localChart}/`));
    const key = cacheKey(['helmrelease', opts.tools.helm.version, kubeVersionOf(opts), name, ns, valuesText, ...chartInputs.map((f) => `${f}:${opts.snap.hash(f)}`)]);
    let r = cached<{ ok: boolean; text: string }>(key);
    if (!r) {
      opts.onBuild?.(`${target}#${label}`, 'helm');
      const res = await launch(opts.tools.helm.file, [
        'template', name, path.join(opts.snap.root, avail.localChart), '--namespace', ns, '--kube-version', kubeVersionOf(opts), '-f', '-',
      ], { input: valuesText, timeout: 120_000, cancelSignal: opts.signal, cwd: opts.snap.root, maxBuffer: 256 * 1024 * 1024 });
      r = remember(key, res.exitCode === 0 ? { ok: true, text: String(res.stdout) } : { ok: false, text: tidy(String(res.stderr || res.stdout), opts.snap.root) });
    }
    if (!r.ok) {
      out.validations.push({ validator: 'helm', target, status: 'fail', ...where, message: `${label}: helm template of ${avail.localChart}: ${r.text}` });
      continue;
    }
    const rendered = chartDocs(avail.localChart.endsWith('.tgz') ? undefined : avail.localChart, r.text, opts.snap);
    out.docs.push(...rendered);
    const extra = notes.length ? `; ${notes.join('; ')}` : '';
    out.validations.push({ validator: 'helm', target, status: 'pass', message: `${label}: helm template of ${avail.localChart} (Kubernetes v${kubeVersionOf(opts)}): ${rendered.length} document(s)${extra}` });
  }
  return out;
}
