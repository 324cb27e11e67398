// Big contents stay out of workflow history: beyond a threshold, file contents are kept in a
// content-addressed store in the worker's state folder and passed by digest.
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { Failure } from '../core/failures';
import type { ChangeSet, FileOperation } from '../core/schemas';

/** Contents larger than this (characters) travel by reference. Temporal's payload limit is 2 MB. */
export const INLINE_LIMIT = 64 * 1024;

/** A change set as activities pass it on: a write may carry a digest instead of its content. */
export type StoredOperation = FileOperation & { contentRef?: string };
export type StoredChangeSet = Omit<ChangeSet, 'operations'> & { operations: StoredOperation[] };

export const isRef = (v: unknown): v is { ref: string } =>
  typeof v === 'object' && v !== null && typeof (v as { ref?: unknown }).ref === 'string';

export class BlobStore {
  constructor(private readonly dir: string) {}

  private file(ref: string): string {
    const m = /^sha256:([0-9a-f]{64})$/.exec(ref);
    if (!m) throw ApplicationFailure.nonRetryable(`invalid content reference ${ref}`, Failure.InvalidInput);
    return path.join(this.dir, 'blobs', (m[1] as string).slice(0, 2), m[1] as string);
  }

  async put(content: string): Promise<string> {
    const ref = `sha256:${createHash('sha256').update(content, 'utf8').digest('hex')}`;
    const file = this.file(ref);
    if (await this.has(ref)) return ref;
    // Content-addressed: two writers of one blob write the same bytes, so each writes its own
    // temporary file and the last rename wins (writeAtomic's clean-up of another writer's temporary
    // file would make the first rename fail).
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    await fs.writeFile(tmp, content, { flag: 'wx' });
    try {
      await fs.rename(tmp, file);
    } catch (e) {
      await fs.rm(tmp, { force: true });
      if (!(await this.has(ref))) throw e;
    }
    return ref;
  }

  async has(ref: string): Promise<boolean> {
    return fs.access(this.file(ref)).then(() => true, () => false);
  }

  async get(ref: string): Promise<string> {
    let content: string;
    try {
      content = await fs.readFile(this.file(ref), 'utf8');
    } catch {
      // Only this worker's host has the blob: a run must stay on it (see the host task queue).
      throw ApplicationFailure.nonRetryable(`content ${ref} is not in this worker's store (${this.dir})`, Failure.InvalidInput);
    }
    if (`sha256:${createHash('sha256').update(content, 'utf8').digest('hex')}` !== ref) {
      throw ApplicationFailure.nonRetryable(`content ${ref} is corrupt in the store`, Failure.InvalidInput);
    }
    return content;
  }

  /** Move large contents of a change set into the store. */
  async externalize(cs: ChangeSet): Promise<StoredChangeSet> {
    const operations = await Promise.all(cs.operations.map(async (op) => {
      if (op.action !== 'write' || op.content === undefined || op.content.length <= INLINE_LIMIT) return op;
      const { content, ...rest } = op;
      return { ...rest, contentRef: await this.put(content) };
    }));
    return { ...cs, operations };
  }

  /** Bring referenced contents back (idempotent on inline contents). */
  async internalize(cs: StoredChangeSet): Promise<ChangeSet> {
    const operations = await Promise.all(cs.operations.map(async (op) => {
      if (!op.contentRef) return op;
      const { contentRef, ...rest } = op;
      return { ...rest, content: await this.get(contentRef) } as FileOperation;
    }));
    return { ...cs, operations };
  }
}
