// The one tool the model answers with: `propose_changes`, whose input schema is the zod ChangeSet
// exported to JSON Schema, so the prompt's contract and the parser can never drift apart.
import type Anthropic from '@anthropic-ai/sdk';
import { z } from 'zod';
import { ChangeSet, type Phase } from '../../core/schemas';

export const TOOL_NAME = 'propose_changes';

function inputSchema(): Anthropic.Tool.InputSchema {
  // `io: 'input'` describes what the model may send (defaults make fields optional).
  const { $schema: _dialect, ...schema } = z.toJSONSchema(ChangeSet, { io: 'input' });
  if (schema.type !== 'object') throw new Error('the ChangeSet JSON Schema must describe an object to be a tool input schema');
  return { ...schema, type: 'object' };
}

export const proposeChangesTool: Anthropic.Tool = {
  name: TOOL_NAME,
  description:
    'Propose the complete set of file changes for this step. Each operation writes the FULL new content of one file ' +
    '(or deletes it), with a path relative to the infrastructure root and the phase it belongs to. List every decision ' +
    'you took without being told as an assumption (and as a `# REVIEW:` comment in the YAML), and every external ' +
    'dependency (image to build, SOPS key, secret value, DNS record).',
  input_schema: inputSchema(),
};

export type ParsedProposal = { ok: true; changeSet: ChangeSet } | { ok: false; problems: string[] };

/**
 * Parses the raw JSON the model typed as the tool input. Collects every problem (JSON syntax, schema,
 * phase) so that one correction turn can address them all.
 */
export function parseToolInput(rawJson: string, phase?: Phase): ParsedProposal {
  let value: unknown;
  try {
    value = JSON.parse(rawJson === '' ? '{}' : rawJson);
  } catch (e) {
    return { ok: false, problems: [`the tool input is not valid JSON: ${(e as Error).message}`] };
  }
  const parsed = ChangeSet.safeParse(value);
  if (!parsed.success) {
    return { ok: false, problems: parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`) };
  }
  const problems: string[] = [];
  parsed.data.operations.forEach((op, i) => {
    if (phase && op.phase !== phase) problems.push(`operations.${i}.phase: this step is the "${phase}" phase; "${op.path}" is tagged "${op.phase}": leave it for its own phase`);
  });
  const paths = parsed.data.operations.map((op) => op.path);
  for (const p of new Set(paths.filter((p, i) => paths.indexOf(p) !== i))) problems.push(`operations: "${p}" appears more than once; give one operation per file with its full content`);
  return problems.length ? { ok: false, problems } : { ok: true, changeSet: parsed.data };
}
