// The command line's refusals: one line that names the flag or field and the fix, before anything starts.
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { type z } from 'zod';

export class UsageError extends Error {
  override name = 'UsageError';
}

export function zodLine(where: string, error: z.ZodError): string {
  const issue = error.issues[0];
  const at = issue?.path.length ? `${issue.path.join('.')}: ` : '';
  return `${where}: ${at}${issue?.message ?? 'invalid'}`;
}

export function readYamlFile(file: string, flag: string): unknown {
  if (!existsSync(file)) throw new UsageError(`${flag} ${file}: file not found`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${flag} ${file}: ${(e as Error).message}`);
  }
  try {
    return parse(text, { maxAliasCount: 100 });
  } catch (e) {
    throw new UsageError(`${flag} ${file}: invalid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** An existing folder, resolved; `flag` names it in the error. */
export function existingDir(dir: string, flag: string): string {
  const abs = path.resolve(dir);
  if (!existsSync(abs)) throw new UsageError(`${flag} ${dir}: no such folder`);
  if (!statSync(abs).isDirectory()) throw new UsageError(`${flag} ${dir}: not a folder`);
  return realpathSync(abs);
}

