// The tool calls of one turn, as one activity on the worker holding the workspace: each call run in
// order (a Read after a Write sees it), recorded before its effect so a retried batch repeats no
// Edit, every result through the redactor, all results stored as the next user message.
import { ApplicationFailure } from '@temporalio/common';
import type { AgentFinish, AgentQuestion, BatchRequest, BatchResult, WrittenFile } from '../../core/agent';
import { blockingFindings } from '../../core/blocking-findings';
import { Failure } from '../../core/failures';
import type { Assumption, Dependency, Finding, ValidationResult } from '../../core/schemas';
import type { BlobStore } from '../../runtime/blob-store';
import { loadConversation, saveConversation, type Block } from './conversation';
import type { StepRecords } from './records';
import type { RepoView } from './repo-view';
import { parseCall, type ParsedCall } from './tools';
import { edit, glob, grepTool, read, write, type ToolOutcome } from './workspace-tools';
import { validationReport } from './validate-tool';
import { briefOf } from './briefs';

export interface BatchDeps {
  store: BlobStore;
  records: StepRecords;
  view: RepoView;
  validate(changedFiles: string[]): Promise<{ validations: ValidationResult[]; findings: Finding[] }>;
  /** Seal a Secret with values (the repository's sops rules); notes say what was left in plain text. */
  seal(file: { path: string; content: string }): Promise<{ content: string; assumptions: Assumption[]; dependencies: Dependency[] }>;
  /** Write one file through the run's journal (idempotent under `journalKey`). */
  write(file: { path: string; content: string }, journalKey: string): Promise<WrittenFile>;
  heartbeat(): void;
}

/** What a call did, recorded before its effect is applied. */
interface CallRecord extends Omit<ToolOutcome, 'write'> {
  written?: { path: string; contentRef: string };
  sealed?: { assumptions: Assumption[]; dependencies: Dependency[] };
  finish?: AgentFinish;
  ask?: AgentQuestion;
  /** No result yet: it waits for a human (AskUserQuestion). */
  pending?: boolean;
}

const FINISHED = 'Finished. The run now validates the repository itself; if something fails, the failures come back to you.';

export async function runBatch(d: BatchDeps, req: BatchRequest): Promise<BatchResult> {
  const done = await d.records.get<BatchResult>(req.key);
  if (done) return done;
  const c = await loadConversation(d.store, req.conversation);
  const last = c.messages.at(-1);
  const calls = last?.role === 'assistant' ? last.content.filter((b): b is Extract<Block, { type: 'tool_use' }> => b.type === 'tool_use') : [];
  if (!calls.length) throw ApplicationFailure.nonRetryable('the last reply of the conversation calls no tool: nothing to run', Failure.InvalidInput);
  const typed = calls.map((b) => c.raw?.[b.id] ?? JSON.stringify(b.input));
  const parsed = calls.map((b, i) => parseCall(b.name, typed[i] as string));
  const finishing = parsed.some((p) => p.ok && p.name === 'Finish');
  const result: BatchResult = { conversation: '', results: [], written: [], read: [], assumptions: [], dependencies: [] };
  const touched = new Set(req.touched);
  const content: Block[] = [];
  for (const [i, call] of calls.entries()) {
    d.heartbeat();
    const key = `${req.key}/${i}`;
    let rec = await d.records.get<CallRecord>(key);
    if (!rec) {
      rec = await execute(d, parsed[i] as ParsedCall, briefOf(call.name, typed[i] as string), { finishing, asking: Boolean(result.ask), touched: [...touched] });
      await d.records.put(key, rec);
    }
    if (rec.written) {
      const entry = await d.write({ path: rec.written.path, content: await d.store.get(rec.written.contentRef) }, key);
      await d.view.changed(entry.path);
      touched.add(entry.path);
      result.written.push(entry);
      result.assumptions.push(...(rec.sealed?.assumptions ?? []), ...reviews(entry.path, await d.store.get(rec.written.contentRef)));
      result.dependencies.push(...(rec.sealed?.dependencies ?? []));
    }
    if (rec.read && !result.read.includes(rec.read)) result.read.push(rec.read);
    if (rec.finish) result.finish = rec.finish;
    if (rec.ask) result.ask = { ...rec.ask, id: call.id };
    result.results.push({ name: call.name, brief: rec.brief, ok: !rec.isError });
    if (!rec.pending) content.push({ type: 'tool_result', tool_use_id: call.id, content: rec.content, ...(rec.isError ? { is_error: true } : {}) });
  }
  result.conversation = await saveConversation(d.store, { ...c, messages: [...c.messages, { role: 'user', content }] });
  await d.records.put(req.key, result);
  return result;
}

async function execute(d: BatchDeps, call: ParsedCall, brief: string, at: { finishing: boolean; asking: boolean; touched: string[] }): Promise<CallRecord> {
  if (!call.ok) return { content: call.error, isError: true, brief: `${brief} ✗` };
  try {
    const out = await run(d, call, at);
    const { write: w, ...rest } = out;
    if (!w) return { ...rest, content: await d.view.text(rest.content) };
    const sealed = await d.seal(w);
    return { ...rest, written: { path: w.path, contentRef: await d.store.put(sealed.content) }, sealed: { assumptions: sealed.assumptions, dependencies: sealed.dependencies } };
  } catch (e) {
    // A path the model got wrong says so; anything else is the worker's trouble and retried.
    if (e instanceof Error && !(e instanceof ApplicationFailure) && /relative to the repository root|not a valid path/.test(e.message)) {
      return { content: e.message, isError: true, brief: `${brief} ✗` };
    }
    throw e;
  }
}

async function run(d: BatchDeps, call: Extract<ParsedCall, { ok: true }>, at: { finishing: boolean; asking: boolean; touched: string[] }): Promise<CallRecord & ToolOutcome> {
  switch (call.name) {
    case 'Glob': return glob(d.view, call.input);
    case 'Grep': return grepTool(d.view, call.input);
    case 'Read': return read(d.view, call.input);
    case 'Write': return write(d.view, call.input);
    case 'Edit': return edit(d.view, call.input);
    case 'Validate': {
      // The run validates what it changed: with nothing changed there is nothing of the agent's to judge.
      if (!at.touched.length) return { content: 'Nothing to validate yet: this run has not changed any file.', isError: false, brief: 'Validate: nothing changed yet' };
      const checked = await d.validate(at.touched);
      return validationReport(checked, blockingFindings(checked.findings, at.touched));
    }
    case 'Finish':
      return { content: FINISHED, isError: false, brief: 'Finish', finish: call.input };
    case 'AskUserQuestion':
      if (at.finishing) return { content: 'Not asked: you called Finish in the same turn.', isError: true, brief: 'AskUserQuestion ✗' };
      if (at.asking) return { content: 'Not asked: ask one question at a time.', isError: true, brief: 'AskUserQuestion ✗' };
      return { content: '', isError: false, brief: 'AskUserQuestion', pending: true, ask: { id: '', question: call.input.question, options: call.input.options } };
  }
}

/** `# REVIEW: …` comments of a written file: decisions a reviewer must look at. */
function reviews(file: string, content: string): Assumption[] {
  return [...content.matchAll(/#\s*REVIEW:\s*(.+)$/gm)].map((m) => ({ file, text: (m[1] as string).trim() }));
}
