// Minimal validation of a change: YAML syntax of the changed files (file:line:column) and a
// `kustomize build` of every kustomization root whose inputs the change touches.
import path from 'node:path';
import { execa } from 'execa';
import type { ValidationResult } from '../core/schemas';
import { kustomizationRefs } from '../core/survey';
import { isYamlFile, parseManifests } from '../core/yaml-docs';
import { listFiles, readIfExists, realRoot } from './repo-fs';

/** The kustomize CLI: standalone `kustomize` when installed, else kubectl's built-in one. */
export async function kustomizeCommand(): Promise<{ file: string; args: string[] } | undefined> {
  const works = async (file: string, args: string[]) =>
    (await execa(file, args, { reject: false, timeout: 15_000 }).catch(() => undefined))?.exitCode === 0;
  if (await works('kustomize', ['version'])) return { file: 'kustomize', args: ['build'] };
  if (await works('kubectl', ['version', '--client'])) return { file: 'kubectl', args: ['kustomize'] };
  return undefined;
}

export async function affectedRoots(root: string, files: string[], changed: string[]): Promise<string[]> {
  const graph = new Map<string, string[]>();
  for (const f of files.filter((x) => path.posix.basename(x) === 'kustomization.yaml')) {
    const text = (await readIfExists(path.join(root, f))) ?? '';
    const dir = path.posix.dirname(f);
    graph.set(dir, kustomizationRefs(dir, parseManifests(f, text).docs[0]?.object ?? {}));
  }
  const reaches = (dir: string, target: string, seen = new Set<string>()): boolean => {
    if (seen.has(dir)) return false;
    seen.add(dir);
    if (target === dir || path.posix.dirname(target) === dir) return true;
    return (graph.get(dir) ?? []).some((ref) => ref === target || (graph.has(ref) && reaches(ref, target, seen)));
  };
  return [...graph.keys()].filter((dir) => changed.some((c) => reaches(dir, c))).sort();
}

export async function validateBasic(req: { infraRoot: string; changedFiles: string[] }): Promise<ValidationResult[]> {
  const root = await realRoot(req.infraRoot);
  const results: ValidationResult[] = [];
  for (const f of req.changedFiles.filter(isYamlFile)) {
    const text = await readIfExists(path.join(root, f));
    if (text === undefined) continue;
    const { problems } = parseManifests(f, text);
    const p = problems[0];
    results.push(p
      ? { validator: 'yaml', target: f, status: 'fail', message: `${f}:${p.line}:${p.column}: ${p.message}`, file: f, line: p.line, column: p.column }
      : { validator: 'yaml', target: f, status: 'pass', message: 'valid YAML' });
  }
  const roots = await affectedRoots(root, await listFiles(root), req.changedFiles);
  const kustomize = await kustomizeCommand();
  for (const dir of roots) {
    if (!kustomize) {
      results.push({ validator: 'kustomize', target: dir, status: 'skipped', message: 'neither kustomize nor kubectl is installed' });
      continue;
    }
    const r = await execa(kustomize.file, [...kustomize.args, path.join(root, dir)], { reject: false, timeout: 120_000 });
    results.push(r.exitCode === 0
      ? { validator: 'kustomize', target: dir, status: 'pass', message: 'builds' }
      : { validator: 'kustomize', target: dir, status: 'fail', message: String(r.stderr || r.stdout).trim().split('\n').slice(-5).join('\n') });
  }
  return results;
}
