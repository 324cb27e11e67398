// The shape the project keeps (issue 16): no import cycle between our modules — type-only imports
// included, which lint's import-x/no-cycle does not see — and the folders import only downwards
// (client/worker → workflows → activities → implementers/validation → runtime → core).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { CHECKS } from '../core/compliance';
import { PROJECT_ROOT } from './helpers/repo';

const SOURCES = ['core', 'workflows', 'activities', 'implementers', 'validation', 'runtime', 'worker', 'client'];

async function sourceFiles(): Promise<string[]> {
  return SOURCES.flatMap((dir) => (readdirSync(path.join(PROJECT_ROOT, dir), { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `${dir}/${f.split(path.sep).join('/')}`));
}

/** Every relative import of a file (value and type, static and dynamic), resolved to a file of the project. */
function importsOf(file: string, all: Set<string>): string[] {
  const text = readFileSync(path.join(PROJECT_ROOT, file), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1] as string));
    const found = [base, `${base}.ts`, `${base}/index.ts`, base.replace(/\.js$/, '.ts')].find((c) => all.has(c));
    if (found) out.push(found);
  }
  return out;
}

function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (state.get(m) === 'open') found.push([...stack.slice(stack.indexOf(m)), m]);
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of graph.keys()) if (!state.has(n)) visit(n);
  return found;
}

/** Which folders a folder may import from (besides itself). */
const MAY_IMPORT: Record<string, string[]> = {
  core: [],
  runtime: ['core'],
  validation: ['core', 'runtime'],
  implementers: ['core', 'runtime'],
  activities: ['core', 'runtime', 'validation', 'implementers'],
  workflows: ['core', 'activities', 'runtime'],
  worker: ['core', 'runtime', 'validation', 'implementers', 'activities', 'workflows'],
  client: ['core', 'runtime', 'validation', 'worker', 'workflows'],
};

describe('the project\'s structure', () => {
  it('has no import cycle, type-only imports included', async () => {
    const files = await sourceFiles();
    const all = new Set(files);
    const graph = new Map(files.map((f) => [f, importsOf(f, all)]));
    assert.deepEqual(cycles(graph).map((c) => c.join(' → ')), []);
  });

  it('imports only downwards between folders (workflows reach activities and runtime for types only)', async () => {
    const files = await sourceFiles();
    const all = new Set(files);
    const wrong: string[] = [];
    for (const f of files) {
      const from = f.split('/')[0] as string;
      for (const target of importsOf(f, all)) {
        const to = target.split('/')[0] as string;
        if (to !== from && !(MAY_IMPORT[from] ?? []).includes(to)) wrong.push(`${f} → ${target}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it('documents every registered check in docs/checks.md: a section and a row of the mapping table', () => {
    const doc = readFileSync(path.join(PROJECT_ROOT, 'docs', 'checks.md'), 'utf8');
    const mapping = doc.slice(doc.indexOf('## Mapping to other linters'));
    const undocumented = CHECKS.map((c) => c.id).filter((id) => !new RegExp(`^#{2,4} \`${id}\`$`, 'm').test(doc));
    const unmapped = CHECKS.map((c) => c.id).filter((id) => !mapping.includes(`\n| \`${id}\` |`));
    assert.deepEqual({ undocumented, unmapped }, { undocumented: [], unmapped: [] });
  });
});
