// kustomize's `helmCharts` inflation, made safe for a repository that is only being checked:
// kustomize pulls a chart it does not find in the kustomization's `helmGlobals.chartHome` (default
// `charts/`) into that folder, that is into the user's repository. A build that inflates charts
// therefore runs on a copy (in the cache), and the charts it would pull are put into the copy's
// chartHome beforehand, fetched as Flux's charts are (chart dir, cache, then the network with
// helm's own credentials; nothing offline), where kustomize looks for them: `<name>-<version>/<name>`
// when a repo and version are given, else `<name>`. A vendored chart in the repository is kept.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { isKustomizationFile } from '../core/repo-model';
import { arr, get, rec, str } from '../core/yaml-docs';
import { launch } from '../runtime/launcher';
import { exists, type FetchSettings } from './fetch-cache';
import { fetchChart } from './fetch-charts';

interface Inflated { dir: string; name: string; repo?: string; version?: string; chartHome: string }

/** Every `helmCharts` entry of the kustomization files among `inputs`. */
function inflatedCharts(inputs: readonly string[], text: (f: string) => string | undefined): Inflated[] {
  return inputs.filter((f) => isKustomizationFile(f)).flatMap((f) => {
    const k = rec(parseDocument(text(f) ?? '').toJS());
    const charts = arr(k?.helmCharts);
    const chartHome = str(get(k, 'helmGlobals', 'chartHome')) ?? 'charts';
    return charts.flatMap((h): Inflated[] => {
      const name = str(get(h, 'name'));
      const repo = str(get(h, 'repo'));
      const v = get(h, 'version');
      const version = v === undefined || v === null || v === '' ? undefined : String(v);
      return name ? [{ dir: path.posix.dirname(f), name, chartHome, ...(repo ? { repo } : {}), ...(version ? { version } : {}) }] : [];
    });
  });
}

/** Whether a build of these inputs would have kustomize inflate Helm charts (and so write into chartHome). */
export const inflatesCharts = (inputs: readonly string[], text: (f: string) => string | undefined): boolean => inflatedCharts(inputs, text).length > 0;

/**
 * Put every chart the copy's kustomizations inflate into their chartHome in `copy` (a copy of the
 * repository's files); `skipped` names the first chart that cannot be had and why.
 */
export async function provideInflatedCharts(copy: string, inputs: readonly string[], text: (f: string) => string | undefined, helm: string | undefined, settings: FetchSettings, signal?: AbortSignal): Promise<{ ok: true } | { skipped: string }> {
  for (const c of inflatedCharts(inputs, text)) {
    if (!c.repo) continue; // a chart only in chartHome: kustomize reads the copied folder
    const home = path.resolve(copy, c.dir, c.chartHome);
    if (path.relative(copy, home).startsWith('..')) return { skipped: `helmCharts ${c.name} in ${c.dir}: chartHome ${c.chartHome} lies outside the repository, so it is not inflated here` };
    const dest = c.version ? path.join(home, `${c.name}-${c.version}`) : home;
    if (await exists(path.join(dest, c.name, 'Chart.yaml'))) continue;
    const oci = c.repo.startsWith('oci://');
    const got = await fetchChart({
      kind: 'helm', url: oci ? `${c.repo.replace(/\/+$/, '')}/${c.name}` : c.repo, chart: c.name, ...(c.version ? { version: c.version } : {}), oci, insecure: false,
    }, helm, settings, signal);
    if ('skipped' in got) return { skipped: `helmCharts ${c.name} in ${c.dir}: ${got.skipped}` };
    await fs.mkdir(dest, { recursive: true });
    const r = await launch('tar', ['-xzf', got.path, '-C', dest], { timeout: 60_000, ...(signal ? { cancelSignal: signal } : {}) });
    if (r.exitCode !== 0) return { skipped: `helmCharts ${c.name} in ${c.dir}: the chart archive ${path.basename(got.path)} could not be unpacked` };
  }
  return { ok: true };
}
