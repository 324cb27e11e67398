// Which compliance findings stop a run: errors, not silenced, on what the run itself wrote. A
// finding in a file the run did not touch was there before it and is reported, never blocking.
// Sandbox-safe (no zod, no Node builtins): the workflows import it.
import type { Finding } from './schemas';

const inside = (file: string, dir: string): boolean => dir === '.' || file === dir || file.startsWith(`${dir}/`);

/**
 * The error-level, unsuppressed findings located in `written` (paths relative to the infra root).
 * A finding with no file (an overlay that does not build) counts when the run wrote inside its target.
 */
export function blockingFindings(findings: readonly Finding[], written: readonly string[]): Finding[] {
  const files = new Set(written.map((f) => f.replace(/^\.\//, '')));
  return findings.filter((f) => {
    if (f.severity !== 'error' || f.suppressed !== undefined) return false;
    if (f.file !== undefined) return files.has(f.file);
    return [...files].some((w) => (f.targets ?? [f.target]).some((t) => inside(w, t)));
  });
}
