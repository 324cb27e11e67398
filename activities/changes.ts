// Applying a change set to the infra root, idempotently, with a journal of what each file was
// before, so that `abort` can restore the repository byte for byte.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { ChangeSet } from '../core/schemas';
import { readIfExists, realRoot, resolveInside, writeAtomic } from './repo-fs';

export interface AppliedEntry {
  path: string;
  /** Content before this run first touched the file; null when it did not exist. */
  before: string | null;
  action: 'created' | 'modified' | 'deleted' | 'unchanged';
}

export interface ApplyRequest {
  infraRoot: string;
  changeSet: ChangeSet;
  /** Stable across retries of the same step (workflow id + step), so a retry reuses its journal. */
  journalKey: string;
}

const journalFile = (stateDir: string, key: string) =>
  path.join(stateDir, 'journals', `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.json`);

export async function applyChangeSet(stateDir: string, req: ApplyRequest): Promise<AppliedEntry[]> {
  const root = await realRoot(req.infraRoot);
  // Resolve every path before writing anything: one unsafe path rejects the whole set.
  const ops = await Promise.all(req.changeSet.operations.map(async (op) => ({ op, abs: await resolveInside(root, op.path) })));
  const jf = journalFile(stateDir, req.journalKey);
  let before: Record<string, string | null>;
  const saved = await readIfExists(jf);
  if (saved !== undefined) {
    before = JSON.parse(saved) as Record<string, string | null>;
  } else {
    before = {};
    for (const { op, abs } of ops) if (!(op.path in before)) before[op.path] = (await readIfExists(abs)) ?? null;
    await writeAtomic(jf, JSON.stringify(before));
  }
  const result = new Map<string, AppliedEntry>();
  for (const { op, abs } of ops) {
    const current = (await readIfExists(abs)) ?? null;
    if (op.action === 'delete') {
      if (current !== null) await fs.rm(abs);
    } else if (current !== op.content) {
      await writeAtomic(abs, op.content as string);
    }
    const prior = before[op.path] ?? null;
    const after = op.action === 'delete' ? null : (op.content as string);
    const action: AppliedEntry['action'] =
      prior === after ? 'unchanged' : prior === null ? 'created' : after === null ? 'deleted' : 'modified';
    result.set(op.path, { path: op.path, before: prior, action });
  }
  return [...result.values()];
}

/** Put every file back as it was before the run; files the run created are removed with their new folders. */
export async function restoreChanges(req: { infraRoot: string; entries: { path: string; before: string | null }[] }): Promise<string[]> {
  const root = await realRoot(req.infraRoot);
  const restored: string[] = [];
  for (const e of req.entries) {
    const abs = await resolveInside(root, e.path);
    const current = (await readIfExists(abs)) ?? null;
    if (current === e.before) continue;
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
