// Failure type names, in one sandbox-safe module: the activities throw them, the workflows' retry
// policies and decisions list them. A name here is part of recorded histories: rename none.

/** Failures of our own activities. */
export const Failure = {
  /** A path that leaves the infrastructure root (traversal, absolute, symlink escape). */
  PathOutsideRoot: 'PathOutsideRoot',
  /** A request no retry can make valid (unknown implementer, bad reference, bad input). */
  InvalidInput: 'InvalidInput',
  /** The scaffold implementer cannot plan the change for this repository and spec. */
  ScaffoldError: 'ScaffoldError',
  NotAGitRepository: 'NotAGitRepository',
  BranchExists: 'BranchExists',
  /** The run's context is not in this worker's store (the run moved here, or the store was wiped). */
  ContextMissing: 'ContextMissing',
  /** This worker cannot hold the run's workspace (the folder is not here); another worker may. */
  WorkspaceUnavailable: 'WorkspaceUnavailable',
  /** The remote repository cannot be fetched (retryable when the cause may pass). */
  RemoteUnavailable: 'RemoteUnavailable',
  /** The remote has no such base branch. */
  BaseNotFound: 'BaseNotFound',
  /** The repository has no such infrastructure folder at the base. */
  SubdirNotFound: 'SubdirNotFound',
  /** The run's branch on the remote holds someone else's work: never forced. */
  BranchMoved: 'BranchMoved',
  /** The remote refused the push (a hook, a protected branch). */
  PushRejected: 'PushRejected',
  /** The forge refused the token (401) or the token lacks the rights (403): no retry helps. */
  ForgeDenied: 'ForgeDenied',
  /** The forge refused the request itself (no such repository, a base that is not a branch, …). */
  ForgeRefused: 'ForgeRefused',
  /** The forge asks to slow down (429, GitHub's rate-limit 403): retried after its Retry-After. */
  ForgeRateLimited: 'ForgeRateLimited',
  /** The forge failed (5xx) or could not be reached: retried. */
  ForgeUnavailable: 'ForgeUnavailable',
} as const;

/** Failures of the Anthropic implementer, one per cause (implementers/anthropic/errors.ts maps them). */
export const AnthropicFailure = {
  RateLimited: 'AnthropicRateLimited',
  Overloaded: 'AnthropicOverloaded',
  ServerError: 'AnthropicServerError',
  Timeout: 'AnthropicTimeout',
  ConnectionError: 'AnthropicConnectionError',
  BadRequest: 'AnthropicBadRequest',
  AuthError: 'AnthropicAuthError',
  PermissionDenied: 'AnthropicPermissionDenied',
  NotFound: 'AnthropicNotFound',
  RequestTooLarge: 'AnthropicRequestTooLarge',
  Billing: 'AnthropicBilling',
  RequestRejected: 'AnthropicRequestRejected',
  MaxTokens: 'AnthropicMaxTokens',
  /** The model's reply could not be used even after the bounded corrections. */
  UnusableReply: 'UnusableReply',
} as const;

/** Anthropic failures no retry can fix. */
export const NON_RETRYABLE_ANTHROPIC_TYPES: readonly string[] = [
  AnthropicFailure.BadRequest, AnthropicFailure.AuthError, AnthropicFailure.PermissionDenied, AnthropicFailure.NotFound,
  AnthropicFailure.RequestTooLarge, AnthropicFailure.Billing, AnthropicFailure.RequestRejected,
  AnthropicFailure.MaxTokens, AnthropicFailure.UnusableReply,
];

/** What no retry fixes, per kind of work: listed in the workflows' retry policies. */
export const NON_RETRYABLE = {
  files: [Failure.PathOutsideRoot, Failure.InvalidInput],
  implementer: [Failure.InvalidInput, Failure.PathOutsideRoot, Failure.ScaffoldError, Failure.ContextMissing, ...NON_RETRYABLE_ANTHROPIC_TYPES],
  validators: [Failure.InvalidInput, Failure.PathOutsideRoot],
  git: [Failure.NotAGitRepository, Failure.BranchExists, Failure.InvalidInput],
  /** Opening a workspace from a remote: what retrying on another worker cannot fix. */
  workspace: [Failure.PathOutsideRoot, Failure.InvalidInput, Failure.BaseNotFound, Failure.SubdirNotFound],
  /** Delivering the result: a moved branch and a refused push become a question, not a retry. */
  delivery: [Failure.BranchMoved, Failure.PushRejected, Failure.InvalidInput],
  /** Opening the pull request: a token without rights, or a request the forge refuses (no token is InvalidInput). */
  forge: [Failure.ForgeDenied, Failure.ForgeRefused, Failure.InvalidInput],
} as const;

/** Failures that mean "this proposal was unusable": a failed attempt, not a failed run. */
export const ATTEMPT_FAILURES: readonly string[] = [AnthropicFailure.UnusableReply, AnthropicFailure.MaxTokens];
