// The patterns step: knowledge files from the repos root plus a survey of the infra root.
import path from 'node:path';
import type { KnowledgeFile } from '../core/implementer';
import type { PatternProfile } from '../core/patterns';
import { surveyRepository, type RepoFile } from '../core/survey';
import { isYamlFile } from '../core/yaml-docs';
import { listFiles, readIfExists, realRoot } from './repo-fs';
import { cutToBudget } from './scope';

export const KNOWLEDGE_FILES = [
  'knowledge/infrastructure/infrastructure-patterns.md',
  'knowledge/infrastructure/infrastructure-patterns.learned.yaml',
  'knowledge/architecture/tech-stack.md',
];

export async function readKnowledge(reposRoot: string): Promise<KnowledgeFile[]> {
  const out: KnowledgeFile[] = [];
  for (const rel of KNOWLEDGE_FILES) {
    const content = await readIfExists(path.join(reposRoot, rel)).catch(() => undefined);
    if (content !== undefined) out.push({ path: rel, content: cutToBudget(content, 32_000).content });
  }
  return out;
}

export async function surveyPatterns(req: { infraRoot: string; reposRoot?: string }): Promise<{ profile: PatternProfile; knowledge: KnowledgeFile[] }> {
  const root = await realRoot(req.infraRoot);
  const files: RepoFile[] = [];
  for (const rel of await listFiles(root)) {
    if (!isYamlFile(rel) && rel !== '.sops.yaml') continue;
    // Oversized or unreadable files are not patterns to learn from; validation reports them.
    const content = await readIfExists(path.join(root, rel)).catch(() => undefined);
    if (content !== undefined) files.push({ path: rel, content });
  }
  const profile = surveyRepository(files);
  const knowledge = await readKnowledge(req.reposRoot ?? root);
  return { profile, knowledge };
}
