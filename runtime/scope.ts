// The scope step: read the files the input names; a missing file is looked for under the same
// name elsewhere in the infra root, else it is new.
import path from 'node:path';
import type { ScopeFile } from '../core/implementer';
import { listFiles, readIfExists, realRoot, resolveInside } from './repo-fs';

/** Scope files beyond this many characters are cut, with a visible note. */
export const SCOPE_BUDGET_CHARS = 64_000;

export function cutToBudget(content: string, budget = SCOPE_BUDGET_CHARS): { content: string; truncated: boolean } {
  if (content.length <= budget) return { content, truncated: false };
  return { content: `${content.slice(0, budget)}\n# … [cut by infra-implementor: ${content.length - budget} more characters not shown]\n`, truncated: true };
}

function looksBinary(text: string): boolean {
  return text.includes('\u0000') || text.includes('\uFFFD');
}

export async function readScope(req: { infraRoot: string; files: string[] }): Promise<ScopeFile[]> {
  const root = await realRoot(req.infraRoot);
  let all: string[] | undefined;
  const out: ScopeFile[] = [];
  for (const requested of req.files) {
    const abs = await resolveInside(root, requested);
    let found = requested;
    let content = await readIfExists(abs);
    let status: ScopeFile['status'] = 'found';
    if (content === undefined) {
      all ??= await listFiles(root);
      const base = path.posix.basename(requested);
      // Prefer the candidate sharing the longest path suffix with the requested path.
      const candidates = all.filter((f) => path.posix.basename(f) === base);
      const score = (f: string) => {
        const a = f.split('/').reverse();
        const b = requested.split('/').reverse();
        let i = 0;
        while (i < a.length && i < b.length && a[i] === b[i]) i++;
        return i;
      };
      const best = candidates.sort((x, y) => score(y) - score(x) || x.localeCompare(y))[0];
      if (best) {
        found = best;
        content = await readIfExists(await resolveInside(root, best));
        status = 'alternate';
      } else {
        status = 'new';
      }
    }
    if (content !== undefined && looksBinary(content)) {
      out.push({ requested, path: found, status, content: `# [binary or non-UTF-8 file: content not shown]`, truncated: true });
      continue;
    }
    const entry: ScopeFile = { requested, path: found, status };
    if (content !== undefined) Object.assign(entry, cutToBudget(content));
    out.push(entry);
  }
  return out;
}
