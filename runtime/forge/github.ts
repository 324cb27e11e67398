// GitHub and GitHub Enterprise through Octokit (@octokit/rest): `pulls.list` filtered by head and
// base, `pulls.create` (a draft by its flag), `pulls.update`. @octokit/rest carries no retry or
// throttling plugin, so every retry is a Temporal activity attempt; its request log is silenced.
import { Octokit } from '@octokit/rest';
import { ForgeHttpError, toHeaders, type ForgeApi, type OpenPullRequest } from './api';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

interface GitHubPull { number: number; html_url: string; draft?: boolean }

/** Octokit's RequestError (status, response headers), as every forge's error. */
function asForgeError(err: unknown): unknown {
  const e = err as { status?: unknown; message?: unknown; response?: { headers?: Record<string, unknown>; data?: { message?: string } } };
  if (typeof e?.status !== 'number' || e.status === 0) return err instanceof Error ? new ForgeHttpError(undefined, err.message) : err;
  return new ForgeHttpError(e.status, e.response?.data?.message ?? String(e.message), toHeaders(e.response?.headers));
}

export function githubApi(opts: { apiUrl: string; repo: string; token: string; signal?: AbortSignal }): ForgeApi {
  const [owner = '', repo = ''] = opts.repo.split('/');
  const octokit = new Octokit({ auth: opts.token, baseUrl: opts.apiUrl, userAgent: 'infra-implementor', log: quiet, request: { ...(opts.signal ? { signal: opts.signal } : {}) } });
  const seen = (p: GitHubPull): OpenPullRequest => ({ number: p.number, url: p.html_url, draft: Boolean(p.draft) });
  const mapped = <T>(p: Promise<T>) => p.catch((e: unknown) => { throw asForgeError(e); });
  return {
    async findOpen(head, base) {
      const { data } = await mapped(octokit.rest.pulls.list({ owner, repo, state: 'open', head: `${owner}:${head}`, base, per_page: 100 }));
      const ours = data.find((p) => p.head.ref === head && p.base.ref === base);
      return ours ? seen(ours) : undefined;
    },
    async create(head, base, c) {
      const { data } = await mapped(octokit.rest.pulls.create({ owner, repo, head, base, title: c.title, body: c.body, draft: c.draft }));
      return seen(data);
    },
    // The REST API cannot turn a draft into a ready one (GraphQL can): the draft state stays as opened.
    async update(pr, c) {
      const { data } = await mapped(octokit.rest.pulls.update({ owner, repo, pull_number: pr.number, title: c.title, body: c.body }));
      return seen(data);
    },
  };
}
