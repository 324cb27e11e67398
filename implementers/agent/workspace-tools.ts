// What each tool does in the run's workspace. Reading tools see the repository through RepoView
// (secrets hidden); writing tools return the new content of one file, which the batch journals and
// writes. Every mistake of the model is a result that says what was wrong and what to do instead.
import picomatch from 'picomatch';
import { PLACEHOLDER_PATTERN, viewToRaw } from '../../core/redact';
import { RelativePath } from '../../core/schemas';
import { resolveInside } from '../../runtime/repo-fs';
import { grep } from './grep';
import { FileTooLargeError, MAX_TOOL_FILE_BYTES, type RepoView } from './repo-view';
import type { ToolInput } from './tools';

/** What one call gives back: the text for the model, a one-line brief for history and progress. */
export interface ToolOutcome {
  content: string;
  isError: boolean;
  brief: string;
  read?: string;
  write?: { path: string; content: string };
}

export const LIMITS = {
  globResults: 200,
  grepHits: 100,
  grepLineChars: 300,
  grepTimeoutMs: 10_000,
  readLines: 400,
  readMaxLines: 2000,
  readLineChars: 1000,
  readChars: 60_000,
  writeChars: 512 * 1024,
};

const short = (s: string, n = 80) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const fail = (brief: string, content: string): ToolOutcome => ({ content, isError: true, brief: `${brief} ✗` });

/** A path the model gave, checked lexically and against the disk (symlinks out, .git). */
async function checkedPath(view: RepoView, p: string): Promise<string> {
  const lexical = RelativePath.safeParse(p);
  if (!lexical.success) {
    throw new Error(`"${p}" ${lexical.error.issues[0]?.message ?? 'is not a valid path'}; paths are relative to the repository root, e.g. apps/base/kustomization.yaml`);
  }
  try {
    await resolveInside(view.root, p);
  } catch (e) {
    throw new Error(`${(e as Error).message}; paths are relative to the repository root and stay inside it`);
  }
  return p.replace(/^\.\//, '').replace(/\/+$/, '');
}

/** A file over the tools' size cap as a value the tool answers with; any other error thrown. */
const tooLarge = <T>(p: Promise<T>): Promise<T | FileTooLargeError> => p.catch((e: unknown) => {
  if (e instanceof FileTooLargeError) return e;
  throw e;
});

const under = (dir: string | undefined) => (f: string) => !dir || dir === '.' || f === dir || f.startsWith(`${dir}/`);
const relTo = (dir: string | undefined, f: string) => (!dir || dir === '.' ? f : f.slice(dir.length + 1));

export async function glob(view: RepoView, input: ToolInput<'Glob'>): Promise<ToolOutcome> {
  const brief = `Glob ${short(input.pattern)}${input.path ? ` in ${input.path}` : ''}`;
  const dir = input.path ? await checkedPath(view, input.path) : undefined;
  const match = picomatch(input.pattern, { dot: true });
  const found = (await view.files()).filter(under(dir)).filter((f) => match(relTo(dir, f)));
  if (!found.length) return { content: `No files match ${input.pattern}${dir ? ` under ${dir}` : ''}.`, isError: false, brief: `${brief} (0)` };
  const shown = found.slice(0, LIMITS.globResults);
  const more = found.length - shown.length;
  return {
    content: [...shown, ...(more ? [`… ${more} more files match: narrow the pattern or the path`] : [])].join('\n'),
    isError: false,
    brief: `${brief} (${found.length})`,
  };
}

export async function grepTool(view: RepoView, input: ToolInput<'Grep'>): Promise<ToolOutcome> {
  const brief = `Grep ${short(JSON.stringify(input.pattern), 60)}${input.path ? ` in ${input.path}` : ''}`;
  const dir = input.path ? await checkedPath(view, input.path) : undefined;
  const match = input.glob ? picomatch(input.glob, { dot: true }) : () => true;
  const files: { path: string; text: string }[] = [];
  for (const f of (await view.files()).filter(under(dir))) {
    if (!match(f) && !match(relTo(dir, f))) continue;
    const seen = await view.view(f).catch(() => undefined);
    if (seen && !seen.text.includes('\u0000')) files.push({ path: f, text: seen.text });
  }
  const out = await grep(input.pattern, files, { max: LIMITS.grepHits, timeoutMs: LIMITS.grepTimeoutMs });
  if (!out.ok) return fail(brief, out.error);
  const total = out.hits.length + out.more;
  if (!total) return { content: `No line matches ${input.pattern} in ${files.length} file(s).`, isError: false, brief: `${brief} (0 matches)` };
  const lines = out.hits.map((h) => `${h.path}:${h.line}: ${h.text.length > LIMITS.grepLineChars ? `${h.text.slice(0, LIMITS.grepLineChars)}… [line cut]` : h.text}`);
  if (out.more) lines.push(`… ${out.more} more matching lines: narrow the pattern, path or glob`);
  return { content: lines.join('\n'), isError: false, brief: `${brief} (${total} match${total === 1 ? '' : 'es'})` };
}

export async function read(view: RepoView, input: ToolInput<'Read'>): Promise<ToolOutcome> {
  const brief = `Read ${input.file_path}`;
  const file = await checkedPath(view, input.file_path);
  const seen = await tooLarge(view.view(file));
  if (seen instanceof FileTooLargeError) return fail(brief, seen.message);
  if (seen === undefined) {
    const isDir = (await view.files()).some((f) => f.startsWith(`${file}/`));
    return fail(brief, isDir ? `${file} is a folder: use Glob to list it` : `${file} does not exist; Glob finds files by name`);
  }
  if (seen.text.includes('\u0000')) return fail(brief, `${file} is a binary file and cannot be shown`);
  const lines = seen.text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const first = input.offset ?? 1;
  const limit = Math.min(input.limit ?? LIMITS.readLines, LIMITS.readMaxLines);
  if (first > Math.max(lines.length, 1)) return fail(brief, `${file} has ${lines.length} lines; offset ${first} is past its end`);
  const out: string[] = [];
  let chars = 0;
  let last = first - 1;
  for (let i = first - 1; i < Math.min(lines.length, first - 1 + limit); i++) {
    const text = lines[i] as string;
    const line = `${String(i + 1).padStart(6)}\t${text.length > LIMITS.readLineChars ? `${text.slice(0, LIMITS.readLineChars)}… [line cut at ${LIMITS.readLineChars} characters]` : text}`;
    if (chars + line.length > LIMITS.readChars && out.length) break;
    out.push(line);
    chars += line.length + 1;
    last = i + 1;
  }
  if (!lines.length) out.push('(the file is empty)');
  if (last < lines.length) out.push(`… lines ${first}-${last} of ${lines.length} shown: read on with offset ${last + 1}`);
  return { content: out.join('\n'), isError: false, brief: `${brief}${first > 1 || last < lines.length ? ` (${first}-${last})` : ''}`, read: file };
}

export async function write(view: RepoView, input: ToolInput<'Write'>): Promise<ToolOutcome> {
  const brief = `Write ${input.file_path}`;
  const file = await checkedPath(view, input.file_path);
  if (input.content.length > LIMITS.writeChars) return fail(brief, `the content is ${input.content.length} characters, over the ${LIMITS.writeChars}-character limit of one Write`);
  if (PLACEHOLDER_PATTERN.test(input.content)) {
    return fail(brief, 'the content holds a <redacted: …> placeholder: it would replace a hidden secret value with the placeholder. Use Edit on the parts you change, or write a template with your own placeholder values');
  }
  if ((await view.files()).some((f) => f.startsWith(`${file}/`))) return fail(brief, `${file} is a folder`);
  const found = await tooLarge(view.raw(file));
  const before = found instanceof FileTooLargeError ? undefined : found;
  if (before === input.content) return { content: `${file} already has exactly this content: nothing written.`, isError: false, brief: `${brief} (unchanged)` };
  const lines = input.content.split('\n').length - (input.content.endsWith('\n') ? 1 : 0);
  return { content: `${before === undefined ? 'Created' : 'Rewrote'} ${file} (${lines} lines).`, isError: false, brief, write: { path: file, content: input.content } };
}

export async function edit(view: RepoView, input: ToolInput<'Edit'>): Promise<ToolOutcome> {
  const brief = `Edit ${input.file_path}`;
  const file = await checkedPath(view, input.file_path);
  if (input.old_string === input.new_string) return fail(brief, 'old_string and new_string are the same: nothing to change');
  if (PLACEHOLDER_PATTERN.test(input.new_string)) return fail(brief, 'new_string holds a <redacted: …> placeholder: hidden values cannot be written back through their placeholder');
  const raw = await tooLarge(view.raw(file));
  if (raw instanceof FileTooLargeError) return fail(brief, raw.message);
  if (raw === undefined) return fail(brief, `${file} does not exist: create it with Write`);
  const seen = view.redact(file, raw);
  const at: number[] = [];
  for (let i = seen.text.indexOf(input.old_string); i >= 0; i = seen.text.indexOf(input.old_string, i + input.old_string.length)) at.push(i);
  if (!at.length) return fail(brief, `old_string was not found in ${file}: Read the file again and copy the text exactly as it stands (without the line numbers)`);
  if (at.length > 1 && !input.replace_all) return fail(brief, `old_string occurs ${at.length} times in ${file}: give more surrounding text so it matches once, or set replace_all`);
  let next = raw;
  for (const i of [...at].reverse()) {
    const span = viewToRaw(seen, i, i + input.old_string.length);
    if (!span) return fail(brief, 'old_string covers a hidden secret value (<redacted: …>): edit the text around it, never the value');
    next = next.slice(0, span.start) + input.new_string + next.slice(span.end);
  }
  if (next.length > MAX_TOOL_FILE_BYTES) return fail(brief, `the edit would make ${file} larger than ${MAX_TOOL_FILE_BYTES} bytes`);
  return { content: `Edited ${file}: ${at.length} replacement${at.length === 1 ? '' : 's'}.`, isError: false, brief, write: { path: file, content: next } };
}
