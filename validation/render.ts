// Rendering a target with its real tool (kustomize build, helm lint + helm template), cached by the
// content hash of its inputs. Plain manifest folders need no rendering.
import path from 'node:path';
import { launch } from '../runtime/launcher';
import { traceCommand, type CommandInfo } from '../runtime/telemetry';
import { cacheKey, cached, remember } from './cache';
import type { Target } from './discovery';
import { fetchSettings, offlineEnv, stoppedOffline, type FetchSettings } from './fetch-cache';
import { remoteBuildTree } from './fetch-remote';
import { inflatesCharts, provideInflatedCharts } from './kustomize-inflate';
import { completeDependencies } from './chart-deps';
import { finishBuild, fluxNote, fluxOverlay } from './flux-render';
import type { RepoSnapshot } from './snapshot';
import type { Toolbox } from './tools';

export type Rendering =
  | { status: 'ok'; text: string; lint?: string; note?: string }
  | { status: 'failed'; error: string; lint?: string }
  | { status: 'skipped'; reason: string };

/**
 * The Kubernetes version helm renders for. helm built with `go install` assumes v1.20, so charts
 * declaring `kubeVersion: >=1.23` refuse to render; a current release is the honest default.
 */
export const DEFAULT_KUBE_VERSION = '1.34.0';
export const KUBE_VERSION = /^v?\d+\.\d+(\.\d+)?$/;

export interface RenderOptions {
  snap: RepoSnapshot;
  tools: Toolbox;
  /** Kubernetes version for `helm template --kube-version` (default DEFAULT_KUBE_VERSION). */
  kubeVersion?: string;
  /** Flux minor version the cluster runs (`--flux-version`, default DEFAULT_FLUX_VERSION): whether substitution is strict. */
  fluxVersion?: string;
  signal?: AbortSignal;
  /** Called for each real tool run (a cache miss): tests assert exactly which targets were rebuilt. */
  onBuild?: (target: string, kind: Target['kind']) => void;
  /** Where charts, Git trees and remote files are fetched to and from (default: fetchSettings()). */
  fetch?: FetchSettings;
}

const BUILD_TIMEOUT_MS = 120_000;

/** A tool's error, short and with the root's absolute path removed so messages are relative. */
export function tidy(out: string, root: string): string {
  // kubectl wraps kustomize's error in a klog line: E1128 09:14:43.07 18173 run.go:72] "command failed" err="…"
  out = out.replace(/^E\d{4} [\d:.]+\s+\d+ \S+\] "command failed" err="(.*)"$/gm, (_m, err: string) => err.replace(/\\"/g, '"'));
  const lines = out.split('\n').map((l) => l.split(`${root}/`).join('').trimEnd()).filter((l) => l && !l.startsWith('# Warning:'));
  return lines.slice(-8).join('\n') || 'failed without a message';
}

async function run(what: CommandInfo, file: string, args: string[], opts: RenderOptions): Promise<{ ok: boolean; out: string; err: string }> {
  const r = await traceCommand(what, () => launch(file, args, {
    timeout: BUILD_TIMEOUT_MS, cancelSignal: opts.signal, cwd: opts.snap.root, maxBuffer: 256 * 1024 * 1024, env: offlineEnv(opts.fetch),
  }));
  return { ok: r.exitCode === 0, out: String(r.stdout), err: String(r.stderr) };
}

async function kustomizeBuild(t: Target, opts: RenderOptions): Promise<Rendering> {
  const tool = opts.tools.kustomize;
  if (!tool) return { status: 'skipped', reason: opts.tools.missing.kustomize };
  // Flux's kustomize-controller builds without the load restrictor; so do we, to agree with it.
  const args = [...tool.prefix, '--load-restrictor=LoadRestrictionsNone'];
  if (opts.tools.helm) args.push('--enable-helm', `--helm-command=${opts.tools.helm.file}`);
  // Remote bases and URL resources: fetched into the cache and built from a copy that names them there.
  // helmCharts: built from a copy too, since kustomize pulls charts into chartHome (never the user's).
  const settings = opts.fetch ?? fetchSettings();
  const inflates = Boolean(opts.tools.helm) && inflatesCharts(t.inputs, opts.snap.text);
  const tree = t.cacheable && !inflates ? { dir: opts.snap.root, cleanup: async () => undefined }
    : await remoteBuildTree(opts.snap.root, t.inputs, opts.snap.text, settings, opts.signal);
  if ('skipped' in tree) return { status: 'skipped', reason: `${tree.skipped}: not built, its objects are not checked` };
  const charts = inflates ? await provideInflatedCharts(tree.dir, t.inputs, opts.snap.text, opts.tools.helm?.file, settings, opts.signal) : { ok: true };
  if ('skipped' in charts) {
    await tree.cleanup();
    return { status: 'skipped', reason: `${charts.skipped}: not built, its objects are not checked` };
  }
  const dir = t.flux ? await fluxOverlay(tree.dir, t.id, t.flux, true) : { dir: path.join(tree.dir, t.id), cleanup: async () => undefined, here: [] };
  try {
    const r = await run({ tool: 'kustomize', command: 'build', target: t.id }, tool.file, [...args, dir.dir], opts);
    if (!r.ok && stoppedOffline(r.err)) {
      const url = /(?:--repo |Get ")(\S+?)["\s]/.exec(r.err)?.[1] ?? 'a URL it fetches itself';
      return { status: 'skipped', reason: `the build reaches for the network (${url}: a helmCharts chart not in its chartHome, or a remote) and --offline forbids it: not built, its objects are not checked` };
    }
    if (!r.ok) return { status: 'failed', error: tidy(tidy(r.err || r.out, tree.dir), opts.snap.root) };
    if (!t.flux) return { status: 'ok', text: r.out };
    const done = finishBuild(r.out, t.flux, dir.here);
    return 'error' in done ? { status: 'failed', error: done.error } : { status: 'ok', text: done.text, note: fluxNote(t.flux) };
  } finally {
    await dir.cleanup();
    await tree.cleanup();
  }
}

async function helmRender(t: Target, opts: RenderOptions): Promise<Rendering> {
  const helm = opts.tools.helm;
  if (!helm || !t.chart) return { status: 'skipped', reason: opts.tools.missing.helm };
  const values = t.values ? ['-f', path.join(opts.snap.root, t.values)] : [];
  const kube = ['--kube-version', kubeVersionOf(opts)];
  const both = (chart: string) => Promise.all([
    run({ tool: 'helm', command: 'lint', target: t.id }, helm.file, ['lint', chart, ...values, ...kube], opts),
    run({ tool: 'helm', command: 'template', target: t.id }, helm.file, ['template', path.posix.basename(t.chart ?? chart), chart, ...values, ...kube], opts),
  ]);
  let [lint, template] = await both(path.join(opts.snap.root, t.chart));
  let note: string | undefined;
  let copy = opts.snap.root;
  const missingDeps = unvendoredDependencies(`${template.err}\n${template.out}`);
  if (missingDeps) {
    // As source-controller does: `helm dependency build` — in a copy in the cache, never in the repository.
    const done = await completeDependencies(t.chart, opts.snap, helm.file, opts.fetch ?? fetchSettings(), opts.signal);
    if ('skipped' in done) return { status: 'skipped', reason: `${t.chart}: ${done.skipped}: not rendered` };
    [lint, template] = await both(done.path);
    copy = done.path;
    note = `chart dependencies built in a copy in the cache (from the ${done.from})`;
  }
  const clean = (text: string) => tidy(tidy(text, copy), opts.snap.root);
  const lintText = lint.ok ? undefined : clean(`${lint.out}\n${lint.err}`);
  if (!template.ok) return { status: 'failed', error: clean(template.err || template.out), ...(lintText ? { lint: lintText } : {}) };
  return { status: 'ok', text: template.out, ...(lintText ? { lint: lintText } : {}), ...(note ? { note } : {}) };
}

export const kubeVersionOf = (opts: Pick<RenderOptions, 'kubeVersion'>): string => (opts.kubeVersion ?? DEFAULT_KUBE_VERSION).replace(/^v/, '');

/**
 * A chart whose dependencies are not in its charts/ folder cannot render offline: that is not a
 * broken chart but one that needs `helm dependency build` with network access; say so, never fail.
 */
export function unvendoredDependencies(out: string): string | undefined {
  const m = /found in Chart\.yaml, but missing in charts\/ directory: ([^\n]+)/.exec(out);
  return m ? `chart dependencies not vendored in charts/ (${m[1]?.trim()}): not rendered offline (helm dependency build needs the network)` : undefined;
}

export async function render(t: Target, opts: RenderOptions): Promise<Rendering> {
  if (t.kind === 'plain') return { status: 'ok', text: '' };
  const tool = t.kind === 'kustomize' ? opts.tools.kustomize : opts.tools.helm;
  const key = cacheKey(['render', t.kind, tool?.version ?? 'none', kubeVersionOf(opts), t.id, t.flux ? JSON.stringify(t.flux) : '', ...t.inputs.map((f) => `${f}:${opts.snap.hash(f)}`)]);
  const hit = t.cacheable ? cached<Rendering>(key) : undefined;
  if (hit) return hit;
  opts.onBuild?.(t.id, t.kind);
  const result = t.kind === 'kustomize' ? await kustomizeBuild(t, opts) : await helmRender(t, opts);
  return t.cacheable && result.status !== 'skipped' ? remember(key, result) : result;
}
