// A HelmRelease's `spec.chart.spec.valuesFiles`, as source-controller applies them when it builds
// the chart: the files are merged in order (maps deep, the rest replaced) into an alternative
// default values.yaml of the chart, which replaces the chart's own (listed as `values.yaml` it is
// kept). For a chart of a GitRepository (this repository or another) the paths are relative to the
// source's root; for a chart of a HelmRepository they name files inside the chart. A missing file
// fails the build ("no values file found at path"), unless `ignoreMissingValuesFiles`. The chart is
// copied into the cache to be changed: never the repository, never the cached archive.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { arr, get, rec, str } from '../core/yaml-docs';
import { launch } from '../runtime/launcher';
import { exists, scratchDir, type FetchSettings } from './fetch-cache';
import { mergeValues } from './helm-values';

type Obj = Record<string, unknown>;

/** Where the files a release names are read: the source's root, or the chart itself. */
export type ValuesBase = { sourceRoot: string } | { inChart: true };

export type ChartWithValues =
  | { path: string; defaults: string; note: string; cleanup: () => Promise<void> }
  | { failed: string };

/** The files, in merge order: the deprecated `valuesFile` first, then `valuesFiles`. */
export function valuesFilesOf(release: Obj): string[] {
  const spec = get(release, 'spec', 'chart', 'spec');
  const one = str(get(spec, 'valuesFile'));
  const files = [...(one ? [one] : []), ...arr(get(spec, 'valuesFiles')).flatMap((f) => (typeof f === 'string' && f ? [f] : []))];
  // Only `values.yaml` is the chart as it is (source-controller's GetValuesFiles).
  return files.length === 1 && path.posix.normalize(files[0] ?? '') === 'values.yaml' ? [] : files;
}

/** A copy of the chart (folder or archive) in a scratch folder of the cache; returns the chart folder. */
async function copyChart(chartPath: string, settings: FetchSettings, signal?: AbortSignal): Promise<{ dir: string; scratch: string }> {
  const scratch = await scratchDir(settings.cacheDir);
  if (!chartPath.endsWith('.tgz')) {
    const dir = path.join(scratch, path.basename(chartPath));
    await fs.cp(chartPath, dir, { recursive: true });
    return { dir, scratch };
  }
  const r = await launch('tar', ['-xzf', chartPath, '-C', scratch], { timeout: 60_000, ...(signal ? { cancelSignal: signal } : {}) });
  const [top] = r.exitCode === 0 ? await fs.readdir(scratch) : [];
  return { dir: path.join(scratch, top ?? ''), scratch };
}

/** The file a values path names, kept inside its base (source-controller's secure join). */
function resolveInside(base: string, p: string): string {
  return path.join(base, path.posix.normalize(`/${p}`).slice(1));
}

export async function applyValuesFiles(release: Obj, chartPath: string, base: ValuesBase, settings: FetchSettings, signal?: AbortSignal): Promise<ChartWithValues | undefined> {
  const files = valuesFilesOf(release);
  if (!files.length) return undefined;
  const ignoreMissing = get(release, 'spec', 'chart', 'spec', 'ignoreMissingValuesFiles') === true;
  const copy = await copyChart(chartPath, settings, signal);
  const cleanup = () => fs.rm(copy.scratch, { recursive: true, force: true });
  if (!await exists(path.join(copy.dir, 'Chart.yaml'))) {
    await cleanup();
    return { failed: `valuesFiles: the chart ${path.basename(chartPath)} could not be unpacked to merge them` };
  }
  const where = 'sourceRoot' in base ? 'the source' : 'the chart';
  let merged: Obj = {};
  const used: string[] = [];
  const ignored: string[] = [];
  for (const p of files) {
    const file = 'sourceRoot' in base ? resolveInside(base.sourceRoot, p) : resolveInside(copy.dir, p);
    const text = await fs.readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) {
      if (ignoreMissing) {
        ignored.push(p);
        continue;
      }
      await cleanup();
      return { failed: `valuesFiles names ${p}, which is not in ${where} (source-controller: "no values file found at path '${p}'"; set ignoreMissingValuesFiles: true if that is meant)` };
    }
    const doc = parseDocument(text);
    if (doc.errors.length) {
      await cleanup();
      return { failed: `valuesFiles ${p} is not valid YAML: ${doc.errors[0]?.message.split('\n')[0] ?? 'parse error'}` };
    }
    merged = mergeValues(merged, rec(doc.toJS()) ?? {});
    used.push(p);
  }
  const defaults = stringify(merged);
  await fs.writeFile(path.join(copy.dir, 'values.yaml'), defaults);
  const note = `chart defaults from valuesFiles ${used.join(', ') || '(none found)'}${ignored.length ? ` (missing, ignored: ${ignored.join(', ')})` : ''}`;
  return { path: copy.dir, defaults, note, cleanup };
}
