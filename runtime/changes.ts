// Applying a change set to the infra root, idempotently, with a journal of what each file was
// before, so that `abort` can restore the repository byte for byte.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { BlobStore, INLINE_LIMIT, isRef, type StoredChangeSet } from './blob-store';
import { readIfExists, realRoot, resolveInside, writeAtomic } from './repo-fs';

export interface AppliedEntry {
  path: string;
  /** Content before this run first touched the file; null when it did not exist; a store reference when large. */
  before: string | null | { ref: string };
  action: 'created' | 'modified' | 'deleted' | 'unchanged';
}

export interface ApplyRequest {
  infraRoot: string;
  changeSet: StoredChangeSet;
  /** Stable across retries of the same step (workflow id + step), so a retry reuses its journal. */
  journalKey: string;
  /** Every "before" by reference, however small (an agent's run keeps file contents out of history). */
  beforeByRef?: boolean;
}

const journalFile = (stateDir: string, key: string) =>
  path.join(stateDir, 'journals', `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.json`);

/** A file's current content, any size; null when there is none. */
const current = async (abs: string): Promise<string | null> => (await readIfExists(abs, Infinity)) ?? null;

export async function applyChangeSet(stateDir: string, req: ApplyRequest): Promise<AppliedEntry[]> {
  const root = await realRoot(req.infraRoot);
  const store = new BlobStore(stateDir);
  // Resolve every path before writing anything: one unsafe path rejects the whole set.
  const changeSet = await store.internalize(req.changeSet);
  const ops = await Promise.all(changeSet.operations.map(async (op) => ({ op, abs: await resolveInside(root, op.path) })));
  const jf = journalFile(stateDir, req.journalKey);
  let before: Record<string, string | null>;
  const saved = await current(jf);
  if (saved !== null) {
    before = JSON.parse(saved) as Record<string, string | null>;
  } else {
    before = {};
    for (const { op, abs } of ops) if (!(op.path in before)) before[op.path] = await current(abs);
    await writeAtomic(jf, JSON.stringify(before));
  }
  const result = new Map<string, AppliedEntry>();
  for (const { op, abs } of ops) {
    const now = await current(abs);
    if (op.action === 'delete') {
      if (now !== null) await fs.rm(abs);
    } else if (now !== op.content) {
      await writeAtomic(abs, op.content as string);
    }
    const prior = before[op.path] ?? null;
    const after = op.action === 'delete' ? null : (op.content as string);
    const action: AppliedEntry['action'] =
      prior === after ? 'unchanged' : prior === null ? 'created' : after === null ? 'deleted' : 'modified';
    // Large "before" contents go to the store, so history only carries their digest.
    const recorded = prior !== null && (req.beforeByRef || prior.length > INLINE_LIMIT) ? { ref: await store.put(prior) } : prior;
    result.set(op.path, { path: op.path, before: recorded, action });
  }
  return [...result.values()];
}

/** Put every file back as it was before the run; files the run created are removed with their new folders. */
export async function restoreChanges(stateDir: string, req: { infraRoot: string; entries: Pick<AppliedEntry, 'path' | 'before'>[] }): Promise<string[]> {
  const root = await realRoot(req.infraRoot);
  const store = new BlobStore(stateDir);
  const restored: string[] = [];
  for (const entry of req.entries) {
    const e = { path: entry.path, before: isRef(entry.before) ? await store.get(entry.before.ref) : entry.before };
    const abs = await resolveInside(root, e.path);
    if ((await current(abs)) === e.before) continue;
    if (e.before === null) {
      await fs.rm(abs, { force: true });
      // Remove folders the run created, up to the first that holds anything else.
      let dir = path.dirname(abs);
      while (dir !== root && dir.startsWith(root)) {
        try {
          await fs.rmdir(dir);
        } catch {
          break;
        }
        dir = path.dirname(dir);
      }
    } else {
      await writeAtomic(abs, e.before);
    }
    restored.push(e.path);
  }
  return restored;
}
