// The forge step through the official clients, Octokit for GitHub (and Enterprise) and Gitbeaker for
// GitLab, against local servers that check every request against GitHub's OpenAPI description and
// GitLab's documented merge-request API; the retry taxonomy (429/5xx retried after Retry-After,
// 401/403 final, one request per attempt: no retry inside a client); a token planted in the report
// never reaches a request body; and the command line's refusals, one line each.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { featureInput, implementInput, UsageError } from '../client/inputs';
import { apiBase, forgeRemote, resolveForge, runLink } from '../core/forge';
import { isDraft, pullRequestBody, type ReviewedReport } from '../core/pull-request-body';
import { emptyUsage, type ImplementorReport } from '../core/schemas';
import { openPullRequest } from '../runtime/forge';
import { reviewedFeature } from '../workflows/feature-children';
import { EXAMPLES, specFile } from './helpers/repo';
import { fakeGitHub, fakeGitLab, type FakeForge } from './helpers/fake-forges';

const TOKEN = 'ghp_plantedTokenThatMustNeverLeak0123456789';

const report = (over: Partial<ImplementorReport> = {}): ImplementorReport => ({
  workflowId: 'implement-orders-1', feature: `Add orders (${TOKEN} pasted by mistake)`, scope: 'orders service', status: 'succeeded', attempts: 1,
  filesCreated: ['apps/base/orders/deployment.yaml'], filesModified: ['apps/staging/kustomization.yaml'], filesDeleted: [],
  assumptions: [{ file: 'apps/base/orders/deployment.yaml', text: 'two replicas, as catalog has' }],
  dependencies: [{ kind: 'image', description: 'image ghcr.io/acme/orders:1.4.2 must be built and pushed' }],
  validations: [{ validator: 'kustomize', target: 'apps/staging', status: 'pass', message: '' }], findings: [],
  llmUsage: { ...emptyUsage(), calls: 3, inputTokens: 1200, outputTokens: 800, costUsd: 0.0421 }, humanAnswers: [], audit: [],
  summary: `Implemented and validated on attempt 1 (the token ${TOKEN} must never show).`, ...over,
});
const accepted = () => report({
  status: 'accepted', validations: [{ validator: 'kustomize', target: 'apps/staging', status: 'fail', message: 'accumulating resources: missing file' }],
  audit: [{ id: 'q1', kind: 'validation', question: 'Validation still fails', askedAt: '2026-12-07T06:00:00.000Z', answer: { action: 'accept', by: 'alice', at: '2026-12-07T06:05:00.000Z' } }],
});

const ctx = (env: Record<string, string>) => ({ runUrl: 'http://ui.test/namespaces/default/workflows/implement-orders-1', env });
async function failure(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof ApplicationFailure, `an ApplicationFailure, got ${String(err)}`);
  assert.ok(!err.message.includes(TOKEN), 'the token is not in the failure');
  return err;
}
const noTokenInBodies = (f: FakeForge) => { for (const r of f.requests) assert.ok(!r.body.includes(TOKEN) && !Object.values(r.query).join().includes(TOKEN), `${r.method} ${r.path} carries the token`); };

describe('GitHub through Octokit, checked against GitHub\'s OpenAPI description', () => {
  let gh: FakeForge;
  before(async () => { gh = await fakeGitHub(); });
  after(async () => { await gh.close(); });
  const open = (r: ImplementorReport, env: Record<string, string> = { GITHUB_TOKEN: TOKEN }, apiUrl = gh.url) =>
    openPullRequest({ url: 'git@github.com:owner/infra.git', target: { forge: 'github', apiUrl }, base: 'main', branch: 'infra/orders', reviewed: { kind: 'scope', report: r } }, ctx(env));

  it('opens a pull request, then updates it instead of opening another; every request is an operation of the description with a valid body, and the planted token only ever travels in the Authorization header', async () => {
    const first = await open(report());
    assert.deepEqual(first, { number: 1, url: 'https://github.example/owner/infra/pull/1', draft: false, created: true });
    const second = await open(report({ summary: 'Second run.' }));
    assert.deepEqual([second.number, second.created], [1, false]);
    assert.equal(gh.pulls.length, 1);
    assert.deepEqual(gh.requests.map((r) => `${r.method} ${r.path}`), ['GET /repos/owner/infra/pulls', 'POST /repos/owner/infra/pulls', 'GET /repos/owner/infra/pulls', 'PATCH /repos/owner/infra/pulls/1']);
    assert.deepEqual(gh.requests[0]?.query, { state: 'open', head: 'owner:infra/orders', base: 'main', per_page: '100' });
    assert.deepEqual(gh.violations, []);
    assert.ok(gh.requests.every((r) => r.headers.authorization === `token ${TOKEN}`));
    noTokenInBodies(gh);
    assert.match(gh.pulls[0]?.title ?? '', /^Add orders \(<redacted: \d+ characters> pasted by mistake\)$/);
    assert.match(gh.pulls[0]?.body ?? '', /Second run\./);
  });

  it('a run accepted with failures is created as a draft whose body leads with what still fails', async () => {
    gh.pulls.length = 0;
    const pr = await open({ ...accepted(), workflowId: 'implement-orders-2' }, { GITHUB_TOKEN: TOKEN });
    assert.equal(pr.draft, true);
    const post = gh.requests.findLast((r) => r.method === 'POST');
    const body = JSON.parse(post?.body ?? '{}') as { draft: boolean; body: string };
    assert.equal(body.draft, true);
    assert.match(body.body, /^## ⚠️ Still failing\n\nThis run ended \*\*accepted\*\*: it was accepted with what follows still failing, so this pull request is a draft\.\n\n- `FAIL    kustomize apps\/staging — accumulating resources: missing file`/);
    assert.match(body.body, /q1 asked .* — accept by alice at 2026-12-07T06:05:00.000Z/);
    assert.deepEqual(gh.violations, []);
  });

  it('the checker itself flags what the description does not allow', async () => {
    const before = gh.violations.length;
    await fetch(`${gh.url}/repos/owner/infra/pulls?state=opened&heads=x`, { headers: { authorization: 'token t' } });
    await fetch(`${gh.url}/repos/owner/infra/pulls`, { method: 'POST', headers: { authorization: 'token t' }, body: JSON.stringify({ title: 't', head: 'h', draft: 'yes' }) });
    await fetch(`${gh.url}/repos/owner/infra/pull/1`, { method: 'PUT', headers: { authorization: 'token t' }, body: '{}' });
    const seen = gh.violations.slice(before).join('\n');
    for (const v of [/state=opened is not one of open, closed, all/, /query parameter heads is not declared/, /must have required property 'base'/, /draft.*must be boolean/, /PUT \/repos\/owner\/infra\/pull\/1: no such operation/]) assert.match(seen, v);
    gh.violations.splice(before);
  });

  it('GitHub Enterprise: the API under /api/v3 of the given URL', async () => {
    const ghe = await fakeGitHub({ prefix: '/api/v3' });
    try {
      const pr = await openPullRequest({ url: 'https://ghe.example.com/owner/infra.git', target: { forge: 'github', apiUrl: `${ghe.url}/api/v3` }, base: 'main', branch: 'infra/orders', reviewed: { kind: 'scope', report: report() } }, ctx({ INFRA_IMPLEMENTOR_FORGE_TOKEN: TOKEN }));
      assert.equal(pr.created, true);
      assert.deepEqual(ghe.violations, []);
      assert.equal(ghe.requests.length, 2);
    } finally {
      await ghe.close();
    }
  });

  it('429, 5xx and 404 (a branch not indexed yet) are retryable, with the Retry-After as the next delay, one request each (no retry inside Octokit); 401 and 403 are final and name the fix', async () => {
    gh.pulls.length = 0;
    const cases: [Parameters<FakeForge['fail']>[0], string, boolean, number | undefined, RegExp][] = [
      [{ status: 429, headers: { 'retry-after': '7' } }, 'ForgeRateLimited', false, 7000, /github is rate limiting \(429/],
      [{ status: 403, headers: { 'x-ratelimit-remaining': '0', 'retry-after': '3' } }, 'ForgeRateLimited', false, 3000, /rate limiting \(403/],
      [{ status: 502 }, 'ForgeUnavailable', false, undefined, /github failed \(502: injected 502\); retried/],
      [{ status: 404, body: { message: 'Not Found' } }, 'ForgeUnavailable', false, 2000, /404: Not Found\); retried, as a branch just pushed may not be indexed yet$/],
      [{ status: 401, body: { message: 'Bad credentials' } }, 'ForgeDenied', true, undefined, /^github refused the token \(401: Bad credentials\): set a valid one in INFRA_IMPLEMENTOR_FORGE_TOKEN or GITHUB_TOKEN on the workers$/],
      [{ status: 403, body: { message: 'Resource not accessible by personal access token' } }, 'ForgeDenied', true, undefined, /^the github token may not open pull requests on owner\/infra \(403: Resource not accessible by personal access token\): give it write access/],
    ];
    for (const [fault, type, final, delay, message] of cases) {
      const before = gh.requests.length;
      gh.fail(fault);
      const f = await failure(open(report()));
      assert.deepEqual([f.type, f.nonRetryable, f.nextRetryDelay], [type, final, delay], `${fault.status}: ${f.message}`);
      assert.match(f.message, message);
      assert.equal(gh.requests.length - before, 1, `${fault.status}: one request, no retry inside the client`);
    }
    assert.equal(gh.pulls.length, 0);
  });

  it('a create that finds the pull request opened meanwhile (422) updates it', async () => {
    gh.pulls.length = 0;
    gh.pulls.push({ number: 9, head: 'infra/orders', base: 'main', title: 'old', body: 'old', draft: false, state: 'open' });
    // The first list answers empty (as if it raced the other attempt), the create says it exists.
    gh.fail({ status: 200, body: [] }, { status: 422, body: { message: 'Validation Failed', errors: [{ message: 'A pull request already exists for owner:infra/orders.' }] } });
    const pr = await open(report());
    assert.deepEqual([pr.number, pr.created], [9, false]);
    assert.equal(gh.pulls.length, 1);
  });

  it('no token in the worker\'s environment: a non-retryable failure naming the variables', async () => {
    const f = await failure(open(report(), {}));
    assert.deepEqual([f.type, f.nonRetryable, f.message], ['InvalidInput', true, 'no github token: set INFRA_IMPLEMENTOR_FORGE_TOKEN or GITHUB_TOKEN in the worker\'s environment']);
  });
});

describe('GitLab through Gitbeaker, checked against the documented merge-request API', () => {
  let gl: FakeForge;
  before(async () => { gl = await fakeGitLab(); });
  after(async () => { await gl.close(); });
  const open = (r: ImplementorReport) => openPullRequest({ url: 'https://gitlab.example.com/group/infra.git', target: { forge: 'gitlab', apiUrl: gl.url }, base: 'main', branch: 'infra/orders', reviewed: { kind: 'scope', report: r } }, ctx({ GITLAB_TOKEN: TOKEN }));

  it('opens a merge request (a draft by its title), then updates it; the project by its encoded path, PRIVATE-TOKEN, documented parameters only', async () => {
    const first = await open(accepted());
    assert.deepEqual(first, { number: 1, url: 'https://gitlab.example/group/infra/-/merge_requests/1', draft: true, created: true });
    assert.match(gl.pulls[0]?.title ?? '', /^Draft: Add orders/);
    const second = await open(report());
    assert.deepEqual([second.number, second.created, second.draft], [1, false, false], 'ready once nothing fails: the Draft: prefix goes');
    assert.deepEqual(gl.requests.map((r) => `${r.method} ${r.path}`), [
      'GET /api/v4/projects/group%2Finfra/merge_requests', 'POST /api/v4/projects/group%2Finfra/merge_requests',
      'GET /api/v4/projects/group%2Finfra/merge_requests', 'PUT /api/v4/projects/group%2Finfra/merge_requests/1',
    ]);
    assert.deepEqual(gl.requests[0]?.query, { source_branch: 'infra/orders', target_branch: 'main', state: 'opened' });
    assert.deepEqual(gl.violations, []);
    assert.ok(gl.requests.every((r) => r.headers['private-token'] === TOKEN));
    noTokenInBodies(gl);
  });

  it('the checker itself flags an undocumented parameter, a missing title and a missing PRIVATE-TOKEN', async () => {
    const before = gl.violations.length;
    await fetch(`${gl.url}/api/v4/projects/group%2Finfra/merge_requests`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ source_branch: 'a', target_branch: 'b', draft: true }) });
    const seen = gl.violations.slice(before).join('\n');
    for (const v of [/no PRIVATE-TOKEN header/, /parameter draft is not documented/, /required parameter title is missing/]) assert.match(seen, v);
    gl.violations.splice(before);
    gl.pulls.length = 0;
  });

  it('429 is one request (Gitbeaker\'s own ten quick retries are bypassed) and retryable after Retry-After; 401 is final', async () => {
    const before = gl.requests.length;
    gl.fail({ status: 429, headers: { 'retry-after': '12' }, body: { message: 'Retry later' } });
    const limited = await failure(open(report()));
    assert.deepEqual([limited.type, limited.nonRetryable, limited.nextRetryDelay, gl.requests.length - before], ['ForgeRateLimited', false, 12_000, 1]);
    gl.fail({ status: 401, body: { message: '401 Unauthorized' } });
    const denied = await failure(open(report()));
    assert.deepEqual([denied.type, denied.nonRetryable], ['ForgeDenied', true]);
    assert.match(denied.message, /GITLAB_TOKEN/);
  });
});

describe('which forge, where its API is, and the command line\'s refusals', () => {
  it('knows the forge from github.com, gitlab.com and codeberg.org, and needs --forge elsewhere', () => {
    assert.deepEqual(resolveForge('git@github.com:acme/infra.git'), { forge: 'github' });
    assert.deepEqual(resolveForge('https://gitlab.com/acme/platform/infra.git'), { forge: 'gitlab' });
    assert.deepEqual(resolveForge('https://codeberg.org/acme/infra'), { forge: 'gitea' });
    assert.deepEqual(resolveForge('ssh://git@git.acme.internal:2222/acme/infra.git', 'gitea'), { forge: 'gitea' });
    assert.deepEqual(resolveForge('https://git.acme.internal/acme/infra.git'), { problem: '--pull-request: cannot tell the forge of git.acme.internal from the URL; name it with --forge github|gitlab|gitea' });
    const remote = forgeRemote('http://127.0.0.1:3000/owner/infra.git');
    assert.deepEqual(remote, { scheme: 'http', host: '127.0.0.1:3000', path: 'owner/infra' });
    assert.equal(apiBase({ forge: 'gitea' }, remote as NonNullable<typeof remote>), 'http://127.0.0.1:3000');
    assert.equal(apiBase({ forge: 'github' }, { scheme: 'https', host: 'github.com', path: 'a/b' }), 'https://api.github.com');
    assert.equal(apiBase({ forge: 'github' }, { scheme: 'https', host: 'ghe.acme.com', path: 'a/b' }), 'https://ghe.acme.com/api/v3');
    assert.equal(runLink('http://localhost:8233/', 'default', 'feature/x'), 'http://localhost:8233/namespaces/default/workflows/feature%2Fx');
  });

  it('a body longer than the forges take is cut, saying where the whole report is', () => {
    const body = pullRequestBody({ kind: 'scope', report: report({ filesCreated: Array.from({ length: 3000 }, (_, i) => `apps/base/orders/file-${i}.yaml`) }) }, 'http://ui', 20_000);
    assert.ok(body.length <= 20_000);
    assert.match(body, /characters cut; the whole report: `infra-implementor result implement-orders-1`/);
    assert.match(body, /\[This run in the Temporal Web UI\]\(http:\/\/ui\)/);
  });

  it('a feature that left a scope out is a draft whose body names the scope first; a clean one is not a draft', () => {
    const child = (scope: string, merged: boolean) => ({ scope, slug: scope, workflowId: `f--${scope}`, branch: `b--${scope}`, status: merged ? 'succeeded' as const : 'failed' as const, summary: merged ? 'done' : 'the child failed: boom', merged, filesCreated: [], filesModified: [], filesDeleted: [] });
    const feature = (children: ReturnType<typeof child>[], status: 'partial' | 'succeeded'): ReviewedReport => ({ kind: 'feature', report: {
      workflowId: 'f', feature: 'Add orders and payments', status, branch: 'infra/x', commit: 'c'.repeat(40), base: 'b'.repeat(40), children, validations: [], findings: [],
      assumptions: [], dependencies: [], humanAnswers: [], audit: [], llmUsage: emptyUsage(), remote: 'https://github.com/a/b.git', pushed: true, summary: 'landed',
    } });
    const partial = feature([child('orders', true), child('payments', false)], 'partial');
    assert.equal(isDraft(partial), true);
    assert.match(pullRequestBody(partial, 'http://ui'), /^## ⚠️ Still failing\n\nThis run ended \*\*partial\*\*: some scopes did not make it into this branch, so this pull request is a draft\.\n\n- scope \*\*payments\*\* is not in this branch \(failed: the child failed: boom\)/);
    assert.match(pullRequestBody(partial, 'http://ui'), /Branch: `infra\/x` at `cccccccccccc` \(from `bbbbbbbbbbbb`, pushed to https:\/\/github.com\/a\/b.git\)/);
    const clean = feature([child('orders', true)], 'succeeded');
    assert.equal(isDraft(clean), false);
    assert.doesNotMatch(pullRequestBody(clean, 'http://ui'), /Still failing/);
  });

  it('a feature\'s pull request shows its scopes\' questions and who answered them, beside its own', () => {
    const entry = (id: string, by: string, scope?: string) => ({ id, kind: 'validation' as const, question: `question ${id}`, askedAt: 't0', answer: { action: 'accept' as const, by, at: 't1' }, ...(scope ? { scope } : {}) });
    const record = (scope: string, audit: ReturnType<typeof entry>[]) => ({ outcome: { scope, slug: scope, workflowId: `f--${scope}`, branch: 'b', merged: true, filesCreated: [], filesModified: [], filesDeleted: [] }, report: { ...report(), scope, audit } });
    const run = {
      input: { feature: 'Add orders and payments', branch: 'infra/x', scopes: [] }, state: { workflowId: 'f' },
      records: [record('orders', [entry('q1', 'alice')]), record('payments', [])], gate: { answers: [], audit: [entry('q1', 'bob', 'merge')] },
    } as unknown as Parameters<typeof reviewedFeature>[0];
    const reviewed = reviewedFeature(run, { status: 'accepted', summary: 's', commit: 'c'.repeat(40), base: 'b'.repeat(40), validations: [], findings: [] });
    assert.deepEqual(reviewed.audit.map((e) => `${e.scope} ${e.id} ${e.answer?.by}`), ['merge q1 bob', 'orders q1 alice']);
    assert.match(pullRequestBody({ kind: 'feature', report: reviewed }, 'http://ui'), /## Questions and answers\n- q1 \[merge\] asked t0: question q1 — accept by bob at t1\n- q1 \[orders\] asked t0: question q1 — accept by alice at t1/);
  });

  it('a feature spec\'s pullRequest needs its repo', () => {
    const spec = specFile({ feature: 'Add orders', infraRoot: EXAMPLES, pullRequest: true, scopes: [{ scope: 'orders service', spec: { service: 'orders', image: 'ghcr.io/acme/orders:1.4.2' } }] });
    assert.throws(() => featureInput({ spec }, { TEMPORAL_ADDRESS: 'localhost:7233' }), /^UsageError: --pull-request goes with --repo URL/);
    const remote = specFile({ feature: 'Add orders', repo: { url: 'https://gitlab.com/acme/infra.git' }, pullRequest: true, scopes: [{ scope: 'orders service', spec: { service: 'orders', image: 'ghcr.io/acme/orders:1.4.2' } }] });
    assert.deepEqual(featureInput({ spec: remote }, { TEMPORAL_ADDRESS: 'localhost:7233' }).repo?.pullRequest, { forge: 'gitlab' });
  });

  const flags = { feature: 'Add orders', scope: 'orders service', spec: `${EXAMPLES}/orders.spec.yaml` };
  const refused = (extra: Record<string, unknown>) => {
    try {
      implementInput({ ...flags, ...extra }, { TEMPORAL_ADDRESS: 'localhost:7233' });
    } catch (e) {
      assert.ok(e instanceof UsageError, String(e));
      return e.message;
    }
    return 'accepted';
  };
  for (const [extra, message] of [
    [{ infraRoot: EXAMPLES, pullRequest: true }, '--pull-request goes with --repo URL: a run on a folder pushes no branch to open it from'],
    [{ repo: 'https://github.com/acme/infra.git', forge: 'gitea' }, '--forge goes with --pull-request'],
    [{ repo: 'https://github.com/acme/infra.git', pullRequest: true, forge: 'bitbucket' }, '--forge bitbucket: use github, gitlab or gitea (Gitea and Forgejo)'],
    [{ repo: 'https://git.acme.internal/acme/infra.git', pullRequest: true }, '--pull-request: cannot tell the forge of git.acme.internal from the URL; name it with --forge github|gitlab|gitea'],
    [{ repo: 'file:///srv/infra.git', pullRequest: true }, '--pull-request needs a remote on a forge (https://host/owner/repo.git or git@host:owner/repo.git); file:///srv/infra.git is not one'],
    [{ repo: 'https://github.com/acme/infra.git', pullRequest: true, push: false }, '--pull-request needs the branch pushed: drop --no-push'],
    [{ repo: 'https://github.com/acme/infra.git', pullRequest: true, base: '0123abcd' }, '--pull-request: --base 0123abcd looks like a commit; a pull request needs a branch to merge into'],
    [{ repo: 'https://ghe.acme.com/acme/infra.git', pullRequest: true, forge: 'github', forgeUrl: 'ftp://ghe' }, '--forge-url ftp://ghe: must be the http(s) URL of the forge\'s API, e.g. https://ghe.example.com/api/v3'],
  ] as const) {
    it(`refuses ${JSON.stringify(extra)}`, () => assert.equal(refused(extra), message));
  }

  it('takes --pull-request on a forge remote into the run\'s input', () => {
    const input = implementInput({ ...flags, repo: 'https://ghe.acme.com/acme/infra.git', pullRequest: true, forge: 'github', forgeUrl: 'https://ghe.acme.com/api/v3' }, { TEMPORAL_ADDRESS: 'localhost:7233' });
    assert.deepEqual(input.repo?.pullRequest, { forge: 'github', apiUrl: 'https://ghe.acme.com/api/v3' });
  });
});
