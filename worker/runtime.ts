// The SDK's process-wide runtime, installed once with the log level a command wants.
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

let installed = false;

export function installRuntime(level: LogLevel = 'WARN'): void {
  if (installed) return;
  Runtime.install({ logger: new DefaultLogger(level) });
  installed = true;
}
