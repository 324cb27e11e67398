// The CLI as a long-running process a test watches while it runs: what it wrote, and when each
// piece arrived, so that a test can say how soon something was printed.
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type Result, type ResultPromise } from 'execa';
import { PROJECT_ROOT } from './repo';
import { startTestServer, type TestServer } from './temporal';

export const BIN = path.join(PROJECT_ROOT, 'bin/infra-implementor.js');

export interface Stream {
  text(): string;
  /** Resolves when the text so far matches, with the time the piece that completed the match arrived. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<{ match: RegExpExecArray; at: number }>;
}

export function recorded(source: NodeJS.ReadableStream, name: string, exited: Promise<unknown>): Stream {
  const chunks: { at: number; text: string }[] = [];
  source.on('data', (d: Buffer) => chunks.push({ at: Date.now(), text: d.toString('utf8') }));
  let done = false;
  void exited.finally(() => { done = true; });
  const text = () => chunks.map((c) => c.text).join('');
  return {
    text,
    async waitFor(pattern, timeoutMs = 180_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        let sofar = '';
        for (const c of [...chunks]) {
          sofar += c.text;
          const match = pattern.exec(sofar);
          if (match) return { match, at: c.at };
        }
        if (done || Date.now() > until) throw new Error(`${name} never printed ${pattern}${done ? ' before exiting' : ''}:\n${text()}`);
        await sleep(25);
      }
    },
  };
}

export interface CliProcess {
  proc: ResultPromise<{ reject: false }>;
  stdout: Stream;
  stderr: Stream;
}

/** `infra-implementor ARGS` started now; the test reads its output as it comes. */
export function startCli(args: string[], env: Record<string, string>): CliProcess {
  const proc = execa('node', [BIN, ...args], { reject: false, env });
  return { proc, stdout: recorded(proc.stdout, 'stdout', proc), stderr: recorded(proc.stderr, 'stderr', proc) };
}

/** Under a pseudo-terminal (util-linux `script`): what a person at a terminal sees, on one stream. */
export function startCliOnTerminal(args: string[], env: Record<string, string>): { proc: ResultPromise<{ reject: false }>; screen: Stream } {
  const command = ['node', BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const proc = execa('script', ['-q', '-e', '-f', '-c', command, '/dev/null'], { reject: false, env });
  return { proc, screen: recorded(proc.stdout, 'the terminal', proc) };
}

/** The words of a command line as a shell splits them (double quotes only: what the CLI prints). */
export function shellWords(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
}

/** A dev server and a worker pair on a queue of their own, and the CLI pointed at them. */
export interface CliServer {
  server: TestServer;
  taskQueue: string;
  env: Record<string, string>;
  cli(args: string[]): Promise<Result<{ reject: false }>>;
  stop(): Promise<void>;
}

export async function startCliServer(): Promise<CliServer> {
  const server = await startTestServer();
  const { workers, taskQueue } = await server.workers();
  const running = workers.run();
  const env = { TEMPORAL_ADDRESS: server.env.connection.options.address ?? '', TEMPORAL_TASK_QUEUE: taskQueue, ANTHROPIC_API_KEY: '' };
  return {
    server, taskQueue, env,
    cli: (args) => execa('node', [BIN, ...args], { reject: false, env }),
    async stop() {
      workers.shutdown();
      await running;
      await server.stop();
    },
  };
}
