// The agent's tools, in the shape Claude models know from Claude Code: names, inputs and what each
// returns. The input schemas are zod, exported to JSON Schema for the API, so the model's contract
// and the parser can never drift apart. Descriptions are ours.
import type Anthropic from '@anthropic-ai/sdk';
import { z } from 'zod';

const path = z.string().min(1).describe('A path relative to the repository root, with forward slashes (e.g. apps/base/orders/deployment.yaml)');

export const ToolInputs = {
  Glob: z.object({
    pattern: z.string().min(1).describe('A glob such as **/kustomization.yaml or apps/*/orders/*.yaml'),
    path: path.optional().describe('A folder to search in; the repository root when absent'),
  }).strict(),
  Grep: z.object({
    pattern: z.string().min(1).describe('A JavaScript regular expression, matched against each line'),
    path: path.optional().describe('A folder or file to search in; the repository root when absent'),
    glob: z.string().min(1).optional().describe('Only files whose path matches this glob, e.g. **/*.yaml'),
  }).strict(),
  Read: z.object({
    file_path: path,
    offset: z.number().int().min(1).optional().describe('The first line to show (1-based)'),
    limit: z.number().int().min(1).optional().describe('How many lines to show'),
  }).strict(),
  Write: z.object({
    file_path: path,
    content: z.string().describe('The complete new content of the file'),
  }).strict(),
  Edit: z.object({
    file_path: path,
    old_string: z.string().min(1).describe('Text to replace, exactly as it stands in the file (as Read shows it, without the line numbers)'),
    new_string: z.string().describe('The text to put in its place'),
    replace_all: z.boolean().optional().describe('Replace every occurrence; otherwise old_string must occur exactly once'),
  }).strict(),
  Validate: z.object({}).strict(),
  AskUserQuestion: z.object({
    question: z.string().min(1).max(2000),
    options: z.array(z.string().min(1).max(300)).min(1).max(6).describe('The answers you would expect, one line each'),
  }).strict(),
  Finish: z.object({
    summary: z.string().min(1).max(4000).describe('What you changed and why, in a few sentences'),
    assumptions: z.array(z.string().min(1).max(1000)).max(50).describe('Every decision you took without being told, for a reviewer'),
    dependencies: z.array(z.string().min(1).max(1000)).max(50).describe('What the change needs from outside the repository: images to build, keys, secret values, DNS records'),
  }).strict(),
} as const;

export type ToolName = keyof typeof ToolInputs;
export const TOOL_NAMES = Object.keys(ToolInputs) as ToolName[];
export type ToolInput<N extends ToolName> = z.infer<(typeof ToolInputs)[N]>;

const DESCRIPTIONS: Record<ToolName, string> = {
  Glob: 'List files of the repository whose paths match a glob pattern. Paths come back sorted; a long list is cut with a line saying how many more matched.',
  Grep: 'Search file contents with a regular expression. Returns `path:line: text` lines, sorted by path, capped. Secret values are hidden in every file and cannot be searched for.',
  Read: 'Read a file, with line numbers. Long files come back in pieces: the last line says how to read on (offset, limit). Secret values show as `<redacted: N characters>`.',
  Write: 'Create a file or replace its whole content. Prefer Edit for a change to part of an existing file. Never write a `<redacted: …>` placeholder back: keep hidden values by editing around them.',
  Edit: 'Replace text in an existing file. old_string must match the file exactly once (or use replace_all) and may not cover a hidden secret value.',
  Validate: 'Run the validation the run itself trusts on the repository as it is now: YAML, schemas, kustomize builds, helm renders, Flux paths and the compliance findings that would block the change. Call it before Finish.',
  AskUserQuestion: 'Ask the human who runs you a question when you cannot go on without their decision. The run waits (possibly hours) for the answer, which comes back as this tool\'s result. Use it rarely.',
  Finish: 'End your work on this task. The run then validates the repository itself; if something fails you will get the failures and continue.',
};

/** The tools as the Messages API takes them (a stable list: it is part of the cached prefix). */
export const AGENT_TOOLS: Anthropic.Tool[] = TOOL_NAMES.map((name) => {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(ToolInputs[name], { io: 'input' });
  return { name, description: DESCRIPTIONS[name], input_schema: { ...schema, type: 'object' } };
});

export type ParsedCall =
  | { [N in ToolName]: { ok: true; name: N; input: ToolInput<N> } }[ToolName]
  | { ok: false; error: string };

/** A tool call as the model typed it, checked: an unknown tool or a bad input says what was wrong. */
export function parseCall(name: string, rawJson: string): ParsedCall {
  if (!(TOOL_NAMES as string[]).includes(name)) return { ok: false, error: `there is no tool named "${name}": use one of ${TOOL_NAMES.join(', ')}` };
  let value: unknown;
  try {
    value = JSON.parse(rawJson === '' ? '{}' : rawJson);
  } catch (e) {
    return { ok: false, error: `the input of ${name} is not valid JSON (${(e as Error).message}); call it again with a complete input` };
  }
  const parsed = ToolInputs[name as ToolName].safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'input'}: ${i.message}`);
    return { ok: false, error: `the input of ${name} was rejected: ${problems.join('; ')}` };
  }
  return { ok: true, name, input: parsed.data } as ParsedCall;
}
