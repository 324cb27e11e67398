// The process's log lines, one per event: JSON when stderr is not a terminal (a log collector reads
// it), `[infra-implementor] …` lines when a person does. The run's ids come first (workflow and
// activity interceptors put them on every line of a run). Meta values are kept only when they are
// plain values; an error is reduced to its type, since its message can quote a file or a reply.
import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';
import { errorType } from '../../runtime/telemetry';

export type LogFormat = 'json' | 'text';

const LEVELS: LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];
/** The keys that tie a line to a run, in the order a reader looks for them. */
const ID_KEYS = ['workflowId', 'parentId', 'scope', 'phase'] as const;

export interface StructuredLoggerOptions {
  level?: LogLevel;
  /** Default: text on a terminal, JSON otherwise. */
  format?: LogFormat;
  write?: (line: string) => void;
  /** For tests: a fixed clock. */
  now?: () => Date;
}

/** A line the SDK writes that reads like a fault but is not one, and what to say instead. */
interface Explained {
  match: (message: string, meta: LogMetadata) => boolean;
  level: LogLevel;
  message: string;
}

const EXPLAINED: Explained[] = [
  {
    // The host-queue twin of every worker (worker/worker.ts) runs activities only, by design.
    match: (m) => m.startsWith('No workflows registered, not polling for workflow tasks'),
    level: 'DEBUG',
    message: 'the host-queue worker runs activities only (git on the worktrees this worker holds): it polls no workflow tasks, by design',
  },
];

function plain(meta: LogMetadata | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(meta ?? {})) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
    else if (v instanceof Error) out[k === 'error' ? 'errorType' : `${k}Type`] = errorType(v);
  }
  return out;
}

export class StructuredLogger implements Logger {
  private readonly minLevel: number;
  readonly format: LogFormat;
  private readonly write: (line: string) => void;
  private readonly now: () => Date;

  constructor(opts: StructuredLoggerOptions = {}) {
    this.minLevel = LEVELS.indexOf(opts.level ?? 'INFO');
    this.format = opts.format ?? (process.stderr.isTTY ? 'text' : 'json');
    this.write = opts.write ?? ((line) => process.stderr.write(line));
    this.now = opts.now ?? (() => new Date());
  }

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    const explained = EXPLAINED.find((e) => e.match(message, meta ?? {}));
    if (explained) {
      level = explained.level;
      message = explained.message;
    }
    if (LEVELS.indexOf(level) < this.minLevel) return;
    const fields = plain(meta);
    const ids = Object.fromEntries(ID_KEYS.filter((k) => fields[k] !== undefined).map((k) => [k, fields[k]]));
    const rest = Object.fromEntries(Object.entries(fields).filter(([k]) => !(ID_KEYS as readonly string[]).includes(k)));
    const time = this.now();
    if (this.format === 'json') {
      this.write(`${JSON.stringify({ time: time.toISOString(), level: level.toLowerCase(), msg: message, ...ids, ...rest })}\n`);
      return;
    }
    const pairs = Object.entries({ ...ids, ...rest }).map(([k, v]) => `${k}=${typeof v === 'string' && /[\s"=]/.test(v) ? JSON.stringify(v) : v}`);
    this.write(`[infra-implementor] ${time.toISOString().slice(11, 19)} ${level.padEnd(5)} ${message}${pairs.length ? `  ${pairs.join(' ')}` : ''}\n`);
  }

  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}
