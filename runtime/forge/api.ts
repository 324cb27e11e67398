// What every forge client offers the pull-request step, and the one error they all throw: the HTTP
// status, the forge's own words and its headers (for Retry-After), mapped once to Temporal failures
// by errors.ts.

/** A pull request (merge request) as the forge reports it. */
export interface OpenPullRequest {
  number: number;
  url: string;
  draft: boolean;
}

export interface PullRequestContent {
  title: string;
  body: string;
  /** A draft: GitHub's flag on creation; GitLab's `Draft:` and Gitea's `WIP:` title prefixes. */
  draft: boolean;
}

export interface ForgeApi {
  /** The open pull request from `head` into `base` of this repository, if any. */
  findOpen(head: string, base: string): Promise<OpenPullRequest | undefined>;
  create(head: string, base: string, content: PullRequestContent): Promise<OpenPullRequest>;
  update(pr: OpenPullRequest, content: PullRequestContent): Promise<OpenPullRequest>;
}

/** An HTTP answer other than success, or no answer at all (status undefined). */
export class ForgeHttpError extends Error {
  override readonly name = 'ForgeHttpError';
  constructor(readonly status: number | undefined, message: string, readonly headers: Headers = new Headers()) {
    super(message);
  }
}

/** Headers as a plain record (Octokit's) or a Headers object (fetch's), as a Headers object. */
export const toHeaders = (h: Headers | Record<string, unknown> | undefined): Headers =>
  h instanceof Headers ? h : new Headers(Object.entries(h ?? {}).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));

/** One request with a deadline; an answer other than success as a ForgeHttpError with the forge's message. */
export async function send(url: string | URL, init: RequestInit & { timeoutMs?: number }): Promise<{ response: Response; text: string }> {
  const { timeoutMs = 30_000, ...rest } = init;
  const deadline = AbortSignal.timeout(timeoutMs);
  const response = await fetch(url, { ...rest, signal: rest.signal ? AbortSignal.any([rest.signal, deadline]) : deadline })
    .catch((e: Error) => { throw new ForgeHttpError(undefined, `${e.message}${e.cause instanceof Error ? `: ${e.cause.message}` : ''}`); });
  const text = await response.text();
  if (!response.ok) throw new ForgeHttpError(response.status, forgeMessage(text) || response.statusText, response.headers);
  return { response, text };
}

export async function requestJson<T>(url: string, init: RequestInit): Promise<T> {
  const { text } = await send(url, init);
  return (text ? JSON.parse(text) : {}) as T;
}

/** The forge's own words in an error body: `message`, `error` or the text itself, on one line. */
export function forgeMessage(text: string): string {
  try {
    const j = JSON.parse(text) as { message?: unknown; error?: unknown; errors?: unknown };
    const m = j.message ?? j.error ?? '';
    const errors = Array.isArray(j.errors) ? j.errors.map((e) => (typeof e === 'string' ? e : (e as { message?: string }).message ?? JSON.stringify(e))).join('; ') : '';
    return [typeof m === 'string' ? m : JSON.stringify(m), errors].filter(Boolean).join(': ').replace(/\s+/g, ' ').slice(0, 300);
  } catch {
    return text.replace(/\s+/g, ' ').slice(0, 300);
  }
}
