// What the model is shown of the repository, read through the RepoReader and cut to budgets: a file
// over budget keeps a visible note of what was cut, a file past the budget is named, never dropped.
import { posix } from 'node:path';
import type { FixRequest, ImplementContext, KnowledgeFile, RepoReader } from '../../core/implementer';
import type { PatternProfile } from '../../core/patterns';
import { chooseExemplar, isKustomizationFile } from '../../core/repo-model';
import { cutToBudget } from '../../runtime/scope';
import type { PromptFile } from './prompts';

export interface Budgets {
  /** Profile, knowledge files and exemplar files together (the cached prefix). */
  knowledgeChars: number;
  /** Current file contents in one phase or fix message. */
  filesChars: number;
  /** Paths listed in the file tree. */
  treeEntries: number;
}

export const DEFAULT_BUDGETS: Budgets = { knowledgeChars: 120_000, filesChars: 120_000, treeEntries: 400 };

/** Cuts files to a shared budget, in order; what does not fit is named with a note. */
export function fitFiles(files: { path: string; content: string }[], budget: number): PromptFile[] {
  let left = budget;
  return files.map(({ path, content }) => {
    if (left <= 0) return { path, note: `${content.length} characters not shown: the prompt budget is spent` };
    const cut = cutToBudget(content, left);
    left -= Math.min(content.length, left);
    return cut.truncated ? { path, content: cut.content, note: 'cut to the prompt budget' } : { path, content };
  });
}

export async function repositoryContext(ctx: ImplementContext, repo: RepoReader, budgets: Budgets) {
  const profileJson = JSON.stringify(ctx.profile, null, 1);
  const profileCut = cutToBudget(profileJson, Math.floor(budgets.knowledgeChars / 3));
  const exemplar = chooseExemplar(ctx.profile.services);
  const exemplarFiles = await readAll(repo, exemplar ? exemplar.ownFiles : []);
  const files: (KnowledgeFile & { kind: 'k' | 'e' })[] = [
    ...ctx.knowledge.map((k) => ({ ...k, kind: 'k' as const })),
    ...exemplarFiles.map((f) => ({ ...f, kind: 'e' as const })),
  ];
  const fitted = fitFiles(files, budgets.knowledgeChars - profileCut.content.length);
  return {
    profileJson: profileCut.content,
    knowledge: fitted.filter((_, i) => files[i]?.kind === 'k'),
    exemplar: fitted.filter((_, i) => files[i]?.kind === 'e'),
  };
}

/** Paths, cut to a number of entries with a visible note. */
export function renderTree(paths: string[], max: number): string {
  const shown = paths.slice(0, max).map((p) => `- ${p}`);
  if (paths.length > max) shown.push(`- … ${paths.length - max} more paths not listed (prompt budget)`);
  return shown.join('\n') || '(empty)';
}


/** Files the survey already knew: anything else that exists now was written by this run. */
function knownFiles(profile: PatternProfile, all: string[]): Set<string> {
  const dirs = new Set(profile.kustomizationDirs);
  return new Set([
    ...Object.values(profile.kinds).flat(),
    ...profile.services.flatMap((s) => [s.deploymentFile, ...s.ownFiles, ...s.fluxFiles]),
    ...profile.flux.kustomizations.map((k) => k.file), ...profile.flux.helmReleases.map((h) => h.file), ...profile.flux.sources.map((s) => s.file),
    ...all.filter((p) => isKustomizationFile(p) && dirs.has(posix.dirname(p) === '.' ? '' : posix.dirname(p))),
  ]);
}

/** For a phase: the scope files, what this run wrote so far, every overlay kustomization and Flux file. */
export async function phaseFiles(ctx: ImplementContext, repo: RepoReader, budgets: Budgets) {
  const all = await repo.list();
  const known = knownFiles(ctx.profile, all);
  const overlayDirs = new Set(Object.values(ctx.profile.environments).flat());
  const wanted = [
    ...ctx.scopeFiles.map((f) => f.path),
    ...all.filter((p) => !known.has(p) && /\.ya?ml$/i.test(p)),
    ...all.filter((p) => isKustomizationFile(p) && overlayDirs.has(posix.dirname(p))),
    ...ctx.profile.flux.kustomizations.map((k) => k.file),
  ];
  return { tree: renderTree(all, budgets.treeEntries), files: fitFiles(await readAll(repo, unique(wanted)), budgets.filesChars) };
}

/** For a fix: the files this run wrote, then the files and overlays the failures name. */
export async function fixFiles(request: FixRequest, repo: RepoReader, budgets: Budgets) {
  const all = await repo.list();
  const named = request.failures.flatMap((v) => [v.file, all.find((p) => isKustomizationFile(p) && posix.dirname(p) === v.target)]);
  const flagged = request.findings.map((f) => f.file);
  const wanted = [...request.touched, ...named, ...flagged].filter((p): p is string => typeof p === 'string' && all.includes(p));
  return { tree: renderTree(all, budgets.treeEntries), files: fitFiles(await readAll(repo, unique(wanted)), budgets.filesChars) };
}

async function readAll(repo: RepoReader, paths: string[]): Promise<{ path: string; content: string }[]> {
  const out: { path: string; content: string }[] = [];
  for (const path of paths) {
    // A file too large or unreadable is named with the reason rather than failing the call.
    const content = await repo.read(path).catch((e: Error) => `# [not shown: ${e.message}]`);
    if (content !== undefined) out.push({ path, content });
  }
  return out;
}

const unique = (xs: string[]) => [...new Set(xs)];
