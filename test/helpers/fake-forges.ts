// GitHub and GitLab as local HTTP servers on loopback, for the official clients (Octokit, Gitbeaker)
// the forge step drives. Every request is recorded and checked against the forge's published contract:
// GitHub's OpenAPI description (@octokit/openapi: the operation exists, its query parameters are
// declared and in their enums, the JSON body validates against the operation's request schema) and
// GitLab's documented merge-request API (docs.gitlab.com/api/merge_requests: the routes, the
// parameters each takes, the required ones, PRIVATE-TOKEN). A test queues faults (429, 5xx, 401…).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { Ajv } from 'ajv';

export interface Recorded { method: string; path: string; query: Record<string, string>; headers: IncomingMessage['headers']; body: string }
export interface Fault { status: number; headers?: Record<string, string>; body?: unknown }

export interface FakeForge {
  url: string;
  requests: Recorded[];
  /** Contract violations seen so far, one line each. */
  violations: string[];
  /** The pull (merge) requests it holds. */
  pulls: { number: number; head: string; base: string; title: string; body: string; draft: boolean; state: 'open' }[];
  /** Answer the next requests with these, in order, before serving normally. */
  fail(...faults: Fault[]): void;
  close(): Promise<void>;
}

type Handler = (r: Recorded, json: unknown) => { status: number; body: unknown };

async function serve(check: (r: Recorded, json: unknown) => string[], handle: Handler, prefix = ''): Promise<FakeForge> {
  const state: Omit<FakeForge, 'url' | 'close' | 'fail'> = { requests: [], violations: [], pulls: [] };
  const faults: Fault[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => { body += d.toString(); });
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      const r: Recorded = { method: req.method ?? 'GET', path: u.pathname.startsWith(prefix) ? u.pathname.slice(prefix.length) : u.pathname, query: Object.fromEntries(u.searchParams), headers: req.headers, body };
      state.requests.push(r);
      let json: unknown;
      try { json = body ? JSON.parse(body) : undefined; } catch { state.violations.push(`${r.method} ${r.path}: the body is not JSON`); }
      state.violations.push(...check(r, json).map((v) => `${r.method} ${r.path}: ${v}`));
      const fault = faults.shift();
      const out = fault ? { status: fault.status, body: fault.body ?? { message: `injected ${fault.status}` } } : handle(r, json);
      res.writeHead(out.status, { 'content-type': 'application/json', ...(fault?.headers ?? {}) });
      res.end(JSON.stringify(out.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(state, {
    url, fail: (...f: Fault[]) => { faults.push(...f); },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  });
}

// --- GitHub: the published OpenAPI description ------------------------------------------------
type Json = Record<string, unknown>;
let spec: Json | undefined;
const githubSpec = (): Json => (spec ??= createRequire(import.meta.url)('@octokit/openapi/generated/api.github.com.json') as Json);
const ajv = new Ajv({ strict: false, allErrors: true });

/** `#/components/...` references resolved, for the few schemas a request uses. */
function deref(node: unknown, seen = new Set<string>()): unknown {
  if (Array.isArray(node)) return node.map((n) => deref(n, seen));
  if (!node || typeof node !== 'object') return node;
  const ref = (node as Json).$ref;
  if (typeof ref === 'string') {
    if (seen.has(ref)) return {};
    const target = ref.slice(2).split('/').reduce<unknown>((o, k) => (o as Json)?.[k], githubSpec());
    return deref(target, new Set([...seen, ref]));
  }
  return Object.fromEntries(Object.entries(node as Json).map(([k, v]) => [k, deref(v, seen)]));
}

function githubOperation(method: string, path: string): { params: Json[]; body?: unknown } | undefined {
  const paths = githubSpec().paths as Record<string, Record<string, Json>>;
  for (const [template, ops] of Object.entries(paths)) {
    const re = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    const op = ops[method.toLowerCase()];
    if (!op || !re.test(path)) continue;
    const params = (deref(op.parameters ?? []) as Json[]);
    const body = (deref(op.requestBody) as { content?: Record<string, { schema?: unknown }> } | undefined)?.content?.['application/json']?.schema;
    return { params, body };
  }
  return undefined;
}

function checkGitHub(r: Recorded, json: unknown): string[] {
  const op = githubOperation(r.method, r.path);
  if (!op) return ['no such operation in GitHub\'s OpenAPI description'];
  const problems: string[] = [];
  if (!/^(token|bearer) \S+$/i.test(String(r.headers.authorization ?? ''))) problems.push('no token in the Authorization header');
  for (const [name, value] of Object.entries(r.query)) {
    const p = op.params.find((x) => x.in === 'query' && x.name === name);
    const values = ((p?.schema as Json | undefined)?.enum as string[] | undefined);
    if (!p) problems.push(`query parameter ${name} is not declared`);
    else if (values && !values.includes(value)) problems.push(`query parameter ${name}=${value} is not one of ${values.join(', ')}`);
  }
  if (op.body) {
    const validate = ajv.compile(op.body as object);
    if (!validate(json)) problems.push(`the body does not match the request schema: ${ajv.errorsText(validate.errors)}`);
  }
  return problems;
}

export function fakeGitHub(opts: { prefix?: string } = {}): Promise<FakeForge> {
  let forge: FakeForge;
  const view = (p: FakeForge['pulls'][number]) => ({ number: p.number, html_url: `https://github.example/owner/infra/pull/${p.number}`, draft: p.draft, state: p.state, title: p.title, body: p.body, head: { ref: p.head }, base: { ref: p.base } });
  const handle: Handler = (r, json) => {
    const body = json as { head: string; base: string; title: string; body: string; draft?: boolean };
    if (r.method === 'GET' && r.path === '/repos/owner/infra/pulls') {
      return { status: 200, body: forge.pulls.filter((p) => `owner:${p.head}` === r.query.head && (!r.query.base || p.base === r.query.base)).map(view) };
    }
    if (r.method === 'POST' && r.path === '/repos/owner/infra/pulls') {
      const p = { number: forge.pulls.length + 1, head: body.head, base: body.base, title: body.title, body: body.body, draft: Boolean(body.draft), state: 'open' as const };
      forge.pulls.push(p);
      return { status: 201, body: view(p) };
    }
    const m = /^\/repos\/owner\/infra\/pulls\/(\d+)$/.exec(r.path);
    const p = m ? forge.pulls.find((x) => x.number === Number(m[1])) : undefined;
    if (r.method === 'PATCH' && p) {
      Object.assign(p, { title: body.title, body: body.body });
      return { status: 200, body: view(p) };
    }
    return { status: 404, body: { message: 'Not Found' } };
  };
  return serve(checkGitHub, handle, opts.prefix).then((f) => (forge = f));
}

// --- GitLab: the documented merge-request API -------------------------------------------------
/** From docs.gitlab.com/api/merge_requests: the parameters of the three calls we make. */
const GITLAB_DOCS: { method: string; route: RegExp; params: string[]; required: string[]; enums?: Record<string, string[]> }[] = [
  {
    method: 'GET', route: /^\/api\/v4\/projects\/[^/]+\/merge_requests$/, required: [],
    params: ['state', 'source_branch', 'target_branch', 'order_by', 'sort', 'scope', 'labels', 'milestone', 'view', 'author_id', 'assignee_id', 'search', 'wip', 'page', 'per_page', 'iids[]', 'created_after', 'created_before', 'updated_after', 'updated_before'],
    enums: { state: ['opened', 'closed', 'locked', 'merged', 'all'] },
  },
  {
    method: 'POST', route: /^\/api\/v4\/projects\/[^/]+\/merge_requests$/, required: ['source_branch', 'target_branch', 'title'],
    params: ['source_branch', 'target_branch', 'title', 'allow_collaboration', 'approvals_before_merge', 'allow_maintainer_to_push', 'assignee_id', 'assignee_ids', 'description', 'labels', 'milestone_id', 'remove_source_branch', 'reviewer_ids', 'squash', 'target_project_id'],
  },
  {
    method: 'PUT', route: /^\/api\/v4\/projects\/[^/]+\/merge_requests\/\d+$/, required: [],
    params: ['add_labels', 'allow_collaboration', 'allow_maintainer_to_push', 'assignee_id', 'assignee_ids', 'description', 'discussion_locked', 'labels', 'milestone_id', 'remove_labels', 'remove_source_branch', 'reviewer_ids', 'squash', 'state_event', 'target_branch', 'title'],
  },
];

function checkGitLab(r: Recorded, json: unknown): string[] {
  const doc = GITLAB_DOCS.find((d) => d.method === r.method && d.route.test(r.path));
  if (!doc) return ['not a documented merge-request call'];
  const problems: string[] = [];
  if (!r.headers['private-token']) problems.push('no PRIVATE-TOKEN header');
  const given: Record<string, unknown> = { ...r.query, ...(json as Json | undefined) };
  for (const [k, v] of Object.entries(given)) {
    if (!doc.params.includes(k)) problems.push(`parameter ${k} is not documented`);
    else if (doc.enums?.[k] && !doc.enums[k]?.includes(String(v))) problems.push(`${k}=${String(v)} is not one of ${doc.enums[k]?.join(', ')}`);
  }
  for (const k of doc.required) if (given[k] === undefined) problems.push(`required parameter ${k} is missing`);
  return problems;
}

export function fakeGitLab(): Promise<FakeForge> {
  let forge: FakeForge;
  const view = (p: FakeForge['pulls'][number]) => ({ iid: p.number, web_url: `https://gitlab.example/group/infra/-/merge_requests/${p.number}`, draft: p.title.startsWith('Draft: '), state: 'opened', title: p.title, description: p.body, source_branch: p.head, target_branch: p.base });
  const handle: Handler = (r, json) => {
    const body = { title: '', description: '', ...(json as object) } as { source_branch: string; target_branch: string; title: string; description: string };
    if (!r.path.startsWith('/api/v4/projects/group%2Finfra/')) return { status: 404, body: { message: '404 Project Not Found' } };
    if (r.method === 'GET') return { status: 200, body: forge.pulls.filter((p) => p.head === r.query.source_branch && p.base === r.query.target_branch).map(view) };
    if (r.method === 'POST') {
      const p = { number: forge.pulls.length + 1, head: body.source_branch, base: body.target_branch, title: body.title, body: body.description, draft: body.title.startsWith('Draft: '), state: 'open' as const };
      forge.pulls.push(p);
      return { status: 201, body: view(p) };
    }
    const p = forge.pulls.find((x) => x.number === Number(r.path.split('/').pop()));
    if (r.method === 'PUT' && p) {
      Object.assign(p, { title: body.title, body: body.description, draft: body.title.startsWith('Draft: ') });
      return { status: 200, body: view(p) };
    }
    return { status: 404, body: { message: '404 Not found' } };
  };
  return serve(checkGitLab, handle).then((f) => (forge = f));
}
