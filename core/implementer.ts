// The implementer contract: given the run's context, propose the change set of one phase, or a
// fix for failed validations (the offline scaffold). An implementer that works as an agent is driven
// turn by turn instead (core/agent.ts, implementers/agent/). Implementations live in implementers/.
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
}
