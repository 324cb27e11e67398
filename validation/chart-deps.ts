// A chart of the repository whose dependencies are not vendored in its charts/ folder: copied into
// the cache, keyed by the content of its files, and completed there with the real
// `helm dependency build` (or `update` without a Chart.lock), as Flux's source-controller does before
// it packages a chart — never in the user's repository. `file://` dependencies are pointed at their
// folders in the repository. Offline, only a copy completed before is used.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { arr, get, rec, str } from '../core/yaml-docs';
import { launch } from '../runtime/launcher';
import { exists, helmEnv, scratchDir, sha256Hex, storeTree, toolMessage, type FetchSettings } from './fetch-cache';
import type { RepoSnapshot } from './snapshot';

export type CompletedChart = { path: string; from: 'cache' | 'network' } | { skipped: string };

/** Where Chart.yaml's dependencies come from, for messages (URLs without credentials). */
function repositories(chartYaml: Record<string, unknown>): string {
  return arr(chartYaml.dependencies).map((d) => `${str(get(d, 'name')) ?? '?'} from ${str(get(d, 'repository')) ?? '?'}`).join(', ');
}

export async function completeDependencies(chart: string, snap: RepoSnapshot, helm: string, settings: FetchSettings, signal?: AbortSignal): Promise<CompletedChart> {
  const files = snap.files.filter((f) => f.startsWith(`${chart}/`));
  const key = `deps-${sha256Hex(files.map((f) => `${f}:${snap.hash(f)}`).join('\n'))}`;
  const done = path.join(settings.cacheDir, 'trees', key);
  if (await exists(path.join(done, 'Chart.yaml'))) return { path: done, from: 'cache' };
  const chartYaml = rec(parseDocument(snap.text(`${chart}/Chart.yaml`) ?? '').toJS()) ?? {};
  const deps = repositories(chartYaml);
  if (settings.offline) return { skipped: `chart dependencies (${deps}) are not vendored in charts/ and not in the cache, and --offline forbids the network` };
  const work = await scratchDir(settings.cacheDir);
  try {
    for (const f of files) {
      await fs.mkdir(path.dirname(path.join(work, path.relative(chart, f))), { recursive: true });
      await fs.copyFile(path.join(snap.root, f), path.join(work, path.relative(chart, f)));
    }
    // file:// dependencies are relative to the chart's folder in the repository, not to the copy.
    let rewritten = false;
    for (const d of arr(chartYaml.dependencies)) {
      const repo = str(get(d, 'repository'));
      if (repo?.startsWith('file://') && !path.isAbsolute(repo.slice(7)) && rec(d)) {
        rec(d)!.repository = `file://${path.resolve(snap.root, chart, repo.slice(7))}`;
        rewritten = true;
      }
    }
    if (rewritten) await fs.writeFile(path.join(work, 'Chart.yaml'), stringify(chartYaml));
    const lock = !rewritten && (await exists(path.join(work, 'Chart.lock')) || await exists(path.join(work, 'requirements.lock')));
    const r = await launch(helm, ['dependency', lock ? 'build' : 'update', work], {
      env: helmEnv(settings.cacheDir), timeout: 180_000, ...(signal ? { cancelSignal: signal } : {}),
    });
    if (r.exitCode !== 0) return { skipped: `chart dependencies (${deps}) could not be fetched: ${toolMessage(String(r.stderr || r.stdout), [`${work}/`, work])}` };
    return { path: await storeTree(settings.cacheDir, work, key), from: 'network' };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}
