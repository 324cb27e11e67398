// Remote kustomize bases (`https://host/org/repo//path?ref=v1`, `github.com/org/repo/path`,
// `git::…`, `git@host:org/repo`) and URL resources (`https://…/file.yaml`), fetched into the cache
// (Git trees with the real git, files over HTTP), then a build tree in a scratch folder: the root's
// files copied, each remote reference rewritten to its fetched copy — and a fetched base's own remote
// bases likewise, in a copy of it, to any depth — so that kustomize builds offline what it would
// have fetched itself. What cannot be fetched is named with its URL (and the base that names it).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { isKustomizationFile, KUSTOMIZATION_FILES, kustomizationRefs, REMOTE_REF } from '../core/repo-model';
import { arr, rec } from '../core/yaml-docs';
import { readRef, scratchDir, sha256Hex, shownUrl, storeBlob, writeRef, type FetchSettings } from './fetch-cache';
import { fetchGit } from './fetch-git';

export interface RemoteSpec { repo: string; subPath: string; ref?: string }

/** A URL resource kustomize reads as one file, not a repository. */
export const isRemoteFile = (raw: string): boolean => /^https?:\/\//i.test(raw) && !raw.includes('?ref=') && !/\/\/.*\/\//.test(raw.replace(/^https?:\/\//i, '')) && /\.(ya?ml|json)$/i.test(raw.split('?')[0] ?? '');

/** kustomize's remote target split into repository, folder and ref. */
export function parseRemote(raw: string): RemoteSpec {
  const [base = raw, query = ''] = raw.replace(/^git::/, '').split('?');
  const ref = new URLSearchParams(query).get('ref') ?? new URLSearchParams(query).get('version') ?? undefined;
  const withRef = (repo: string, subPath: string): RemoteSpec => ({ repo, subPath: subPath.replace(/^\/+|\/+$/g, ''), ...(ref ? { ref } : {}) });
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(base)?.[0] ?? '';
  const rest = base.slice(scheme.length);
  const dbl = rest.indexOf('//');
  if (dbl >= 0) return withRef(scheme + rest.slice(0, dbl), rest.slice(dbl + 2));
  const dotGit = /^(.*?\.git)(\/.*)?$/.exec(rest);
  if (dotGit?.[1]) return withRef(scheme + dotGit[1], dotGit[2] ?? '');
  const scp = /^(git@[^:]+:[^/]+\/[^/]+)(\/.*)?$/.exec(base);
  if (scp?.[1]) return withRef(scp[1], scp[2] ?? '');
  // github.com/org/repo/path: the repository is the first two segments of the path.
  const host = /^([^/]+)\/([^/]+)\/([^/]+)(\/.*)?$/.exec(rest);
  if (host) return withRef(`${scheme || 'https://'}${host[1]}/${host[2]}/${host[3]}`, host[4] ?? '');
  return withRef(base, '');
}

type Fetched = { path: string } | { skipped: string };

async function fetchFile(url: string, settings: FetchSettings): Promise<Fetched> {
  const request = ['url', url];
  if (settings.offline) {
    const known = await readRef<{ path: string }>(settings.cacheDir, request);
    return known ?? { skipped: `${shownUrl(url)}: not in the cache, and --offline forbids the network` };
  }
  const res = await fetch(url, { signal: AbortSignal.timeout(60_000) }).catch((e: Error) => e);
  if (res instanceof Error || !res.ok) {
    return { skipped: `${shownUrl(url)} could not be fetched: ${res instanceof Error ? String((res.cause as Error | undefined)?.message ?? res.message) : `HTTP ${res.status}`}` };
  }
  const dir = await scratchDir(settings.cacheDir);
  const file = path.join(dir, 'resource');
  await fs.writeFile(file, new Uint8Array(await res.arrayBuffer()));
  const blob = await storeBlob(settings.cacheDir, file, path.extname(new URL(url).pathname) || '.yaml');
  await fs.rm(dir, { recursive: true, force: true });
  await writeRef(settings.cacheDir, request, { path: blob.path });
  return { path: blob.path };
}

/** How deep remote bases may name remote bases: kustomize has no limit, a cycle or a runaway must stop. */
const MAX_NESTING = 5;

/** The kustomization file of a folder in a fetched tree, parsed; undefined where there is none. */
async function kustomizationIn(dir: string): Promise<{ file: string; k: Record<string, unknown> } | undefined> {
  for (const name of KUSTOMIZATION_FILES) {
    const text = await fs.readFile(path.join(dir, name), 'utf8').catch(() => undefined);
    if (text !== undefined) return { file: path.join(dir, name), k: rec(parseDocument(text).toJS()) ?? {} };
  }
  return undefined;
}

/** The kustomization files a build of `start` reads inside `root`, with the remote references each names. */
async function remoteRefsUnder(root: string, start: string): Promise<Map<string, { k: Record<string, unknown>; remotes: string[] }>> {
  const out = new Map<string, { k: Record<string, unknown>; remotes: string[] }>();
  const seen = new Set<string>();
  const visit = async (dir: string) => {
    if (seen.has(dir) || path.relative(root, dir).startsWith('..')) return;
    seen.add(dir);
    const found = await kustomizationIn(dir);
    if (!found) return;
    const refs = kustomizationRefs('.', found.k);
    const remotes = refs.filter((r) => r.path === undefined).map((r) => r.raw);
    if (remotes.length) out.set(found.file, { k: found.k, remotes });
    for (const r of refs) if (r.path !== undefined && r.dirOk) await visit(path.join(dir, r.path));
  };
  await visit(start);
  return out;
}

/**
 * A remote base as a folder on disk. A base that names remote bases itself is copied (from the cache
 * into `scratch`) with those references rewritten to their own fetched copies, to any depth, so that
 * kustomize never fetches anything; the first one that cannot be had is named with the chain to it.
 */
async function fetchRemote(raw: string, settings: FetchSettings, scratch: string, depth = 0, signal?: AbortSignal): Promise<Fetched> {
  if (isRemoteFile(raw)) return fetchFile(raw, settings);
  const spec = parseRemote(raw);
  const tree = await fetchGit(spec.repo, spec.ref ? { name: spec.ref } : {}, settings, signal);
  if ('skipped' in tree) return { skipped: `remote base ${shownUrl(raw)}: ${tree.skipped}` };
  const nested = await remoteRefsUnder(tree.path, path.join(tree.path, spec.subPath));
  if (!nested.size) return { path: path.join(tree.path, spec.subPath) };
  if (depth >= MAX_NESTING) return { skipped: `remote base ${shownUrl(raw)}: remote bases nested more than ${MAX_NESTING} deep are not fetched` };
  const copy = path.join(scratch, 'remotes', sha256Hex(`${raw}\0${tree.rev}`));
  await fs.cp(tree.path, copy, { recursive: true });
  for (const [file, { k, remotes }] of nested) {
    const local = new Map<string, string>();
    for (const inner of remotes) {
      const got = await fetchRemote(inner, settings, scratch, depth + 1, signal);
      if ('skipped' in got) return { skipped: `${got.skipped} (named by the remote base ${shownUrl(raw)})` };
      local.set(inner, got.path);
    }
    const dest = path.join(copy, path.relative(tree.path, file));
    await fs.writeFile(dest, stringify(rewrite(k, (r) => { const p = local.get(r); return p ? path.relative(path.dirname(dest), p) : undefined; })));
  }
  return { path: path.join(copy, spec.subPath) };
}

/** Rewrite every remote reference of a kustomization object with `local(raw)`. */
function rewrite(k: Record<string, unknown>, local: (raw: string) => string | undefined): Record<string, unknown> {
  const swap = (v: unknown) => (typeof v === 'string' && REMOTE_REF.test(v) ? local(v) ?? v : v);
  const out = { ...k };
  for (const key of ['resources', 'bases', 'components']) if (Array.isArray(out[key])) out[key] = arr(out[key]).map(swap);
  return out;
}

export type BuildTree = { dir: string; cleanup: () => Promise<void> } | { skipped: string };

/**
 * A copy of the files a root reads (`inputs`, relative to `root`) with remote references pointing at
 * their fetched copies; `skipped` names the first URL that could not be had.
 */
export async function remoteBuildTree(root: string, inputs: readonly string[], text: (f: string) => string | undefined, settings: FetchSettings, signal?: AbortSignal): Promise<BuildTree> {
  const dir = await scratchDir(settings.cacheDir);
  const cleanup = () => fs.rm(dir, { recursive: true, force: true });
  const done = new Map<string, string>();
  for (const f of inputs) {
    const src = path.join(root, f);
    const dest = path.join(dir, f);
    const body = isKustomizationFile(f) ? text(f) : undefined;
    const k = body === undefined ? undefined : rec(parseDocument(body).toJS());
    if (!k) {
      await fs.mkdir(path.dirname(dest), { recursive: true });
      await fs.copyFile(src, dest).catch(() => undefined); // a named file that does not exist: kustomize says so
      continue;
    }
    for (const ref of kustomizationRefs(path.posix.dirname(f), k).filter((r) => r.path === undefined)) {
      if (done.has(ref.raw)) continue;
      const got = await fetchRemote(ref.raw, settings, dir, 0, signal);
      if ('skipped' in got) {
        await cleanup();
        return { skipped: got.skipped };
      }
      done.set(ref.raw, got.path);
    }
    await fs.mkdir(path.dirname(dest), { recursive: true });
    await fs.writeFile(dest, stringify(rewrite(k, (raw) => {
      const p = done.get(raw);
      return p ? path.relative(path.dirname(dest), p) : undefined;
    })));
  }
  return { dir, cleanup };
}
