// A worker in a child process for crash tests (spawned by worker-process.ts). It tells the parent
// what it does, one `@@ …` line per event on stdout, and can stop dead at a named point so that a
// SIGKILL lands exactly there:
//   @@ ready                                 polling
//   @@ start <type>#<activityId> <attempt> [label]   an activity began (label: phase or step)
//   @@ end <type>#<activityId> <attempt> [label]     its work is done, its result not yet reported
//   @@ write <path> <sha256>  ·  @@ delete <path>    a file of the watched root was replaced / removed
//   @@ hold <point>                          stopped at <point> until killed: start:<type>#<id>,
//                                            end:<type>#<id>, write:<type>#<id>:<path> (just after
//                                            that activity replaced that file) or before-write:… (its
//                                            temporary file written, not yet renamed); start:<type> and
//                                            end:<type> stop at the first activity of that type
import { promises as fsp, realpathSync, readFileSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { NativeConnection, type ActivityInterceptorsFactory } from '@temporalio/worker';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { defaultImplementers } from '../../activities';
import { createScaffoldImplementer } from '../../implementers/scaffold';
import { planPhase } from '../../core/scaffold/plan';
import type { Implementer } from '../../core/implementer';
import { installRuntime } from '../../worker/runtime';
import { loadConfig } from '../../worker/config';
import { workerImplementers } from '../../worker/implementers';
import { createWorkers } from '../../worker/worker';

const Env = z.object({
  CRASH_ADDRESS: z.string().min(1),
  CRASH_NAMESPACE: z.string().min(1).default('default'),
  CRASH_TASK_QUEUE: z.string().min(1),
  CRASH_STATE_DIR: z.string().min(1),
  /** The workflow bundle, built once for every worker process of a test (worker-process.ts). */
  CRASH_BUNDLE: z.string().min(1),
  CRASH_HOLD_AT: z.string().min(1).optional(),
  CRASH_WATCH_ROOT: z.string().min(1).optional(),
  /** Where the anthropic agent's Messages API is (a local scripted one), for the agent's crash tests. */
  CRASH_ANTHROPIC_BASE_URL: z.string().url().optional(),
  CRASH_LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).optional(),
  /** Another shutdownGraceTime than production's (bench/crash.ts: a worker that gives up its activities at once on SIGTERM). */
  CRASH_SHUTDOWN_GRACE_TIME: z.string().min(1).optional(),
  /** `sigterm`: an activity held as it starts goes on (and ends) once the worker is told to stop, as a short step does. */
  CRASH_HOLD_UNTIL: z.enum(['sigterm']).optional(),
});
const env = Env.parse(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v)));

// Synchronous, so that a line is in the pipe before the process stops at a hold.
const emit = (line: string) => writeSync(1, `@@ ${line}\n`);
/** The activity running now (write holds assume one run per worker, one activity at a time: not a feature run). */
let current = '';
/**
 * Stop at `point` until killed; an activity held as it starts gives up when cancelled (a SIGTERMed
 * worker cancels what runs), as real activities do, or goes on when the worker is told to stop (CRASH_HOLD_UNTIL).
 */
const holdForever = (point: string, cancelled: Promise<never> = new Promise<never>(() => undefined)) => {
  emit(`hold ${point}`);
  if (env.CRASH_HOLD_UNTIL !== 'sigterm') return cancelled;
  return Promise.race([cancelled, new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()))]);
};

// Every replacement or removal of a file under the watched root, with the content's hash. The
// repository code writes through `fs.promises.rename` (atomic writes) and `fs.promises.rm`.
if (env.CRASH_WATCH_ROOT) {
  const root = realpathSync(env.CRASH_WATCH_ROOT);
  const inside = (p: string) => {
    const rel = path.relative(root, path.resolve(p));
    return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : undefined;
  };
  const rename = fsp.rename.bind(fsp);
  const rm = fsp.rm.bind(fsp);
  fsp.rename = async (from, to) => {
    const rel = inside(String(to));
    if (rel) emit(`write ${rel} ${createHash('sha256').update(readFileSync(from)).digest('hex')}`);
    if (rel && env.CRASH_HOLD_AT === `before-write:${current}:${rel}`) await holdForever(env.CRASH_HOLD_AT);
    await rename(from, to);
    if (rel && env.CRASH_HOLD_AT === `write:${current}:${rel}`) await holdForever(env.CRASH_HOLD_AT);
  };
  fsp.rm = async (p, opts) => {
    const rel = inside(String(p));
    // Temporary files are the writer's own business (a stale one is removed before a retried write).
    if (rel && !/(^|\/)\.[^/]+\.[0-9a-f]{12}\.tmp$/.test(rel)) emit(`delete ${rel}`);
    await rm(p, opts);
  };
}

const crashInterceptors: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      const { activityType, activityId, attempt } = ctx.info;
      const arg = input.args[0] as { phase?: string; journalKey?: string } | undefined;
      const label = arg?.phase ?? arg?.journalKey?.split('/').at(-1) ?? '';
      const id = `${activityType}#${activityId}`;
      current = id;
      emit(`start ${id} ${attempt} ${label}`.trimEnd());
      const holdsAt = (when: string) => env.CRASH_HOLD_AT === `${when}:${id}` || env.CRASH_HOLD_AT === `${when}:${activityType}`;
      if (holdsAt('start')) await holdForever(env.CRASH_HOLD_AT as string, ctx.cancelled);
      // A held worker keeps beating (the production liveness interceptor runs outside this one),
      // exactly like a live worker in the middle of a step: only the SIGKILL stops the beat.
      const result = await next(input);
      emit(`end ${id} ${attempt} ${label}`.trimEnd());
      if (holdsAt('end')) await holdForever(env.CRASH_HOLD_AT as string);
      return result;
    },
  },
});

/**
 * The scaffold implementer with a first config proposal that is not valid YAML, and a fix that
 * proposes the scaffold's own config files again: a run that validates on attempt 2.
 */
function fixableImplementer(): Implementer {
  const scaffold = createScaffoldImplementer();
  return {
    name: 'fixable',
    async implementPhase(ctx, phase, repo) {
      const proposal = await scaffold.implementPhase(ctx, phase, repo);
      if (phase !== 'config') return proposal;
      const [first, ...rest] = proposal.changeSet.operations;
      if (!first || first.action !== 'write') throw new Error('fixable: the scaffold proposed no config file to break');
      return { changeSet: { ...proposal.changeSet, operations: [{ ...first, content: `${first.content}broken: [1, 2\n` }, ...rest] } };
    },
    async fix(ctx, request, repo) {
      const good = await planPhase(ctx, 'config', repo);
      const broken = new Set(request.failures.map((f) => f.file));
      return { changeSet: { operations: good.operations.filter((o) => broken.has(o.path)), assumptions: [], dependencies: [] } };
    },
  };
}

// Quiet by default; a test that greps the worker's log for a secret asks for everything (CRASH_LOG_LEVEL).
installRuntime(env.CRASH_LOG_LEVEL ?? 'ERROR');
// TLS and an API key come from the standard TEMPORAL_* variables when the test gives them (the
// production tier's mTLS server), as a user's worker takes them.
const connection = await NativeConnection.connect({ ...loadClientConnectConfig({ disableFile: true }).connectionOptions, address: env.CRASH_ADDRESS } as Parameters<typeof NativeConnection.connect>[0]);
// The production pair: the shared queue and the host queue derived from the state dir, which a
// worker restarted with the same state dir polls again (workspaces live there), with the production
// worker options (worker/liveness.ts): no timing here differs from what users run. What this process
// adds only observes (the `@@` events) and stops at a hold point.
const worker = await createWorkers({
  connection,
  namespace: env.CRASH_NAMESPACE,
  taskQueue: env.CRASH_TASK_QUEUE,
  deps: {
    stateDir: env.CRASH_STATE_DIR,
    implementers: { ...defaultImplementers, fixable: fixableImplementer },
    ...(env.CRASH_ANTHROPIC_BASE_URL ? { agents: workerImplementers(loadConfig({ ANTHROPIC_API_KEY: 'sk-ant-crash-test', ANTHROPIC_BASE_URL: env.CRASH_ANTHROPIC_BASE_URL })).agents } : {}),
    // The Web UI that pull requests link to, as a user's worker reads it from its environment.
    ...(process.env.INFRA_IMPLEMENTOR_UI_URL ? { uiUrl: process.env.INFRA_IMPLEMENTOR_UI_URL } : {}),
  },
  workerOptions: {
    workflowsPath: undefined,
    workflowBundle: { codePath: env.CRASH_BUNDLE },
    interceptors: { activity: [crashInterceptors] },
    ...(env.CRASH_SHUTDOWN_GRACE_TIME ? { shutdownGraceTime: env.CRASH_SHUTDOWN_GRACE_TIME } : {}),
  },
});
// The parent closes stdin when it goes away: never outlive it.
process.stdin.on('end', () => worker.shutdown());
process.stdin.resume();
emit('ready');
await worker.run();
await connection.close();
// Stopped (SIGTERM, or the parent gone): let go of stdin too, or the open pipe keeps the process alive.
process.stdin.destroy();
