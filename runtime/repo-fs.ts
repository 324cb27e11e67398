// File access confined to the infra root: every path is resolved inside it (no `..`, no absolute
// paths, no symlink escapes, nothing under .git) and every write is atomic.
import { promises as fs, constants as fsc } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { Failure } from '../core/failures';
import { RelativePath } from '../core/schemas';
import type { RepoReader } from '../core/implementer';

export const PATH_OUTSIDE_ROOT = Failure.PathOutsideRoot;
export const INVALID_INPUT = Failure.InvalidInput;

/** Files larger than this are not read into prompts or plans. */
export const MAX_FILE_BYTES = 2 * 1024 * 1024;

export function pathError(rel: string, why: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`unsafe path ${JSON.stringify(rel)}: ${why}`, PATH_OUTSIDE_ROOT);
}

/** The infra root, resolved through symlinks; fails clearly when it is missing or not a folder. */
export async function realRoot(root: string): Promise<string> {
  let st;
  try {
    st = await fs.stat(root);
  } catch {
    throw ApplicationFailure.nonRetryable(`infra root ${root} does not exist`, INVALID_INPUT);
  }
  if (!st.isDirectory()) throw ApplicationFailure.nonRetryable(`infra root ${root} is not a folder`, INVALID_INPUT);
  return fs.realpath(root);
}

/**
 * Resolve `rel` inside `root` (already real). Checks the lexical form, then every existing
 * ancestor's real path, so a symlinked folder or file cannot lead outside or into .git.
 */
export async function resolveInside(root: string, rel: string): Promise<string> {
  const lexical = RelativePath.safeParse(rel);
  if (!lexical.success) throw pathError(rel, lexical.error.issues[0]?.message ?? 'invalid');
  const abs = path.resolve(root, rel);
  if (abs !== root && !abs.startsWith(root + path.sep)) throw pathError(rel, 'resolves outside the infra root');
  // Walk from the root down, resolving symlinks of the parts that exist.
  let cur = root;
  for (const part of path.relative(root, abs).split(path.sep)) {
    const next = path.join(cur, part);
    let real: string;
    try {
      real = await fs.realpath(next);
    } catch {
      break; // does not exist yet: nothing further can be a symlink
    }
    if (real !== root && !real.startsWith(root + path.sep)) throw pathError(rel, 'goes through a symlink that leaves the infra root');
    if (real.split(path.sep).includes('.git') && !root.split(path.sep).includes('.git')) throw pathError(rel, 'points into .git');
    cur = real;
  }
  return abs;
}

/**
 * A regular file's content, or undefined when there is none. `maxBytes` guards what is read into
 * prompts and plans; the writer of a change passes Infinity (the repository's files are what they are).
 */
export async function readIfExists(abs: string, maxBytes = MAX_FILE_BYTES): Promise<string | undefined> {
  try {
    const st = await fs.lstat(abs);
    if (!st.isFile()) return undefined;
    if (st.size > maxBytes) throw ApplicationFailure.nonRetryable(`${abs} is ${st.size} bytes, over the ${maxBytes}-byte limit`, INVALID_INPUT);
    return await fs.readFile(abs, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** `.<name>.<12 hex>.tmp`: the temporary files writeAtomic makes beside `<name>`. */
export const isTempOf = (name: string, candidate: string) =>
  candidate.startsWith(`.${name}.`) && candidate.length === name.length + 18 && /\.[0-9a-f]{12}\.tmp$/.test(candidate);

/**
 * Write through a temporary file in the same folder and rename: readers never see half a file.
 * Temporary files of the same target left by a writer killed before its rename go first, so a
 * retried write leaves nothing behind.
 */
export async function writeAtomic(abs: string, content: string): Promise<void> {
  await fs.mkdir(path.dirname(abs), { recursive: true });
  const stale = (await fs.readdir(path.dirname(abs))).filter((n) => isTempOf(path.basename(abs), n));
  await Promise.all(stale.map((n) => fs.rm(path.join(path.dirname(abs), n), { force: true })));
  const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(tmp, fsc.O_CREAT | fsc.O_EXCL | fsc.O_WRONLY, 0o644);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await fs.rename(tmp, abs);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

const SKIP_DIRS = new Set(['.git', 'node_modules']);

/** Every regular file under the root (relative, POSIX), not following symlinks. */
export async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    for (const e of entries) {
      if (SKIP_DIRS.has(e.name)) continue;
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) await walk(abs);
      else if (e.isFile()) out.push(path.relative(root, abs).split(path.sep).join('/'));
    }
  };
  await walk(root);
  return out.sort();
}

export function repoReader(root: string): RepoReader {
  return {
    read: async (rel) => readIfExists(await resolveInside(root, rel)),
    list: () => listFiles(root),
  };
}
