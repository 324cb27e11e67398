// GitLab (gitlab.com and self-managed) through Gitbeaker's MergeRequests resource (@gitbeaker/rest):
// `all` by source and target branch, `create`, `edit`. Gitbeaker's own request handler retries 429
// and 502 ten times within a second without reading Retry-After; ours sends each request once and
// lets the failure reach Temporal, whose retry policy (honouring Retry-After) owns every retry.
import { MergeRequests } from '@gitbeaker/rest';
import { createRequesterFn } from '@gitbeaker/requester-utils';
import { send, type ForgeApi, type OpenPullRequest, type PullRequestContent } from './api';

const DRAFT = 'Draft: ';

interface RequestOptions { method?: string; headers?: Record<string, string>; body?: string; prefixUrl?: string; searchParams?: string; signal?: AbortSignal }

async function once(endpoint: string, options: RequestOptions = {}): Promise<{ body: unknown; headers: Record<string, string>; status: number }> {
  const base = (options.prefixUrl ?? '').replace(/\/?$/, '/');
  const url = new URL(endpoint, base);
  url.search = options.searchParams ?? '';
  const { response, text } = await send(url, { method: options.method ?? 'GET', ...(options.headers ? { headers: options.headers } : {}), ...(options.body ? { body: options.body } : {}), ...(options.signal ? { signal: options.signal } : {}) });
  return { body: text ? JSON.parse(text) : {}, headers: Object.fromEntries(response.headers.entries()), status: response.status };
}

const oneTry = createRequesterFn((_, options) => Promise.resolve(options), once as Parameters<typeof createRequesterFn>[1]);

interface GitLabMr { iid: number; web_url: string; draft?: boolean; work_in_progress?: boolean; source_branch: string; target_branch: string }

export function gitlabApi(opts: { apiUrl: string; repo: string; token: string }): ForgeApi {
  const api = new MergeRequests({ host: opts.apiUrl.replace(/\/api\/v4$/, ''), token: opts.token, requesterFn: oneTry });
  const projectId = opts.repo;
  const seen = (m: GitLabMr): OpenPullRequest => ({ number: m.iid, url: m.web_url, draft: Boolean(m.draft ?? m.work_in_progress) });
  const title = (c: PullRequestContent) => (c.draft ? `${DRAFT}${c.title}` : c.title);
  return {
    async findOpen(head, base) {
      const found = (await api.all({ projectId, sourceBranch: head, targetBranch: base, state: 'opened' })) as unknown as GitLabMr[];
      const ours = found.find((m) => m.source_branch === head && m.target_branch === base);
      return ours ? seen(ours) : undefined;
    },
    async create(head, base, c) {
      return seen((await api.create(projectId, head, base, title(c), { description: c.body })) as unknown as GitLabMr);
    },
    async update(pr, c) {
      return seen((await api.edit(projectId, pr.number, { title: title(c), description: c.body })) as unknown as GitLabMr);
    },
  };
}
