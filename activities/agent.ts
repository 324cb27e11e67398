// The agent's steps as activities, on the worker holding the run's workspace: a model turn and the
// tool calls of a turn. Thin: the conversation, the tools and the redactor are implementers/agent/.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { BatchRequest, BatchResult, TurnRequest, TurnResult, WrittenFile } from '../core/agent';
import { Failure } from '../core/failures';
import { runBatch } from '../implementers/agent/batch';
import type { AgentModel } from '../implementers/agent/model';
import { StepRecords } from '../implementers/agent/records';
import { RepoView } from '../implementers/agent/repo-view';
import { runTurn } from '../implementers/agent/turn';
import { BlobStore } from '../runtime/blob-store';
import { applyChangeSet } from '../runtime/changes';
import { realRoot } from '../runtime/repo-fs';
import { sealSecrets } from '../runtime/secrets';
import { llmCost, llmPrice } from '../runtime/telemetry';
import { engine } from './checks';
import { throttledHeartbeat } from './heartbeat';
import { resolveContext, type ContextRef } from './implement';
import type { ActivityDeps } from '.';

/** One file's new content as a change set (what the journal and the sealer take). */
const oneWrite = (file: { path: string; content: string }) =>
  ({ operations: [{ path: file.path, action: 'write' as const, content: file.content, phase: 'base' as const }], assumptions: [], dependencies: [] });

function agentFor(deps: ActivityDeps, name: string): AgentModel {
  const make = deps.agents?.[name];
  if (!make) throw ApplicationFailure.nonRetryable(`implementer "${name}" is not an agent on this worker (its agents: ${Object.keys(deps.agents ?? {}).join(', ') || 'none'})`, Failure.InvalidInput);
  const ctx = Context.current();
  return make({ heartbeat: throttledHeartbeat(ctx), signal: ctx.cancellationSignal });
}

/** A digest this worker must hold: gone means the run moved here from a lost worker. */
async function held(store: BlobStore, ref: string, what: string): Promise<void> {
  if (!(await store.has(ref))) throw ApplicationFailure.nonRetryable(`the ${what} ${ref} is not stored on this worker`, Failure.ContextMissing);
}

export const agentActivities = (deps: ActivityDeps) => {
  const store = new BlobStore(deps.stateDir);
  const records = new StepRecords(deps.stateDir);
  const validate = deps.validate ?? engine;
  return {
    /** One model turn: the conversation (built from the context on the first), the estimate, the reply. */
    async agentTurn(req: TurnRequest & { implementer: string }): Promise<TurnResult> {
      const root = await realRoot(req.infraRoot);
      if (req.conversation) await held(store, req.conversation, 'conversation');
      const model = agentFor(deps, req.implementer);
      const context = async () => {
        if (!req.ctx) throw ApplicationFailure.nonRetryable('the first turn of a conversation needs the run\'s context', Failure.InvalidInput);
        return resolveContext(store, req.ctx as ContextRef);
      };
      return runTurn({ store, records, model, view: new RepoView(root), context, price: llmPrice, cost: llmCost }, req);
    },

    /** The tool calls of the last turn, in order, in the workspace; their results become the next message. */
    async agentTools(req: BatchRequest): Promise<BatchResult> {
      const ctx = Context.current();
      const root = await realRoot(req.infraRoot);
      await held(store, req.conversation, 'conversation');
      const write = async (file: { path: string; content: string }, journalKey: string): Promise<WrittenFile> => {
        const [entry] = await applyChangeSet(deps.stateDir, { infraRoot: root, journalKey, beforeByRef: true, changeSet: oneWrite(file) });
        if (!entry || typeof entry.before === 'string') throw new Error(`the journal of ${file.path} holds content inline`);
        return { path: entry.path, before: entry.before, action: entry.action };
      };
      const seal = async (file: { path: string; content: string }) => {
        const sealed = await sealSecrets({ root, signal: ctx.cancellationSignal, changeSet: oneWrite(file) });
        const content = sealed.changeSet.operations[0]?.content ?? file.content;
        return {
          content,
          assumptions: sealed.unsealed.map((u) => ({ file: u.file, text: u.reason })),
          dependencies: sealed.unsealed.map((u) => ({ kind: 'sops-key' as const, description: `encrypt ${u.file} with sops before it is applied: ${u.reason}` })),
        };
      };
      return runBatch({
        store, records, view: new RepoView(root), seal, write,
        validate: (changedFiles) => validate({ infraRoot: root, changedFiles }),
        heartbeat: throttledHeartbeat(ctx),
      }, req);
    },
  };
};
