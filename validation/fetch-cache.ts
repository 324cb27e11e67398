// The fetch cache: what Flux and Argo CD would fetch (charts, Git trees, remote files), kept on disk
// by content. A file is stored once under the sha256 of its bytes (`blobs/`); a request (a chart at
// a version from a URL, a Git URL at a ref) points at what it gave in `refs/`. A second run finds the
// request and touches no network; `--offline` reads only here and in the chart dir.
import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface FetchSettings {
  /** Root of the cache (INFRA_IMPLEMENTOR_CACHE_DIR). */
  cacheDir: string;
  /** Charts as `helm pull` writes them (`<name>-<version>.tgz`), consulted before the network. */
  chartDir?: string;
  /** Cache and chart dir only: no network at all. */
  offline: boolean;
}

export interface FetchOptions {
  cacheDir?: string;
  chartDir?: string;
  offline?: boolean;
}

/** The settings of a run: explicit options first, then the environment, then the defaults. */
export function fetchSettings(opts: FetchOptions = {}, env: NodeJS.ProcessEnv = process.env): FetchSettings {
  const userCache = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const chartDir = opts.chartDir ?? (env.INFRA_IMPLEMENTOR_CHART_DIR || undefined);
  return {
    cacheDir: path.resolve(opts.cacheDir ?? (env.INFRA_IMPLEMENTOR_CACHE_DIR || path.join(userCache, 'infra-implementor', 'fetch'))),
    ...(chartDir ? { chartDir: path.resolve(chartDir) } : {}),
    offline: opts.offline ?? false,
  };
}

export const sha256Hex = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** A fresh folder inside the cache, for a tool to write into before its result is stored. */
export async function scratchDir(cacheDir: string): Promise<string> {
  const dir = path.join(cacheDir, 'tmp', randomUUID());
  await fs.mkdir(dir, { recursive: true });
  return dir;
}

/** Store a file by the hash of its bytes (moved in, atomically); returns its path in the cache. */
export async function storeBlob(cacheDir: string, file: string, ext = ''): Promise<{ path: string; digest: string }> {
  const digest = sha256Hex(await fs.readFile(file));
  const dest = path.join(cacheDir, 'blobs', 'sha256', `${digest}${ext}`);
  await fs.mkdir(path.dirname(dest), { recursive: true });
  if (await exists(dest)) await fs.rm(file, { force: true });
  else await fs.rename(file, dest);
  return { path: dest, digest: `sha256:${digest}` };
}

/** Store a folder (a Git checkout) under a content key; an existing entry is kept as is. */
export async function storeTree(cacheDir: string, dir: string, key: string): Promise<string> {
  const dest = path.join(cacheDir, 'trees', key);
  await fs.mkdir(path.dirname(dest), { recursive: true });
  if (await exists(dest)) await fs.rm(dir, { recursive: true, force: true });
  else await fs.rename(dir, dest);
  return dest;
}

export const exists = (p: string): Promise<boolean> => fs.access(p).then(() => true, () => false);

const refFile = (cacheDir: string, request: readonly string[]): string => path.join(cacheDir, 'refs', `${sha256Hex(request.join('\0'))}.json`);

/** What a request gave last time, if its content is still in the cache. */
export async function readRef<T extends { path: string }>(cacheDir: string, request: readonly string[]): Promise<T | undefined> {
  const text = await fs.readFile(refFile(cacheDir, request), 'utf8').catch(() => undefined);
  if (!text) return undefined;
  const ref = JSON.parse(text) as T;
  return (await exists(ref.path)) ? ref : undefined;
}

export async function writeRef(cacheDir: string, request: readonly string[], ref: { path: string }): Promise<void> {
  const file = refFile(cacheDir, request);
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${randomUUID()}`;
  await fs.writeFile(tmp, JSON.stringify(ref));
  await fs.rename(tmp, file);
}

/**
 * helm's environment: its download caches inside ours (the user's helm caches are not written), its
 * credentials where the user keeps them (HELM_REGISTRY_CONFIG, falling back to Docker's config, and
 * HELM_REPOSITORY_CONFIG), read by helm itself and never by this process.
 */
export const helmEnv = (cacheDir: string): Record<string, string> => ({
  HELM_CACHE_HOME: path.join(cacheDir, 'helm', 'cache'),
  HELM_REPOSITORY_CACHE: path.join(cacheDir, 'helm', 'repository'),
});

/** A URL as it may be shown: user and password removed. */
export const shownUrl = (url: string): string => url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]+@/i, '$1');

/** Text from a tool, safe to show: URLs without their credentials, one short line or a few. */
export function toolMessage(out: string, strip: readonly string[] = []): string {
  let text = out.replace(/([a-z][a-z0-9+.-]*:\/\/)[^@/\s]+@/gi, '$1');
  for (const s of strip) if (s) text = text.split(s).join('');
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !/^(WARNING|# Warning):/i.test(l));
  return lines.slice(-3).join(' ') || 'failed without a message';
}

/** Where offline tools are sent when they reach for the network over HTTP(S): a closed port on loopback. */
const NOWHERE = 'http://127.0.0.1:9';

/**
 * The environment of a tool run offline: a tool that reaches for the network over HTTP(S) by itself
 * (kustomize inflating `helmCharts`, helm loading a remote schema) fails at once instead of fetching.
 */
export const offlineEnv = (settings: Pick<FetchSettings, 'offline'> | undefined): Record<string, string> => (settings?.offline
  ? { HTTP_PROXY: NOWHERE, HTTPS_PROXY: NOWHERE, http_proxy: NOWHERE, https_proxy: NOWHERE, NO_PROXY: '', no_proxy: '' }
  : {});

/** Whether a tool's error says it was stopped by the offline guard. */
export const stoppedOffline = (err: string): boolean => /proxyconnect tcp: dial tcp 127\.0\.0\.1:9\b/.test(err);
