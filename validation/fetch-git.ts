// A Git tree at a ref, as Flux's GitRepository or kustomize's remote base would check it out, with
// the real git (a semver range resolved to its highest matching tag first): one shallow fetch of the ref, stored in the cache under the URL and the commit it
// resolved to. A commit or tag is taken from the cache without asking the network again; a branch
// is asked again online, and offline the last checkout stands. Credentials are git's own (its
// credential helpers, ~/.git-credentials, GIT_ASKPASS): this process never reads them.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { GitRef } from '../core/repo-model/chart-source';
import { coerce, maxSatisfying, valid, validRange } from 'semver';
import { launch } from '../runtime/launcher';
import { readRef, scratchDir, sha256Hex, shownUrl, storeTree, toolMessage, writeRef, type FetchSettings } from './fetch-cache';

/** `resolved`: for a semver ref, the tag it resolved to, said as shown in messages. */
export type FetchedTree = { path: string; rev: string; from: 'cache' | 'network'; resolved?: string } | { skipped: string };

const FETCH_TIMEOUT_MS = 180_000;

/** What `git fetch` asks for: the commit, the tag, the branch or ref name, else the default branch. */
function refspec(ref: GitRef): { spec: string; fixed: boolean } {
  if (ref.commit) return { spec: ref.commit, fixed: true };
  if (ref.tag) return { spec: `refs/tags/${ref.tag}`, fixed: true };
  if (ref.name) return { spec: ref.name, fixed: /^[0-9a-f]{40}$/.test(ref.name) };
  return { spec: ref.branch ? `refs/heads/${ref.branch}` : 'HEAD', fixed: false };
}

const describe = (ref: GitRef): string => ref.commit ?? ref.tag ?? ref.name ?? ref.branch ?? 'the default branch';

/**
 * source-controller's `ref.semver`: the highest tag whose version satisfies the range (tags that are
 * not versions ignored; Masterminds' `,` for "and" read as a space). Asked again online, since a new
 * tag may match; offline the last resolution stands.
 */
async function fetchSemver(url: string, range: string, settings: FetchSettings, signal?: AbortSignal): Promise<FetchedTree> {
  const shown = `${shownUrl(url)} at semver "${range}"`;
  const request = ['git', url, `semver:${range}`];
  const wanted = validRange(range.replace(/,/g, ' '), { loose: true });
  if (!wanted) return { skipped: `${shown}: "${range}" is not a semver range (source-controller fails it the same way)` };
  if (settings.offline) {
    const known = await readRef<{ path: string; rev: string; tag: string }>(settings.cacheDir, request);
    return known ? { path: known.path, rev: known.rev, from: 'cache', resolved: `tag ${known.tag} for semver "${range}"` } : { skipped: `${shown}: not in the cache, and --offline forbids the network` };
  }
  const r = await launch('git', ['ls-remote', '--tags', '--refs', url], { timeout: FETCH_TIMEOUT_MS, env: { GIT_TERMINAL_PROMPT: '0' }, ...(signal ? { cancelSignal: signal } : {}) });
  if (r.exitCode !== 0) return { skipped: `${shown}: its tags could not be listed: ${r.code === 'ENOENT' ? 'git is not installed' : toolMessage(String(r.stderr || r.message || ''))}` };
  const tags = String(r.stdout).split('\n').flatMap((l) => /\trefs\/tags\/(.+)$/.exec(l)?.[1] ?? []);
  const byVersion = new Map<string, string>();
  for (const tag of tags) {
    const v = valid(tag, { loose: true }) ?? (/^v?\d+(\.\d+)?$/.test(tag) ? coerce(tag)?.version ?? null : null);
    if (v && !byVersion.has(v)) byVersion.set(v, tag);
  }
  const best = maxSatisfying([...byVersion.keys()], wanted, { loose: true });
  const tag = best ? byVersion.get(best) : undefined;
  if (!tag) return { skipped: `${shown}: no tag matches (${tags.length ? `tags: ${tags.slice(-8).join(', ')}` : 'no tags'})` };
  const tree = await fetchGit(url, { tag }, settings, signal);
  if ('skipped' in tree) return tree;
  await writeRef(settings.cacheDir, request, { path: tree.path, rev: tree.rev, tag } as { path: string });
  return { ...tree, resolved: `tag ${tag} for semver "${range}"` };
}

export async function fetchGit(url: string, ref: GitRef, settings: FetchSettings, signal?: AbortSignal): Promise<FetchedTree> {
  // source-controller's precedence: commit, name, then semver, tag, branch.
  if (ref.semver && !ref.commit && !ref.name) return fetchSemver(url, ref.semver, settings, signal);
  const shown = `${shownUrl(url)} at ${describe(ref)}`;
  const spec = refspec(ref);
  const request = ['git', url, spec.spec];
  const known = await readRef<{ path: string; rev: string }>(settings.cacheDir, request);
  if (known && (spec.fixed || settings.offline)) return { path: known.path, rev: known.rev, from: 'cache' };
  if (settings.offline) return { skipped: `${shown}: not in the cache, and --offline forbids the network` };
  const dir = await scratchDir(settings.cacheDir);
  const git = async (args: string[]) => launch('git', args, {
    cwd: dir, timeout: FETCH_TIMEOUT_MS, env: { GIT_TERMINAL_PROMPT: '0' }, ...(signal ? { cancelSignal: signal } : {}),
  });
  try {
    const steps = [['init', '--quiet'], ['fetch', '--quiet', '--depth=1', '--no-tags', url, spec.spec], ['checkout', '--quiet', 'FETCH_HEAD']];
    for (const args of steps) {
      const r = await git(args);
      if (r.exitCode !== 0) return { skipped: `${shown} could not be fetched: ${r.code === 'ENOENT' ? 'git is not installed' : toolMessage(String(r.stderr || r.message || ''), [dir])}` };
    }
    const rev = String((await git(['rev-parse', 'HEAD'])).stdout).trim();
    await fs.rm(path.join(dir, '.git'), { recursive: true, force: true });
    const tree = await storeTree(settings.cacheDir, dir, sha256Hex(`${url}\0${rev}`));
    await writeRef(settings.cacheDir, request, { path: tree, rev } as { path: string });
    return { path: tree, rev, from: 'network' };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
