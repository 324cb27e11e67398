// Running git for the runtime: never through a shell, never prompting, never paging, our own
// intermediate commits without user hooks or signing, and a neutral identity when none is configured.
import { launch } from './launcher';

// Intermediate commits are ours: no user hooks, no signing prompts, no pager, no editor.
const GIT_FLAGS = ['-c', 'commit.gpgsign=false', '-c', 'merge.conflictStyle=diff3', '-c', 'core.hooksPath=/dev/null'];
const FALLBACK_IDENTITY = {
  GIT_AUTHOR_NAME: 'infra-implementor', GIT_AUTHOR_EMAIL: 'infra-implementor@localhost',
  GIT_COMMITTER_NAME: 'infra-implementor', GIT_COMMITTER_EMAIL: 'infra-implementor@localhost',
};

export async function git(cwd: string, args: string[], opts: { input?: string; env?: Record<string, string> } = {}) {
  const r = await launch('git', [...GIT_FLAGS, ...args], {
    cwd, stripFinalNewline: true,
    env: { GIT_TERMINAL_PROMPT: '0', GIT_EDITOR: 'true', LC_ALL: 'C', ...opts.env },
    ...(opts.input !== undefined ? { input: opts.input } : {}),
  });
  return { ok: r.exitCode === 0, out: String(r.stdout), err: String(r.stderr) };
}

export async function gitOk(cwd: string, args: string[], opts: Parameters<typeof git>[2] = {}): Promise<string> {
  const r = await git(cwd, args, opts);
  if (!r.ok) throw new Error(`git ${args.join(' ')} failed in ${cwd}: ${r.err || r.out}`);
  return r.out;
}

/** The committer people configured, else a neutral one: a missing user.email must not fail a run. */
export async function identity(cwd: string): Promise<Record<string, string>> {
  return (await git(cwd, ['var', 'GIT_COMMITTER_IDENT'])).ok ? {} : FALLBACK_IDENTITY;
}

const NO_IDENTITY = /tell me who you are|unable to auto-detect email address|empty ident name/i;

/**
 * A command that only creates a commit (commit, commit-tree), as the configured committer, else
 * once more as the neutral one: git refuses before writing anything, so the second try is safe, and
 * the usual case costs one process instead of two.
 */
export async function commitAs(cwd: string, args: string[], opts: Parameters<typeof git>[2] = {}): Promise<string> {
  const r = await git(cwd, args, opts);
  if (r.ok) return r.out;
  if (!NO_IDENTITY.test(r.err)) throw new Error(`git ${args.join(' ')} failed in ${cwd}: ${r.err || r.out}`);
  return gitOk(cwd, args, { ...opts, env: { ...opts.env, ...FALLBACK_IDENTITY } });
}

