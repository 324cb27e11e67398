// Which forge a Git remote lives on, and where its API is: known from the remote's host (github.com,
// gitlab.com, codeberg.org) or named by the user for self-hosted ones, and the environment variables
// a worker takes the forge's token from. Pure and sandbox-safe: the CLI checks a run's flags with it,
// the worker's forge clients resolve the API with it.

export const FORGES = ['github', 'gitlab', 'gitea'] as const;
export type Forge = (typeof FORGES)[number];

/** A run's request for a pull request: the forge (resolved when the run starts) and its API, when not the default. */
export interface PullRequestTarget {
  forge: Forge;
  /** The API base for Enterprise and self-hosted forges; derived from the remote's host when absent. */
  apiUrl?: string;
}

/** A remote on a web host: its scheme for the API (https unless the remote itself is http), host and repository path. */
export interface ForgeRemote {
  scheme: 'http' | 'https';
  /** Host, with a port only for http(s) remotes (an SSH port is not the web's). */
  host: string;
  /** `owner/repo`, or `group/subgroup/project` on GitLab. */
  path: string;
}

const HOSTS: Record<string, Forge> = { 'github.com': 'github', 'gitlab.com': 'gitlab', 'codeberg.org': 'gitea' };

/** The remote's web host and repository path; undefined for a local path or a file:// URL. */
export function forgeRemote(url: string): ForgeRemote | undefined {
  const web = /^(https?):\/\/([^/@]+@)?([^/]+)\/(.+?)(?:\.git)?\/?$/i.exec(url);
  if (web) return { scheme: web[1]?.toLowerCase() === 'http' ? 'http' : 'https', host: (web[3] ?? '').toLowerCase(), path: web[4] ?? '' };
  const ssh = /^ssh:\/\/(?:[^/@]+@)?([^/:]+)(?::\d+)?\/(.+?)(?:\.git)?\/?$/i.exec(url) ?? /^[^/@\s]+@([^/:\s]+):(?!\/)(.+?)(?:\.git)?\/?$/.exec(url);
  if (ssh) return { scheme: 'https', host: (ssh[1] ?? '').toLowerCase(), path: ssh[2] ?? '' };
  return undefined;
}

/** The forge of a remote: the one named, else the one its host is known to be; a problem as one line otherwise. */
export function resolveForge(url: string, named?: string): { forge: Forge } | { problem: string } {
  if (named !== undefined && !(FORGES as readonly string[]).includes(named)) {
    return { problem: `--forge ${named}: use github, gitlab or gitea (Gitea and Forgejo)` };
  }
  const remote = forgeRemote(url);
  if (!remote) return { problem: `--pull-request needs a remote on a forge (https://host/owner/repo.git or git@host:owner/repo.git); ${url} is not one` };
  if (!remote.path.includes('/')) return { problem: `--pull-request: ${url} names no owner/repository path` };
  const forge = (named as Forge | undefined) ?? HOSTS[remote.host.replace(/:\d+$/, '')];
  if (!forge) return { problem: `--pull-request: cannot tell the forge of ${remote.host} from the URL; name it with --forge github|gitlab|gitea` };
  return { forge };
}

/** The API base of the forge: the one given, else github.com's, GitHub Enterprise's `/api/v3`, or the host itself. */
export function apiBase(target: PullRequestTarget, remote: ForgeRemote): string {
  if (target.apiUrl) return target.apiUrl.replace(/\/+$/, '');
  const origin = `${remote.scheme}://${remote.host}`;
  if (target.forge === 'github') return remote.host === 'github.com' ? 'https://api.github.com' : `${origin}/api/v3`;
  return origin;
}

/** Where a worker finds the forge's token: ours first, then the forge's usual variable. */
export const tokenVariables = (forge: Forge): [string, string] => ['INFRA_IMPLEMENTOR_FORGE_TOKEN', `${forge.toUpperCase()}_TOKEN`];

/** A run in the Temporal Web UI. */
export const runLink = (uiUrl: string, namespace: string, workflowId: string) =>
  `${uiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
