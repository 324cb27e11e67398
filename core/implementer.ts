// The implementer contract: given the run's context, propose the change set of one phase, or a
// fix for failed validations. Implementations live in implementers/.
import type { ChangeSet, ImplementorInput, LlmUsage, Phase, ValidationResult, Finding } from './schemas';
import type { PatternProfile } from './patterns';

/** A file of the scope as read from disk (or marked new). */
export interface ScopeFile {
  /** The path the input named, relative to the infra root. */
  requested: string;
  /** Where it was found; equals `requested` unless found in an alternate location. */
  path: string;
  status: 'found' | 'alternate' | 'new';
  /** Content, cut to a budget with a visible note when large; absent for new files. */
  content?: string;
  truncated?: boolean;
}

export interface KnowledgeFile {
  path: string;
  content: string;
}

export interface ImplementContext {
  input: ImplementorInput;
  profile: PatternProfile;
  scopeFiles: ScopeFile[];
  knowledge: KnowledgeFile[];
}

/** Read-only access to the infra root, for implementers that must look at current files. */
export interface RepoReader {
  /** Content of a file relative to the infra root, or undefined when it does not exist. */
  read(path: string): Promise<string | undefined>;
  /** Every file under the infra root (relative, POSIX), .git excluded. */
  list(): Promise<string[]>;
}

export interface FixRequest {
  attempt: number;
  failures: ValidationResult[];
  findings: Finding[];
  /** Guidance from a human answer (`retry`), if any. */
  guidance?: string;
  /** Paths this run has written so far. */
  touched: string[];
}

export interface Proposal {
  changeSet: ChangeSet;
  usage?: LlmUsage;
}

export interface Implementer {
  readonly name: string;
  implementPhase(ctx: ImplementContext, phase: Phase, repo: RepoReader): Promise<Proposal>;
  fix(ctx: ImplementContext, request: FixRequest, repo: RepoReader): Promise<Proposal>;
  /**
   * Implementers that call a model split each proposal in two, so that the call can run on any
   * worker while the repository stays on the one holding the workspace: `draft` reads the repository
   * and writes the request (there), `ask` makes the call (anywhere). Without them, a proposal is one step.
   */
  model?: {
    draftPhase(ctx: ImplementContext, phase: Phase, repo: RepoReader): Promise<ModelRequest>;
    draftFix(ctx: ImplementContext, request: FixRequest, repo: RepoReader): Promise<ModelRequest>;
    ask(request: ModelRequest): Promise<Proposal>;
  };
}

/** What a model is asked, as plain data (it travels through history to the worker that calls the model). */
export interface ModelRequest {
  implementer: string;
  /** The system prompt's blocks (the stable, cached prefix first). */
  system: { type: 'text'; text: string; cache_control?: { type: 'ephemeral' } }[];
  user: string;
  /** When set, every operation must be tagged with this phase. */
  phase?: Phase;
}
