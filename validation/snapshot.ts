// One read of the repository: every file's text and content hash, so that discovery, the cache
// keys and the source mapping all see the same bytes.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { listFiles } from '../runtime/repo-fs';

export interface RepoSnapshot {
  root: string;
  files: readonly string[];
  /** Folders holding at least one file, and all their ancestors (`.` for the root). */
  directories: ReadonlySet<string>;
  text(file: string): string | undefined;
  /** Content hash of a file; `missing` for a path that does not exist, so creating it changes keys. */
  hash(file: string): string;
}

/** Files the engine reads as text; anything else (images, archives) only counts as present. */
const TEXT_FILE = /\.(ya?ml|json|env|properties|txt|tpl|conf|toml|ini|md|crt|pem|sh)$|(^|\/)(Kustomization|Chart\.lock|\.helmignore|\.sops\.yaml)$/i;
/** Files bigger than this are not read: no manifest is that large, and the memory stays bounded. */
const MAX_TEXT_BYTES = 4 * 1024 * 1024;

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export function ancestors(dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; d !== '.' && d !== '/' && d !== ''; d = path.posix.dirname(d)) out.push(d);
  return [...out, '.'];
}

export async function readSnapshot(root: string): Promise<RepoSnapshot> {
  const files = await listFiles(root);
  const texts = new Map<string, string>();
  const hashes = new Map<string, string>();
  await Promise.all(files.map(async (f) => {
    if (!TEXT_FILE.test(f)) {
      const st = await fs.stat(path.join(root, f));
      hashes.set(f, `bin:${st.size}:${st.mtimeMs}`);
      return;
    }
    const buf = await fs.readFile(path.join(root, f));
    if (buf.length > MAX_TEXT_BYTES) {
      hashes.set(f, sha256(buf.toString('latin1')));
      return;
    }
    const text = buf.toString('utf8');
    texts.set(f, text);
    hashes.set(f, sha256(text));
  }));
  const directories = new Set<string>(['.']);
  for (const f of files) for (const d of ancestors(path.posix.dirname(f))) directories.add(d);
  return {
    root,
    files,
    directories,
    text: (f) => texts.get(f),
    hash: (f) => hashes.get(f) ?? 'missing',
  };
}
