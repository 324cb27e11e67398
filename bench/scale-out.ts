// `npm run bench:scale -- [--reps=2]`: six `implement` runs and two two-scope features from one Git
// remote, started at once, on three worker processes (state dirs of their own) against the same
// runs on one worker process, alternating, in one run: the ratio of wall times. On a machine with
// few cores the workers share the CPU, so this says what spreading costs or saves here, not on N hosts.
import { randomUUID } from 'node:crypto';
import { bareRemote, runAll, spawnWorkers } from '../test/helpers/scale';
import { startTestServer } from '../test/helpers/temporal';
import { bundleCrashWorkflows } from '../test/helpers/worker-process';
import { median } from './harness';

const reps = Number(process.argv.find((a) => a.startsWith('--reps='))?.slice(7) ?? 2);
const log = (s: string) => process.stderr.write(`${s}\n`);

const server = await startTestServer();
try {
  const bundle = await bundleCrashWorkflows();
  const remote = await bareRemote();
  const times: Record<'one' | 'three', number[]> = { one: [], three: [] };
  for (let rep = 0; rep < reps; rep++) {
    for (const [kind, n] of (rep % 2 ? [['three', 3], ['one', 1]] : [['one', 1], ['three', 3]]) as ['one' | 'three', number][]) {
      const taskQueue = `bench-scale-${randomUUID()}`;
      const workers = await spawnWorkers(server, bundle, taskQueue, n);
      try {
        const outcome = await runAll(server, taskQueue, remote, `${kind}-${rep}`);
        const failed = [...outcome.implement, ...outcome.features].filter((r) => r.status !== 'succeeded');
        if (failed.length) throw new Error(`${failed.length} run(s) did not succeed: ${failed.map((r) => r.summary).join('; ')}`);
        times[kind].push(outcome.ms);
        log(`rep ${rep + 1}: ${n} worker(s): 8 runs (10 workflows) in ${(outcome.ms / 1000).toFixed(1)} s`);
      } finally {
        await Promise.all(workers.map((w) => w.kill()));
      }
    }
  }
  const one = median(times.one);
  const three = median(times.three);
  process.stdout.write(`${JSON.stringify({ reps, oneWorkerMs: Math.round(one), threeWorkersMs: Math.round(three), threeOverOne: +(three / one).toFixed(3) })}\n`);
} finally {
  await server.stop();
}
