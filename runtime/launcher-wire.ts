// What the launcher (runtime/launcher.ts) and its process (runtime/launcher-process.ts) say to
// each other, and the one way either side runs a command with execa.
import { execa, type Result } from 'execa';

export interface LaunchOptions {
  cwd?: string;
  /** Added to this process's environment, or the whole environment with `extendEnv: false`. */
  env?: Record<string, string | undefined>;
  extendEnv?: boolean;
  input?: string | Uint8Array;
  timeout?: number;
  cancelSignal?: AbortSignal;
  stripFinalNewline?: boolean;
  maxBuffer?: number;
}

/** What a command did; `failed` covers a non-zero exit, a signal, a timeout, a cancel and a start that failed (`code`, e.g. ENOENT). */
export interface Launched<Out extends string | Uint8Array = string> {
  command: string;
  exitCode?: number;
  signal?: string;
  stdout: Out;
  stderr: Out;
  failed: boolean;
  timedOut: boolean;
  isCanceled: boolean;
  /** execa's short message when the command failed. */
  message?: string;
  /** The system error code when the process could not start. */
  code?: string;
}

/** Options as they cross to the launcher process: the environment and working directory made explicit. */
export type WireOptions = Omit<LaunchOptions, 'cancelSignal' | 'extendEnv'> & { cwd: string; env: Record<string, string>; encoding?: 'buffer' };

export type LaunchRequest =
  | { type: 'run'; id: number; file: string; args: string[]; options: WireOptions }
  | { type: 'cancel'; id: number };

export type LaunchReply =
  | { type: 'ready' }
  | { type: 'result'; id: number; result: Launched<string | Uint8Array> }
  | { type: 'error'; id: number; message: string };

/** Run a command with execa, never through a shell, every outcome (exit code, spawn error, timeout, cancel) a result. */
export async function execaLaunched(file: string, args: string[], options: WireOptions, cancelSignal?: AbortSignal): Promise<Launched<string | Uint8Array>> {
  return toLaunched(await execa(file, args, { ...options, extendEnv: false, reject: false, ...(cancelSignal ? { cancelSignal } : {}) }));
}

/** An execa result (reject: false) as plain data. */
function toLaunched(r: Result): Launched<string | Uint8Array> {
  const { shortMessage, cause } = r as Result & { shortMessage?: string; cause?: unknown };
  return {
    command: r.command,
    ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
    ...(r.signal !== undefined ? { signal: r.signal } : {}),
    stdout: r.stdout as string | Uint8Array,
    stderr: r.stderr as string | Uint8Array,
    failed: r.failed,
    timedOut: r.timedOut,
    isCanceled: r.isCanceled,
    ...(r.failed ? { message: shortMessage ?? r.command } : {}),
    ...(cause instanceof Error && typeof (cause as NodeJS.ErrnoException).code === 'string' ? { code: (cause as NodeJS.ErrnoException).code as string } : {}),
  };
}
