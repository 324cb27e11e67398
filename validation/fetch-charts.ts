// A HelmRelease's chart from where Flux would fetch it, looked for in this order: the chart dir
// (`<name>-<version>.tgz`, as `helm pull` writes them), the cache, then — unless offline — the
// network with the real `helm pull` (HTTPS index or OCI). What cannot be had says why and names the
// URL; the caller reports it `skipped`, never failed.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ChartSource } from '../core/repo-model/chart-source';
import { maxSatisfying, valid, validRange } from 'semver';
import { launch } from '../runtime/launcher';
import { exists, helmEnv, readRef, scratchDir, shownUrl, storeBlob, toolMessage, writeRef, type FetchSettings } from './fetch-cache';
import { fetchGit } from './fetch-git';
import { configuredRepository } from './helm-repo-auth';

export type FetchedChart =
  /** `root`: for a chart folder of a Git repository, the checkout's root (where its valuesFiles are). */
  | { path: string; chart: string; version?: string; from: 'chart dir' | 'cache' | 'network'; url: string; root?: string }
  | { skipped: string };

/** A version `helm pull` resolves to itself: no range to resolve again online. */
export const EXACT_VERSION = /^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$/;

const FETCH_TIMEOUT_MS = 180_000;

/** Numeric order of dotted versions (1.10.0 after 1.9.2), pre-releases before their release. */
function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.replace(/^v/, '').split(/[.+-]/).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const [x, y] = [pa[i], pb[i]];
    if (x === y) continue;
    if (x === undefined) return 1;
    if (y === undefined) return -1;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x).localeCompare(String(y));
  }
  return 0;
}

/**
 * `<chart>-<version>.tgz` in the chart dir: that exact version, the highest satisfying a range
 * (`>=1.0.0 <2.0.0`, `~1.2`, `1.x`, as helm resolves one), or the newest when none is asked.
 */
async function inChartDir(dir: string, chart: string, version: string | undefined): Promise<{ path: string; version: string } | undefined> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const versions = names.filter((n) => n.startsWith(`${chart}-`) && n.endsWith('.tgz')).map((n) => n.slice(chart.length + 1, -4))
    .filter((v) => /^v?\d/.test(v));
  const exact = version === undefined ? undefined : versions.find((v) => v === version || v === version.replace(/^v/, ''));
  const range = version !== undefined && !exact ? validRange(version.replace(/,/g, ' '), { loose: true }) : null;
  const best = range ? maxSatisfying(versions.flatMap((v) => valid(v, { loose: true }) ?? []), range, { loose: true }) : null;
  const pick = version === undefined ? versions.sort(compareVersions).pop()
    : exact ?? (best ? versions.find((v) => valid(v, { loose: true }) === best) : undefined);
  return pick ? { path: path.join(dir, `${chart}-${pick}.tgz`), version: pick } : undefined;
}

/** Where a chart is fetched from, as shown in a message. */
export const chartUrl = (s: ChartSource): string => {
  if (s.kind === 'git') return `${s.path} of ${shownUrl(s.url)}`;
  return s.oci ? `${shownUrl(s.url)}${s.version ? `:${s.version}` : ''}` : `chart ${s.chart}${s.version ? ` ${s.version}` : ''} of ${shownUrl(s.url)}`;
};

/** The chart archive (or, from Git, the chart folder) of a source. */
export async function fetchChart(source: ChartSource, helm: string | undefined, settings: FetchSettings, signal?: AbortSignal): Promise<FetchedChart> {
  const url = chartUrl(source);
  if (source.kind === 'git') {
    const tree = await fetchGit(source.url, source.ref, settings, signal);
    if ('skipped' in tree) return tree;
    const dir = path.join(tree.path, source.path);
    if (!await exists(path.join(dir, 'Chart.yaml'))) return { skipped: `${url}: no Chart.yaml at ${source.path} in ${shownUrl(source.url)} (${tree.rev})` };
    return { path: dir, chart: path.basename(dir), from: tree.from, url: tree.resolved ? `${url}, ${tree.resolved}` : url, root: tree.path };
  }
  const { chart, version } = source;
  if (settings.chartDir) {
    const hit = await inChartDir(settings.chartDir, chart, version);
    if (hit) return { path: hit.path, chart, version: hit.version, from: 'chart dir', url };
  }
  const request = ['chart', source.url, chart, version ?? ''];
  const exact = version !== undefined && EXACT_VERSION.test(version) || source.url.includes('@sha256:');
  const known = await readRef<{ path: string; version: string }>(settings.cacheDir, request);
  // A range or "latest" may move: online, it is resolved again; offline, the last answer stands.
  if (known && (exact || settings.offline)) return { path: known.path, chart, version: known.version, from: 'cache', url };
  if (settings.offline) {
    return { skipped: `${url}: not in the chart dir${settings.chartDir ? ` (${settings.chartDir})` : ''} or the cache, and --offline forbids the network` };
  }
  if (!helm) return { skipped: `${url}: helm is not installed, so the chart cannot be pulled` };
  return pull(helm, source, request, settings, signal);
}

async function pull(helm: string, source: Extract<ChartSource, { kind: 'helm' }>, request: string[], settings: FetchSettings, signal?: AbortSignal): Promise<FetchedChart> {
  const url = chartUrl(source);
  const dir = await scratchDir(settings.cacheDir);
  const helmRun = (args: string[]) => launch(helm, args, { env: helmEnv(settings.cacheDir), timeout: FETCH_TIMEOUT_MS, ...(signal ? { cancelSignal: signal } : {}) });
  try {
    // A repository of Helm's repositories file is pulled through its entry, so that helm uses its login.
    const entry = source.oci ? undefined : await configuredRepository(source.url);
    if (entry) {
      const update = await helmRun(['repo', 'update', entry.name, '--fail-on-repo-update-fail', '--repository-config', entry.config]);
      if (update.exitCode !== 0) return { skipped: `${url} could not be fetched (through the entry "${entry.name}" of ${entry.config}): ${toolMessage(`${String(update.stdout ?? '')}\n${String(update.stderr || update.message || '')}`)}` };
    }
    const args = source.oci ? ['pull', source.url] : entry ? ['pull', `${entry.name}/${source.chart}`, '--repository-config', entry.config] : ['pull', source.chart, '--repo', source.url];
    if (source.version) args.push('--version', source.version);
    if (source.insecure && source.oci) args.push('--plain-http');
    const r = await helmRun([...args, '--destination', dir]);
    const file = (await fs.readdir(dir)).find((f) => f.endsWith('.tgz'));
    if (r.exitCode !== 0 || !file) {
      const why = toolMessage(String(r.stderr || r.stdout || r.message || ''), [dir]);
      return { skipped: `${url} could not be fetched: ${why}` };
    }
    const version = file.slice(source.chart.length + 1, -4);
    const blob = await storeBlob(settings.cacheDir, path.join(dir, file), '.tgz');
    await writeRef(settings.cacheDir, request, { path: blob.path, version, digest: blob.digest } as { path: string });
    return { path: blob.path, chart: source.chart, version, from: 'network', url };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
