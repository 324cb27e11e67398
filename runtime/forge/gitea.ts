// Gitea and Forgejo through their REST API (/api/v1): list the open pull requests into the base and
// take the one from our branch, create one, or edit its title and body. A draft is a `WIP:` title,
// as both forges mark work in progress.
import { requestJson, type ForgeApi, type OpenPullRequest, type PullRequestContent } from './api';

interface GiteaPull {
  number: number;
  html_url: string;
  title: string;
  draft?: boolean;
  head: { ref: string; repo?: { full_name?: string } | null };
  base: { ref: string };
}

const WIP = 'WIP: ';
const PAGE = 50;

export function giteaApi(opts: { apiUrl: string; repo: string; token: string; signal?: AbortSignal }): ForgeApi {
  const root = `${opts.apiUrl.replace(/\/api\/v1$/, '')}/api/v1/repos/${opts.repo.split('/').map(encodeURIComponent).join('/')}`;
  const headers = { authorization: `token ${opts.token}`, accept: 'application/json', 'content-type': 'application/json' };
  const call = <T>(method: string, url: string, body?: unknown) =>
    requestJson<T>(url, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
  const seen = (p: GiteaPull): OpenPullRequest => ({ number: p.number, url: p.html_url, draft: p.draft ?? p.title.startsWith(WIP) });
  const title = (c: PullRequestContent) => (c.draft ? `${WIP}${c.title}` : c.title);
  return {
    async findOpen(head, base) {
      for (let page = 1; ; page++) {
        const query = new URLSearchParams({ state: 'open', base_branch: base, limit: String(PAGE), page: String(page) });
        const pulls = await call<GiteaPull[]>('GET', `${root}/pulls?${query}`);
        const ours = pulls.find((p) => p.head.ref === head && p.base.ref === base && (!p.head.repo?.full_name || p.head.repo.full_name.toLowerCase() === opts.repo.toLowerCase()));
        if (ours) return seen(ours);
        if (pulls.length < PAGE) return undefined;
      }
    },
    async create(head, base, c) {
      return seen(await call<GiteaPull>('POST', `${root}/pulls`, { head, base, title: title(c), body: c.body }));
    },
    async update(pr, c) {
      return seen(await call<GiteaPull>('PATCH', `${root}/pulls/${pr.number}`, { title: title(c), body: c.body }));
    },
  };
}
