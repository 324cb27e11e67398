// Learned patterns: what failed and what fixed it (and any human guidance), appended to a YAML list
// under the repos root that the next run loads as knowledge. Deduplicated by content, written atomically (temp file + rename).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { writeAtomic } from './repo-fs';

export const LEARNED_PATTERNS_FILE = 'knowledge/infrastructure/infrastructure-patterns.learned.yaml';

/** Each field is cut to this many characters: the file is read into every prompt. */
const FIELD_LIMIT = 2_000;

export const LearnedPattern = z.object({
  id: z.string(),
  learnedAt: z.string(),
  scope: z.string().optional(),
  failed: z.string(),
  fixed: z.string(),
  guidance: z.string().optional(),
});
export type LearnedPattern = z.infer<typeof LearnedPattern>;

export interface LearnedEntry {
  failed: string;
  fixed: string;
  guidance?: string;
  scope?: string;
}

const HEADER = '# Written by infra-implementor: validation failures it resolved and what fixed them.\n' +
  '# Loaded as knowledge by the next run. Entries are deduplicated by content; edit or delete freely.\n';

const fileOf = (reposRoot: string) => path.join(reposRoot, LEARNED_PATTERNS_FILE);

function cut(text: string): string {
  const t = text.trim();
  return t.length <= FIELD_LIMIT ? t : `${t.slice(0, FIELD_LIMIT)} … [cut: ${t.length - FIELD_LIMIT} more characters]`;
}

/** Same lesson, same id: whitespace and the scope it was learned in do not make it new. */
export function patternId(e: Pick<LearnedEntry, 'failed' | 'fixed' | 'guidance'>): string {
  const norm = (s?: string) => (s ?? '').replace(/\s+/g, ' ').trim();
  return createHash('sha256').update(JSON.stringify([norm(e.failed), norm(e.fixed), norm(e.guidance)])).digest('hex').slice(0, 16);
}

export async function readLearnedPatterns(reposRoot: string): Promise<LearnedPattern[]> {
  let text: string;
  try {
    text = await readFile(fileOf(reposRoot), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return parseLearned(text, fileOf(reposRoot));
}

/** Pure: the file's text to entries, every problem named with the file. */
export function parseLearned(text: string, file: string): LearnedPattern[] {
  let doc: unknown;
  try {
    doc = parse(text) ?? [];
  } catch (e) {
    throw new Error(`${file} is not valid YAML (${(e as Error).message}); fix or delete it`);
  }
  const list = z.array(LearnedPattern).safeParse(doc);
  if (!list.success) {
    throw new Error(`${file} is not a list of learned patterns: ${list.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return list.data;
}

// Appends from parallel runs on one worker are serialised per file, so none is lost.
const queues = new Map<string, Promise<unknown>>();

/** Appends an entry unless the same lesson is already there. Returns whether the file changed. */
export async function appendLearnedPattern(reposRoot: string, entry: LearnedEntry, now = new Date()): Promise<{ added: boolean; id: string }> {
  const file = fileOf(reposRoot);
  const previous = queues.get(file) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => appendNow(reposRoot, file, entry, now));
  queues.set(file, next);
  try {
    return await next;
  } finally {
    if (queues.get(file) === next) queues.delete(file);
  }
}

async function appendNow(reposRoot: string, file: string, entry: LearnedEntry, now: Date) {
  const existing = await readLearnedPatterns(reposRoot);
  const fields = {
    failed: cut(entry.failed),
    fixed: cut(entry.fixed),
    ...(entry.guidance?.trim() ? { guidance: cut(entry.guidance) } : {}),
  };
  const id = patternId(fields);
  if (existing.some((p) => p.id === id)) return { added: false, id };
  const pattern: LearnedPattern = { id, learnedAt: now.toISOString(), ...(entry.scope ? { scope: entry.scope } : {}), ...fields };
  await writeAtomic(file, HEADER + stringify([...existing, pattern], { lineWidth: 0 }));
  return { added: true, id };
}
