// Who writes the change, as activities: the run's context is stored once on the worker that holds
// the workspace and passed to every proposal by reference; a proposal's Secrets are sealed and its
// large contents stored before anything leaves the activity.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { Failure } from '../core/failures';
import type { FixRequest, ImplementContext, Implementer, KnowledgeFile, ModelRequest, Proposal, ScopeFile } from '../core/implementer';
import type { PatternProfile } from '../core/patterns';
import type { ImplementorInput, Phase } from '../core/schemas';
import { ScaffoldError } from '../core/scaffold/plan';
import { BlobStore, type StoredChangeSet } from '../runtime/blob-store';
import { surveyPatterns } from '../runtime/patterns';
import { listFiles, repoReader, realRoot } from '../runtime/repo-fs';
import { readScope } from '../runtime/scope';
import { sealProposal, sealWithConfigs, sopsConfigs, type SopsConfigs } from '../runtime/secrets';
import type { ActivityDeps, ImplementerTools } from '.';

/** A proposal as it travels through history: large contents by digest. */
export type StoredProposal = Omit<Proposal, 'changeSet'> & { changeSet: StoredChangeSet };

/** What a model is asked, with the repository's sops rules so that any worker can seal the reply. */
export type ModelCall = ModelRequest & { sops: SopsConfigs };

/** A proposal, or (for an implementer that calls a model, when the run asks for it) the call to make. */
export type Drafted = StoredProposal | { modelCall: ModelCall };

/** What the run learned before implementing: the context without its input. */
export type StoredContext = { profile: PatternProfile; scopeFiles: ScopeFile[]; knowledge: KnowledgeFile[] };

/** The context by reference: the input (small) and the digest of the stored rest. */
export interface ContextRef {
  input: ImplementorInput;
  ref: string;
}

function tools(): ImplementerTools {
  const ctx = Context.current();
  return { heartbeat: (d) => ctx.heartbeat(d), signal: ctx.cancellationSignal };
}

function implementerFor(deps: ActivityDeps, name: string): Implementer {
  const make = deps.implementers[name];
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

export const implementActivities = (deps: ActivityDeps) => {
  const blobs = new BlobStore(deps.stateDir);
  /** Large contents leave by digest: no payload nears Temporal's limits. */
  const stored = async (p: Proposal): Promise<StoredProposal> => ({ ...p, changeSet: await blobs.externalize(p.changeSet) });
  const store = async (context: StoredContext) => ({ ref: await blobs.put(JSON.stringify(context)) });
  /** The whole context, from the workflow (older runs) or from this worker's store. */
  const resolve = async (ctx: ImplementContext | ContextRef): Promise<ImplementContext> => {
    if (!('ref' in ctx)) return ctx;
    if (!(await blobs.has(ctx.ref))) {
      throw ApplicationFailure.nonRetryable(`the run's context ${ctx.ref} is not stored on this worker`, Failure.ContextMissing);
    }
    return { input: ctx.input, ...(JSON.parse(await blobs.get(ctx.ref)) as StoredContext) };
  };
  /** The model's request, written here where the repository is; the call itself is made by askModel, anywhere. */
  const draft = async (ctx: ImplementContext | ContextRef, make: (c: ImplementContext, m: NonNullable<Implementer['model']>, root: string) => Promise<ModelRequest>) => {
    const context = await resolve(ctx);
    const root = await realRoot(context.input.infraRoot as string);
    const impl = implementerFor(deps, context.input.implementer);
    if (!impl.model) return undefined;
    const request = await make(context, impl.model, root);
    return { modelCall: { ...request, sops: await sopsConfigs(root, await listFiles(root)) } };
  };
  const propose = async (ctx: ImplementContext | ContextRef, make: (c: ImplementContext, impl: Implementer, root: string) => Promise<Proposal>) => {
    const context = await resolve(ctx);
    // The workflow names the workspace's folder on this worker (a run from a remote has no other).
    if (!context.input.infraRoot) throw ApplicationFailure.nonRetryable('the proposal names no folder to work in', Failure.InvalidInput);
    const root = await realRoot(context.input.infraRoot);
    const proposal = await planning(() => make(context, implementerFor(deps, context.input.implementer), root));
    // Seal Secrets before anything leaves the activity: only ciphertext reaches history or the store.
    return stored(await sealProposal(root, proposal, { signal: Context.current().cancellationSignal }));
  };
  return {
    /** The scope files and the repository's patterns, read together, stored once; the run keeps the digest. */
    async loadContext(req: { infraRoot: string; files: string[]; reposRoot?: string }): Promise<{ context: StoredContext; ref: string }> {
      const [scopeFiles, { profile, knowledge }] = await Promise.all([
        readScope({ infraRoot: req.infraRoot, files: req.files }),
        surveyPatterns({ infraRoot: req.infraRoot, ...(req.reposRoot ? { reposRoot: req.reposRoot } : {}) }),
      ]);
      const context: StoredContext = { profile, scopeFiles, knowledge };
      return { context, ...(await store(context)) };
    },

    /** Store a context again on this worker (after the run moved here from a lost one). */
    async storeContext(req: { context: StoredContext }): Promise<{ ref: string }> {
      return store(req.context);
    },

    /** With `split`, an implementer that calls a model returns the call to make (askModel) instead of making it here. */
    async proposePhase(req: { ctx: ImplementContext | ContextRef; phase: Phase; split?: boolean }): Promise<Drafted> {
      const drafted = req.split ? await draft(req.ctx, (c, m, root) => m.draftPhase(c, req.phase, repoReader(root))) : undefined;
      return drafted ?? propose(req.ctx, (c, impl, root) => impl.implementPhase(c, req.phase, repoReader(root)));
    },

    async proposeFix(req: { ctx: ImplementContext | ContextRef; request: FixRequest; split?: boolean }): Promise<Drafted> {
      const drafted = req.split ? await draft(req.ctx, (c, m, root) => m.draftFix(c, req.request, repoReader(root))) : undefined;
      return drafted ?? propose(req.ctx, (c, impl, root) => impl.fix(c, req.request, repoReader(root)));
    },

    /**
     * The model call of a proposal, on any worker (it needs no repository): the reply is sealed with
     * the repository's sops rules before it leaves, and its contents stay inline (no worker's store).
     */
    async askModel(req: { call: ModelCall }): Promise<StoredProposal> {
      const { sops, ...request } = req.call;
      const impl = implementerFor(deps, request.implementer);
      if (!impl.model) throw ApplicationFailure.nonRetryable(`implementer "${request.implementer}" makes no model calls`, Failure.InvalidInput);
      const proposal = await planning(() => (impl.model as NonNullable<Implementer['model']>).ask(request));
      return sealWithConfigs(sops, proposal, { signal: Context.current().cancellationSignal });
    },
  };
};
