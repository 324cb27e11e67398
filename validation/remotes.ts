// The URLs of the repository being checked, from its git config (no git process): Argo CD
// Applications whose repoURL is one of them are checked against this tree.
import { promises as fs } from 'node:fs';
import path from 'node:path';

export async function remoteUrls(root: string): Promise<string[]> {
  // A worktree's .git is a file pointing elsewhere; its remotes are in the common config.
  let gitDir = path.join(root, '.git');
  const st = await fs.stat(gitDir).catch(() => undefined);
  if (!st) return [];
  if (st.isFile()) {
    const m = /^gitdir:\s*(.+)$/m.exec(await fs.readFile(gitDir, 'utf8').catch(() => ''));
    if (!m?.[1]) return [];
    gitDir = path.resolve(root, m[1].trim(), '..', '..');
  }
  const config = await fs.readFile(path.join(gitDir, 'config'), 'utf8').catch(() => '');
  return [...config.matchAll(/^\s*url\s*=\s*(\S+)\s*$/gm)].map((m) => m[1] ?? '').filter(Boolean);
}
