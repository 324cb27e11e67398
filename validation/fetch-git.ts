// A Git tree at a ref, as Flux's GitRepository or kustomize's remote base would check it out, with
// the real git: one shallow fetch of the ref, stored in the cache under the URL and the commit it
// resolved to. A commit or tag is taken from the cache without asking the network again; a branch
// is asked again online, and offline the last checkout stands. Credentials are git's own (its
// credential helpers, ~/.git-credentials, GIT_ASKPASS): this process never reads them.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { GitRef } from '../core/repo-model/chart-source';
import { launch } from '../runtime/launcher';
import { readRef, scratchDir, sha256Hex, shownUrl, storeTree, toolMessage, writeRef, type FetchSettings } from './fetch-cache';

export type FetchedTree = { path: string; rev: string; from: 'cache' | 'network' } | { skipped: string };

const FETCH_TIMEOUT_MS = 180_000;

/** What `git fetch` asks for: the commit, the tag, the branch or ref name, else the default branch. */
function refspec(ref: GitRef): { spec: string; fixed: boolean } | { unsupported: string } {
  if (ref.commit) return { spec: ref.commit, fixed: true };
  if (ref.semver) return { unsupported: `a semver ref (${ref.semver}) is not resolved by this tool` };
  if (ref.tag) return { spec: `refs/tags/${ref.tag}`, fixed: true };
  if (ref.name) return { spec: ref.name, fixed: /^[0-9a-f]{40}$/.test(ref.name) };
  return { spec: ref.branch ? `refs/heads/${ref.branch}` : 'HEAD', fixed: false };
}

const describe = (ref: GitRef): string => ref.commit ?? ref.tag ?? ref.name ?? ref.branch ?? 'the default branch';

export async function fetchGit(url: string, ref: GitRef, settings: FetchSettings, signal?: AbortSignal): Promise<FetchedTree> {
  const shown = `${shownUrl(url)} at ${describe(ref)}`;
  const spec = refspec(ref);
  if ('unsupported' in spec) return { skipped: `${shown}: ${spec.unsupported}` };
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
