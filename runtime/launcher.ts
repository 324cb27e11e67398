// Every external command (git, kubectl, helm, sops, go) starts here. On Linux, Node starts a process
// by forking itself, and the fork copies the page tables of the whole process while the event loop
// waits: ~2 ms for a 50 MB process, ~25 ms for a worker at 350 MB (bench/spawn.ts measures it). A
// worker holding several runs at once starts hundreds of git and kubectl processes, and each one
// stalled every workflow task, heartbeat and model reply of the process. So the commands start in a
// small helper process (runtime/launcher-process.ts, itself started once with `fork`), which runs
// them with execa and sends back the result over IPC; the worker's event loop only sends a message.
//
// The helper gets each command's full environment and working directory from this process, so a
// command sees exactly what it would have seen started from here. If the helper cannot be started,
// or INFRA_IMPLEMENTOR_LAUNCHER=inline, commands run through execa in this process, as before.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execaLaunched, type LaunchOptions, type LaunchReply, type LaunchRequest, type Launched, type WireOptions } from './launcher-wire';

export type { LaunchOptions, Launched } from './launcher-wire';

const here = path.dirname(fileURLToPath(import.meta.url));
/**
 * The helper only passes bytes along, so it runs small: semi-spaces of 1 MB (a busy helper allocates
 * fast, and V8 would grow its young generation to 3 × 16 MB), and no JIT (its compiler and code
 * space are most of an idle Node's memory; for a relay the interpreter costs nothing measurable:
 * 100 kustomize builds through it took the same time and less of its CPU). No JIT means no
 * WebAssembly, which the helper does not use (--no-expose-wasm says so, and silences V8's notice).
 */
const HELPER_NODE_FLAGS = ['--max-semi-space-size=1', '--jitless', '--no-expose-wasm'];
/** `npm run build` puts the compiled helper next to the chunk holding this module; the sources run it through tsx. */
function helperEntry(): { file: string; execArgv: string[] } | undefined {
  const built = path.join(here, 'launcher-process.mjs');
  if (existsSync(built)) return { file: built, execArgv: HELPER_NODE_FLAGS };
  const source = path.join(here, 'launcher-process.ts');
  // tsx by its resolved URL: a bare `--import tsx` would be looked up from the working directory.
  if (existsSync(source)) return { file: source, execArgv: [...HELPER_NODE_FLAGS, '--import', import.meta.resolve('tsx')] };
  return undefined;
}

interface Pending {
  resolve: (r: Launched<string | Uint8Array>) => void;
  reject: (e: Error) => void;
  command: string;
  /** Stops listening to the caller's cancel signal. */
  release: () => void;
}

class Helper {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise<void>((resolve) => {
      if (!this.alive) return resolve();
      child.once('exit', (code, signal) => {
        this.failAll(`the launcher process exited (${signal ?? `code ${code}`})`);
        resolve();
      });
    });
    child.on('message', (reply: LaunchReply) => {
      if (reply.type === 'ready') return;
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.settle(reply.id);
      if (reply.type === 'result') p.resolve(reply.result);
      else p.reject(new Error(`${p.command}: ${reply.message}`));
    });
    this.idle();
  }

  static async start(): Promise<Helper> {
    const entry = helperEntry();
    if (!entry) throw new Error('the launcher process has no entry file next to runtime/launcher');
    const child = fork(entry.file, [], {
      execArgv: entry.execArgv,
      serialization: 'advanced', // Uint8Array output and input cross as bytes
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', () => reject(new Error('the launcher process exited before it was ready')));
      child.once('message', () => resolve());
    });
    return new Helper(child);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null && this.child.connected;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  run(file: string, args: string[], options: WireOptions, signal?: AbortSignal): Promise<Launched<string | Uint8Array>> {
    const id = this.nextId++;
    const onAbort = () => this.send({ type: 'cancel', id });
    signal?.addEventListener('abort', onAbort, { once: true });
    const release = () => signal?.removeEventListener('abort', onAbort);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, command: [file, ...args].join(' '), release });
      this.busy();
      this.send({ type: 'run', id, file, args, options });
      if (signal?.aborted) onAbort();
    });
  }

  /** Stop the helper (tests; the worker's exit closes the channel, which ends it too). */
  async stop(): Promise<void> {
    this.child.ref(); // wait for its exit even when nothing else holds the event loop
    if (this.alive) this.child.kill();
    await this.exited;
  }

  private send(req: LaunchRequest) {
    if (!this.alive) {
      if (req.type === 'run') this.failAll('the launcher process is not running');
      return;
    }
    this.child.send(req, (err) => {
      if (err && req.type === 'run') {
        const p = this.pending.get(req.id);
        this.settle(req.id);
        p?.reject(new Error(`${p.command}: could not reach the launcher process: ${err.message}`));
      }
    });
  }

  private settle(id: number) {
    this.pending.get(id)?.release();
    this.pending.delete(id);
    if (!this.pending.size) this.idle();
  }

  private failAll(why: string) {
    for (const [id, p] of [...this.pending]) {
      this.settle(id);
      p.reject(new Error(`${p.command}: ${why} while the command ran`));
    }
  }

  // The helper must not keep this process alive when nothing runs.
  private busy() {
    this.child.ref();
    this.child.channel?.ref();
  }

  private idle() {
    this.child.unref();
    this.child.channel?.unref();
  }
}

let helper: Promise<Helper | undefined> | undefined;
/** The helper once it is ready (for synchronous readers: its pid for CPU and memory accounting). */
let ready: Helper | undefined;
let startFailure: string | undefined;

const inline = () => process.env.INFRA_IMPLEMENTOR_LAUNCHER === 'inline';

/** The running helper, started (again) on first use; undefined when it cannot start (commands then run inline). */
async function currentHelper(): Promise<Helper | undefined> {
  const seen = helper;
  const h = seen ? await seen : undefined;
  if (h?.alive) return h;
  if (startFailure) return undefined;
  // Another caller may have started the replacement while this one waited.
  if (helper !== seen) return currentHelper();
  helper = Helper.start().then((h) => (ready = h), (err: Error) => {
    startFailure = err.message;
    process.emitWarning(`infra-implementor: commands run in the worker process: ${err.message}`);
    return undefined;
  });
  return helper;
}

/** Run a command to completion (never through a shell); outcomes are results, not exceptions. */
export async function launch(file: string, args: string[], options?: LaunchOptions): Promise<Launched<string>>;
export async function launch(file: string, args: string[], options: LaunchOptions & { encoding: 'buffer' }): Promise<Launched<Uint8Array>>;
export async function launch(file: string, args: string[], options: LaunchOptions & { encoding?: 'buffer' } = {}): Promise<Launched<string | Uint8Array>> {
  const { cancelSignal, extendEnv, env, cwd, ...rest } = options;
  const wire: WireOptions = {
    ...rest,
    cwd: cwd ?? process.cwd(),
    env: definedOnly(extendEnv === false ? (env ?? {}) : { ...process.env, ...env }),
  };
  const h = inline() ? undefined : await currentHelper();
  if (h) return h.run(file, args, wire, cancelSignal);
  return execaLaunched(file, args, wire, cancelSignal);
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

/** The helper's pid, started if needed (tests). */
export async function launcherPid(): Promise<number | undefined> {
  return (await currentHelper())?.pid;
}

/** The running helper's pid, if one runs (the benchmarks count its CPU with this process's). */
export function runningLauncherPid(): number | undefined {
  return ready?.alive ? ready.pid : undefined;
}

/** Stop the helper; the next command starts a new one. */
export async function stopLauncher(): Promise<void> {
  const h = helper ? await helper : undefined;
  helper = undefined;
  ready = undefined;
  await h?.stop();
}
