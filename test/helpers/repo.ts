// Real files in temporary git repositories, and helpers to compare trees byte for byte.
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { stringify } from 'yaml';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const EXAMPLES = path.join(PROJECT_ROOT, 'examples');

/** Files (relative path → text) written into `root`, or a fresh temporary folder; returns the folder. */
export function writeTree(files: Record<string, string>, root = mkdtempSync(path.join(os.tmpdir(), 'ii-tree-'))): string {
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    writeFileSync(path.join(root, f), text);
  }
  return root;
}

/** A copy of a folder as a fresh git repository with one commit. Returns its path. */
export async function gitCopy(source: string): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ii-repo-'));
  cpSync(source, dir, { recursive: true });
  await git(dir, 'init', '-q', '-b', 'main');
  await git(dir, 'add', '-A');
  await git(dir, '-c', 'user.name=test', '-c', 'user.email=test@example.com', 'commit', '-q', '-m', 'initial');
  return dir;
}

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const r = await execa('git', args, { cwd });
  return String(r.stdout);
}

/** `git status --porcelain` including untracked files: empty when the tree equals HEAD. */
export const gitStatus = (cwd: string) => git(cwd, 'status', '--porcelain', '--untracked-files=all');

/** Every file under a folder with its content, .git excluded. */
export function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (name === '.git') continue;
      const abs = path.join(dir, name);
      if (statSync(abs).isDirectory()) walk(abs);
      else out[path.relative(root, abs)] = readFileSync(abs, 'latin1');
    }
  };
  walk(root);
  return out;
}

/** What must not change in the user's checkout: HEAD, index and tree, branches, worktrees. */
export async function checkout(repo: string) {
  return {
    head: await git(repo, 'rev-parse', 'HEAD'),
    symbolic: await git(repo, 'symbolic-ref', 'HEAD'),
    status: await gitStatus(repo),
    index: await git(repo, 'ls-files', '-s'),
    files: snapshot(repo),
    worktrees: (await git(repo, 'worktree', 'list', '--porcelain')).split('\n').filter((l) => l.startsWith('worktree ')),
  };
}
export const branches = async (repo: string) => (await git(repo, 'branch', '--format=%(refname:short)')).split('\n').filter(Boolean).sort();

/** A spec file outside the repository (writing it inside would change the user's checkout). */
export function specFile(spec: Record<string, unknown>): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ii-spec-')), 'feature.yaml');
  writeFileSync(file, stringify(spec));
  return file;
}

/** A copy of examples/ whose staging overlay is already broken: a service added to it cannot validate. */
export async function brokenStaging(): Promise<string> {
  const repo = await gitCopy(EXAMPLES);
  appendFileSync(path.join(repo, 'infra/apps/staging/kustomization.yaml'), 'configMapGenerator:\n  - name: broken\n    files: [missing.properties]\n');
  await git(repo, '-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-qam', 'broken staging');
  return repo;
}
