// Who writes the change, as activities: the run's context is stored once on the worker that holds
// the workspace and passed to every proposal (and to an agent's first turn) by reference; a
// proposal's Secrets are sealed and its large contents stored before anything leaves the activity.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { Failure } from '../core/failures';
import type { FixRequest, ImplementContext, Implementer, KnowledgeFile, Proposal, ScopeFile } from '../core/implementer';
import type { PatternProfile } from '../core/patterns';
import type { ImplementorInput, Phase } from '../core/schemas';
import { ScaffoldError } from '../core/scaffold/plan';
import { BlobStore, type StoredChangeSet } from '../runtime/blob-store';
import { surveyPatterns } from '../runtime/patterns';
import { repoReader, realRoot } from '../runtime/repo-fs';
import { readScope } from '../runtime/scope';
import { sealProposal } from '../runtime/secrets';
import { throttledHeartbeat } from './heartbeat';
import type { ActivityDeps, ImplementerTools } from '.';

/** A proposal as it travels through history: large contents by digest. */
export type StoredProposal = Omit<Proposal, 'changeSet'> & { changeSet: StoredChangeSet };

/**
 * A proposal. (Runs started before the Claude implementer became an agent could also get the model
 * call to make elsewhere; no implementer drafts such calls any more.)
 */
export type Drafted = StoredProposal;

/** What the run learned before implementing: the context without its input. */
export type StoredContext = { profile: PatternProfile; scopeFiles: ScopeFile[]; knowledge: KnowledgeFile[] };

/** What loadContext gives the run: the context and its digest, or for an agent the digest alone. */
export type LoadedContext = { context: StoredContext; ref: string; agent?: undefined } | { ref: string; agent: true };

/** The context by reference: the input (small) and the digest of the stored rest. */
export interface ContextRef {
  input: ImplementorInput;
  ref: string;
}

function tools(): ImplementerTools {
  const ctx = Context.current();
  return { heartbeat: throttledHeartbeat(ctx), signal: ctx.cancellationSignal };
}

function implementerFor(deps: ActivityDeps, name: string): Implementer {
  const make = deps.implementers[name];
  if (!make && deps.agents?.[name]) {
    throw ApplicationFailure.nonRetryable(
      `implementer "${name}" is an agent now, and this run was started by an older version that asked it for whole change sets: start the run again`,
      Failure.InvalidInput,
    );
  }
  if (!make) {
    throw ApplicationFailure.nonRetryable(`unknown implementer "${name}" (this worker has: ${Object.keys(deps.implementers).join(', ')})`, Failure.InvalidInput);
  }
  return make(tools());
}

/** Errors no retry can fix become non-retryable failures named by their cause. */
async function planning(fn: () => Promise<Proposal>): Promise<Proposal> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ScaffoldError) throw ApplicationFailure.nonRetryable(e.message, Failure.ScaffoldError);
    throw e;
  }
}

/** The whole context, from the workflow (older runs) or from this worker's store. */
export async function resolveContext(blobs: BlobStore, ctx: ImplementContext | ContextRef): Promise<ImplementContext> {
  if (!('ref' in ctx)) return ctx;
  if (!(await blobs.has(ctx.ref))) {
    throw ApplicationFailure.nonRetryable(`the run's context ${ctx.ref} is not stored on this worker`, Failure.ContextMissing);
  }
  return { input: ctx.input, ...(JSON.parse(await blobs.get(ctx.ref)) as StoredContext) };
}

/** What a run's context is loaded from: its folder on this worker, the scope's files, the implementer. */
export interface LoadRequest { infraRoot: string; files: string[]; reposRoot?: string; implementer?: string }

/**
 * The scope files and the repository's patterns, read together, stored once on this worker; the run
 * keeps the digest, and learns whether its implementer is an agent (the workflow then drives a
 * conversation, and gets the digest alone: the scope files' contents never enter its history).
 */
export async function loadRunContext(deps: ActivityDeps, req: LoadRequest): Promise<LoadedContext> {
  const [scopeFiles, { profile, knowledge }] = await Promise.all([
    readScope({ infraRoot: req.infraRoot, files: req.files }),
    surveyPatterns({ infraRoot: req.infraRoot, ...(req.reposRoot ? { reposRoot: req.reposRoot } : {}) }),
  ]);
  const context: StoredContext = { profile, scopeFiles, knowledge };
  const ref = await new BlobStore(deps.stateDir).put(JSON.stringify(context));
  return req.implementer !== undefined && deps.agents?.[req.implementer] ? { ref, agent: true } : { context, ref };
}

export const implementActivities = (deps: ActivityDeps) => {
  const blobs = new BlobStore(deps.stateDir);
  /** Large contents leave by digest: no payload nears Temporal's limits. */
  const stored = async (p: Proposal): Promise<StoredProposal> => ({ ...p, changeSet: await blobs.externalize(p.changeSet) });
  const store = async (context: StoredContext) => ({ ref: await blobs.put(JSON.stringify(context)) });
  const propose = async (ctx: ImplementContext | ContextRef, make: (c: ImplementContext, impl: Implementer, root: string) => Promise<Proposal>) => {
    const context = await resolveContext(blobs, ctx);
    // The workflow names the workspace's folder on this worker (a run from a remote has no other).
    if (!context.input.infraRoot) throw ApplicationFailure.nonRetryable('the proposal names no folder to work in', Failure.InvalidInput);
    const root = await realRoot(context.input.infraRoot);
    const proposal = await planning(() => make(context, implementerFor(deps, context.input.implementer), root));
    // Seal Secrets before anything leaves the activity: only ciphertext reaches history or the store.
    return stored(await sealProposal(root, proposal, { signal: Context.current().cancellationSignal }));
  };
  return {
    /** The run's context on the worker holding its workspace (loadRunContext); runs opened by openWorkspace got it there. */
    async loadContext(req: LoadRequest): Promise<LoadedContext> {
      return loadRunContext(deps, req);
    },

    /** Store a context again on this worker (after the run moved here from a lost one). */
    async storeContext(req: { context: StoredContext }): Promise<{ ref: string }> {
      return store(req.context);
    },

    /** `split` was asked by runs that handed model calls to any worker; every proposal is now made here. */
    async proposePhase(req: { ctx: ImplementContext | ContextRef; phase: Phase; split?: boolean }): Promise<Drafted> {
      return propose(req.ctx, (c, impl, root) => impl.implementPhase(c, req.phase, repoReader(root)));
    },

    async proposeFix(req: { ctx: ImplementContext | ContextRef; request: FixRequest; split?: boolean }): Promise<Drafted> {
      return propose(req.ctx, (c, impl, root) => impl.fix(c, req.request, repoReader(root)));
    },
  };
};
