// Flux HelmReleases rendered as helm-controller would: the release's chart (a chart folder or .tgz of
// this repository, else fetched as Flux fetches it: chart dir, cache, network), its values composed
// from valuesFrom and values (helm-values.ts), `helm template` for the release's namespace, then its
// postRenderers. A chart that cannot be had is `skipped` with its URL and why: its workloads are not
// seen, and the report says so.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import type { RenderedDoc } from '../core/compliance';
import { chartAvailability, isHelmRelease, type RepoModel } from '../core/repo-model';
import { chartSource } from '../core/repo-model/chart-source';
import type { ValidationResult } from '../core/schemas';
import { get, str } from '../core/yaml-docs';
import { launch } from '../runtime/launcher';
import { cacheKey, cached, remember } from './cache';
import { fetchSettings, offlineEnv } from './fetch-cache';
import { fetchChart, type FetchedChart } from './fetch-charts';
import { composeValues } from './helm-values';
import { applyValuesFiles } from './helm-values-files';
import { objectKey, postRender } from './helm-post-render';
import { kubeVersionOf, tidy, unvendoredDependencies, type RenderOptions } from './render';
import { chartDocs } from './source-map';

type Obj = Record<string, unknown>;

export interface ReleaseResults {
  validations: ValidationResult[];
  docs: RenderedDoc[];
}

type ChartAt = { local: string } | { fetched: Extract<FetchedChart, { path: string }> } | { unavailable: string };

/** Where the release's chart is on disk: in the repository, or fetched; or why it is not to be had. */
async function chartOf(o: Obj, model: Pick<RepoModel, 'helm' | 'flux'>, opts: RenderOptions): Promise<ChartAt> {
  const avail = chartAvailability(o, model.helm);
  if ('localChart' in avail) return { local: avail.localChart };
  const source = chartSource(o, model.flux.sources);
  if (!source) return { unavailable: avail.unavailable };
  if ('unavailable' in source) return source;
  const fetched = await fetchChart(source, opts.tools.helm?.file, opts.fetch ?? fetchSettings(), opts.signal);
  return 'skipped' in fetched ? { unavailable: `chart not fetched: ${fetched.skipped}` } : { fetched };
}

/**
 * Charts whose values.schema.json refers to schemas on the network cannot be checked offline: helm
 * fails to load them. helm-controller would check them; here the chart renders with schema
 * validation skipped (`--skip-schema-validation`), and the result says so.
 */
const REMOTE_SCHEMA = /schema|\$ref/i;
const NETWORK_ERROR = /https?:\/\/\S+|dial tcp|no such host|connection refused|lookup /i;

async function template(name: string, chartPath: string, ns: string, values: string, opts: RenderOptions, skipSchema: boolean) {
  const helm = opts.tools.helm?.file ?? 'helm';
  const args = ['template', name, chartPath, '--namespace', ns, '--kube-version', kubeVersionOf(opts), '-f', '-', ...(skipSchema ? ['--skip-schema-validation'] : [])];
  const res = await launch(helm, args, { input: values, timeout: 120_000, cancelSignal: opts.signal, cwd: opts.snap.root, maxBuffer: 256 * 1024 * 1024, env: offlineEnv(opts.fetch) });
  return res.exitCode === 0 ? { ok: true, text: String(res.stdout) } : { ok: false, text: tidy(String(res.stderr || res.stdout), opts.snap.root) };
}

interface Rendered { ok: boolean; text: string; schemaSkipped?: boolean }

/** Whether a chart (folder or archive) has a values schema that refers to a schema on the network. */
async function remoteSchemaRefs(chartPath: string, signal?: AbortSignal): Promise<boolean> {
  const texts: string[] = [];
  if (chartPath.endsWith('.tgz')) {
    const r = await launch('tar', ['-xzOf', chartPath, '--wildcards', '*values.schema.json'], { timeout: 60_000, ...(signal ? { cancelSignal: signal } : {}) });
    texts.push(String(r.stdout));
  } else {
    const files = await fs.readdir(chartPath, { recursive: true }).catch(() => [] as string[]);
    for (const f of files.filter((x) => x.endsWith('values.schema.json'))) texts.push(await fs.readFile(path.join(chartPath, f), 'utf8').catch(() => ''));
  }
  return texts.some((t) => /"\$ref"\s*:\s*"https?:/.test(t));
}

async function renderChart(name: string, chartPath: string, ns: string, values: string, opts: RenderOptions): Promise<Rendered> {
  // Offline, helm must not reach for a schema on the network: skip schema validation up front.
  if (opts.fetch?.offline && await remoteSchemaRefs(chartPath, opts.signal)) {
    return { ...await template(name, chartPath, ns, values, opts, true), schemaSkipped: true };
  }
  const first = await template(name, chartPath, ns, values, opts, false);
  if (first.ok || !REMOTE_SCHEMA.test(first.text) || !NETWORK_ERROR.test(first.text)) return first;
  const again = await template(name, chartPath, ns, values, opts, true);
  return again.ok ? { ...again, schemaSkipped: true } : first;
}

/** Rendered documents placed in the chart's templates (a chart folder here), else at the HelmRelease itself. */
function place(text: string, pre: string, chart: ChartAt, doc: RenderedDoc, snap: RenderOptions['snap']): RenderedDoc[] {
  const folder = 'local' in chart && !chart.local.endsWith('.tgz') ? chart.local : undefined;
  const before = chartDocs(folder, pre, snap);
  const after = text === pre ? before : chartDocs(undefined, text, snap).map((d) => {
    const was = before.find((b) => objectKey(b.object) === objectKey(d.object));
    return { ...d, ...(was?.file ? { file: was.file } : {}), ...(was?.line ? { line: was.line } : {}) };
  });
  const at = { ...(doc.file ? { file: doc.file } : {}), ...(doc.line ? { line: doc.line } : {}) };
  return after.map((d) => (d.file ? d : { object: d.object, ...at }));
}

const chartLabel = (chart: Exclude<ChartAt, { unavailable: string }>): string => ('local' in chart ? chart.local
  : `${chart.fetched.chart}${chart.fetched.version ? ` ${chart.fetched.version}` : ''} (${chart.fetched.url}, from the ${chart.fetched.from})`);

export async function renderReleases(target: string, docs: readonly RenderedDoc[], model: Pick<RepoModel, 'helm' | 'flux' | 'manifests'>, opts: RenderOptions): Promise<ReleaseResults> {
  const out: ReleaseResults = { validations: [], docs: [] };
  for (const doc of docs.filter((d) => isHelmRelease(d.object))) {
    const o = doc.object;
    const name = str(get(o, 'spec', 'releaseName')) ?? str(get(o, 'metadata', 'name')) ?? 'release';
    const ns = str(get(o, 'spec', 'targetNamespace')) ?? str(get(o, 'metadata', 'namespace')) ?? 'default';
    const label = `HelmRelease ${ns}/${str(get(o, 'metadata', 'name')) ?? '?'}`;
    const where = { ...(doc.file ? { file: doc.file } : {}), ...(doc.line ? { line: doc.line } : {}) };
    const skip = (why: string) => out.validations.push({ validator: 'helm', target, status: 'skipped', ...where, message: `${label}: ${why}; its workloads are not checked` });
    if (!opts.tools.helm) {
      skip(opts.tools.missing.helm);
      continue;
    }
    const chart = await chartOf(o, model, opts);
    if ('unavailable' in chart) {
      skip(chart.unavailable);
      continue;
    }
    const composed = composeValues(o, str(get(o, 'metadata', 'namespace')) ?? ns, docs, model.manifests);
    if (composed.missing.length) {
      out.validations.push({ validator: 'helm', target, status: 'fail', ...where, message: `${label}: valuesFrom names ${composed.missing.join(', ')}, which is not in the repository (helm-controller would fail the release; mark it optional: true if that is meant)` });
      continue;
    }
    const valuesText = stringify(composed.values);
    const original = 'local' in chart ? path.join(opts.snap.root, chart.local) : chart.fetched.path;
    // valuesFiles: the chart's defaults replaced by their merge, in a copy (source-controller's build).
    const base = 'local' in chart ? { sourceRoot: opts.snap.root } : chart.fetched.root ? { sourceRoot: chart.fetched.root } : { inChart: true as const };
    const withFiles = await applyValuesFiles(o, original, base, opts.fetch ?? fetchSettings(), opts.signal);
    if (withFiles && 'failed' in withFiles) {
      out.validations.push({ validator: 'helm', target, status: 'fail', ...where, message: `${label}: ${withFiles.failed}` });
      continue;
    }
    const chartInputs = 'local' in chart ? opts.snap.files.filter((f) => f === chart.local || f.startsWith(`${chart.local}/`)).map((f) => `${f}:${opts.snap.hash(f)}`) : [chart.fetched.path];
    const key = cacheKey(['helmrelease', opts.tools.helm.version, kubeVersionOf(opts), name, ns, valuesText, withFiles?.defaults ?? '', ...chartInputs]);
    let r = cached<Rendered>(key);
    if (!r) {
      opts.onBuild?.(`${target}#${label}`, 'helm');
      r = remember(key, await renderChart(name, withFiles?.path ?? original, ns, valuesText, opts));
    }
    await withFiles?.cleanup();
    const deps = r.ok ? undefined : unvendoredDependencies(r.text);
    if (deps) {
      skip(`${chartLabel(chart)}: ${deps}`);
      continue;
    }
    if (!r.ok) {
      const text = withFiles ? r.text.split(path.dirname(withFiles.path)).join('') : r.text; // no scratch path of the copy
      out.validations.push({ validator: 'helm', target, status: 'fail', ...where, message: `${label}: helm template of ${chartLabel(chart)}: ${text}` });
      continue;
    }
    const post = await postRender(o, r.text, opts.tools.kustomize, opts.signal);
    if (!post.ok) {
      out.validations.push({ validator: 'helm', target, status: 'fail', ...where, message: `${label}: ${post.error}` });
      continue;
    }
    const rendered = place(post.text, r.text, chart, doc, opts.snap);
    out.docs.push(...rendered);
    const extra = [
      ...(r.schemaSkipped ? ['values schema refers to schemas on the network: rendered with schema validation skipped (--skip-schema-validation)'] : []),
      ...(withFiles ? [withFiles.note] : []),
      ...(post.applied ? [`${post.applied} postRenderer(s) applied`] : []),
      ...composed.notes,
    ];
    out.validations.push({ validator: 'helm', target, status: 'pass', ...where, message: `${label}: helm template of ${chartLabel(chart)} (Kubernetes v${kubeVersionOf(opts)}): ${rendered.length} document(s)${extra.length ? `; ${extra.join('; ')}` : ''}` });
  }
  return out;
}
