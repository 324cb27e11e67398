// `npm run bench:capacity -- [--reps=3] [--json]`: what one implement run and one 8-scope feature
// cost, on the Temporal server platform teams deploy (1.29.1 on PostgreSQL 15, SQL visibility, mTLS:
// test/helpers/production-temporal.ts) with the worker pair in this process, for docs/CAPACITY.md:
// - the worker: CPU-seconds (this process and the launcher's git/kubectl/helm, bench/harness.ts
//   cpuSeconds, the idle worker's included: too noisy to take off) and resident memory (VmRSS of
//   both, sampled every 250 ms) during the run; the idle worker's CPU rate apart;
// - the server: history events, payload bytes, history size and state transitions of the root
//   workflow and every child (bench/capacity-history.ts), the Temporal Cloud billable actions in those
//   histories, and the server's own `action` and `state_transition_count` metrics (bench/capacity-metrics.ts);
// - the server's and PostgreSQL's CPU-seconds (/proc of their process trees), idle rate off;
// - the database: statements, commits and rows written (pg_stat_statements), idle rate taken off; the
//   deleted rows apart, as the server deletes finished tasks in batches that land in a later run.
// The scripted model answers at once (4 turns a run), so the figures are Temporal's and ours, not a
// model's; one agent run takes 20 turns (what a turn costs) and one waits 5 s per model call (what
// waiting on a model costs: heartbeats).
import { readFileSync } from 'node:fs';
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { runningLauncherPid } from '../runtime/launcher';
import { FEATURE_WORKFLOW } from '../workflows/messages';
import type { FeatureReport } from '../core/feature';
import { runHistory, type RunHistory } from './capacity-history';
import { counterDelta, serverCounters, type ServerCounters } from './capacity-metrics';
import { FEATURE_SCOPES, KINDS, READING_TURNS, SLOW_MODEL_MS, capacityModel } from './capacity-model';
import { fanoutFeature } from './fanout';
import { cpuSeconds, log, median, processCpuSeconds, round, withResultOnStdout, writeResult } from './harness';
import { processTree } from './process-tree';
import { SETTLE_MS, idleRate, implementRun, minus, productionLab, settle, type Stats } from './persistence';

const NAMESPACE = 'default';

export interface RunCost {
  ms: number;
  worker: { cpuS: number; peakRssMb: number; startRssMb: number };
  /** CPU-s of the Temporal server process and of PostgreSQL (postmaster and backends), idle rate off. */
  serverCpu: { temporalS: number; postgresS: number };
  history: RunHistory;
  server: ServerCounters;
  database: Stats;
}

const rssMb = (pid: number | 'self') => {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
};
/** This process (client and worker pair) and the launcher that runs git, kubectl and helm. */
const workerRssMb = () => { const l = runningLauncherPid(); return rssMb('self') + (l ? rssMb(l) : 0); };

async function feature(client: Client, taskQueue: string, id: string): Promise<WorkflowHandleWithFirstExecutionRunId> {
  const input = await fanoutFeature(id, Array.from({ length: FEATURE_SCOPES }, (_, s) => `cap-${id}-s${s}`));
  const handle = await client.workflow.start(FEATURE_WORKFLOW, { taskQueue, workflowId: `capacity-${id}`, args: [input] });
  const report = await handle.result() as FeatureReport;
  if (report.status !== 'succeeded') throw new Error(`the ${FEATURE_SCOPES}-scope feature ${report.status}: ${report.summary}`);
  return handle;
}

/** Samples the worker's resident memory every 250 ms while on; its peak since the last `reset`. */
function rssSampler() {
  let peak = 0;
  const timer = setInterval(() => { peak = Math.max(peak, workerRssMb()); }, 250);
  return { reset: () => { peak = workerRssMb(); return peak; }, peak: () => peak, stop: () => clearInterval(timer) };
}

const treeCpuS = (root: number | undefined) => (root ? [...processTree(root)].reduce((n, pid) => n + processCpuSeconds(pid), 0) : 0);

export async function measureCapacity(reps: number) {
  const model = { ms: 0, reading: 0 };
  const { prod, client, taskQueue, workers, close } = await productionLab({ latencyMs: () => model.ms, readingTurns: () => model.reading });
  const counters = () => serverCounters(prod.metricsUrl, NAMESPACE);
  // Read between the bench's own queries (psql, a metrics scrape), which cost the server and PostgreSQL CPU too.
  const serverCpu = () => { const p = prod.pids(); return { temporalS: treeCpuS(p.server), postgresS: treeCpuS(p.postgres) }; };
  const rss = rssSampler();
  try {
    return await workers.runUntil(async () => {
      const idleMs = 20_000;
      // The idle worker (pollers, the RSS sampler) burns CPU too: a cost per worker, not per run.
      const idle = await idleRate(async () => ({ ...(await prod.databaseStats()), persistenceRequests: (await counters()).persistenceRequests, cpuS: cpuSeconds() }), idleMs);
      const idleCpu = await idleRate(async () => serverCpu(), idleMs / 2);
      log(`idle server and worker: ${JSON.stringify(idle.total)} in ${idleMs / 1000} s; server CPU ${JSON.stringify(idleCpu.total)} in ${idleMs / 2000} s`);
      const measure = async (run: () => Promise<WorkflowHandleWithFirstExecutionRunId>): Promise<RunCost> => {
        await settle();
        const [db0, m0] = [await prod.databaseStats(), await counters()];
        const startRssMb = rss.reset();
        const server0 = serverCpu();
        const cpu0 = cpuSeconds();
        const started = performance.now();
        const handle = await run();
        const ms = performance.now() - started;
        const cpuS = cpuSeconds() - cpu0;
        const peakRssMb = Math.max(rss.peak(), workerRssMb());
        await settle();
        const server1 = serverCpu();
        const db = minus(await prod.databaseStats(), db0);
        const server = counterDelta(await counters(), m0);
        // What the idle server would have done over the same window, run and settling, is not the run's.
        const off = (v: number, perMs: number) => Math.max(0, Math.round(v - perMs * (ms + SETTLE_MS)));
        server.persistenceRequests = off(server.persistenceRequests, idle.perMs.persistenceRequests);
        const database = { commits: off(db.commits, idle.perMs.commits), rowsWritten: off(db.rowsWritten, idle.perMs.rowsWritten), rowsDeleted: off(db.rowsDeleted, idle.perMs.rowsDeleted), statements: off(db.statements, idle.perMs.statements) };
        const cpuOff = (k: 'temporalS' | 'postgresS') => round(Math.max(0, server1[k] - server0[k] - idleCpu.perMs[k] * (ms + SETTLE_MS)), 2);
        const history = await runHistory(client, handle.workflowId, handle.firstExecutionRunId);
        return {
          ms: Math.round(ms), worker: { cpuS: round(cpuS, 2), peakRssMb: Math.round(peakRssMb), startRssMb: Math.round(startRssMb) },
          serverCpu: { temporalS: cpuOff('temporalS'), postgresS: cpuOff('postgresS') }, history, server, database,
        };
      };
      const kinds = {
        [KINDS.scaffold]: () => implementRun(client, taskQueue, 'scaffold'),
        [KINDS.agent]: () => implementRun(client, taskQueue, 'anthropic'),
        // A 20-turn conversation (what a turn costs) and one waiting 5 s per model call (what waiting costs).
        [KINDS.agentLong]: async () => {
          model.reading = READING_TURNS;
          try { return await implementRun(client, taskQueue, 'anthropic'); } finally { model.reading = 0; }
        },
        [KINDS.agentSlow]: async () => {
          model.ms = SLOW_MODEL_MS;
          try { return await implementRun(client, taskQueue, 'anthropic'); } finally { model.ms = 0; }
        },
        [KINDS.feature]: (i: number) => feature(client, taskQueue, `${i}-${Date.now()}`),
      } as Record<string, (i: number) => Promise<WorkflowHandleWithFirstExecutionRunId>>;
      const rows: Record<string, RunCost[]> = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
      // The server deletes finished history tasks in batches, minutes later, and such a batch lands in
      // whichever run is measured then: the measured rounds as a whole, idle rate off, carry them all.
      let whole = { db: await prod.databaseStats(), m: await counters(), t: performance.now() };
      for (let i = 0; i <= reps; i++) {
        if (i === 1) whole = { db: await prod.databaseStats(), m: await counters(), t: performance.now() };
        for (const [name, run] of Object.entries(kinds)) {
          const cost = await measure(() => run(i));
          // The first round warms the server's caches and the worker's bundle: left out.
          if (i > 0) rows[name]?.push(cost);
          log(`round ${i} ${name}: ${cost.ms} ms, ${cost.worker.cpuS} CPU-s (server ${cost.serverCpu.temporalS}, PostgreSQL ${cost.serverCpu.postgresS}), ${cost.history.workflows} workflows, ${cost.history.events} events, ${cost.history.stateTransitions} transitions, ${cost.history.billableTotal} billable / ${cost.server.actionsTotal} metered actions, ${cost.database.statements} statements, ${cost.database.rowsWritten} rows`);
        }
      }
      await settle();
      const wholeMs = performance.now() - whole.t;
      const wholeDb = minus(await prod.databaseStats(), whole.db);
      const perRound = (v: number, perMs: number) => Math.round((v - perMs * wholeMs) / reps);
      const rounds = {
        seconds: Math.round(wholeMs / 1000), statements: perRound(wholeDb.statements, idle.perMs.statements), commits: perRound(wholeDb.commits, idle.perMs.commits),
        rowsWritten: perRound(wholeDb.rowsWritten, idle.perMs.rowsWritten), rowsDeleted: perRound(wholeDb.rowsDeleted, idle.perMs.rowsDeleted), persistenceRequests: perRound((await counters()).persistenceRequests - whole.m.persistenceRequests, idle.perMs.persistenceRequests),
      };
      log(`per measured round (one of each run), idle rate off: ${JSON.stringify(rounds)}`);
      return { reps, idle: { ...idle.total, seconds: idleMs / 1000 }, idleServerCpu: { ...idleCpu.total, seconds: idleMs / 2000 }, perRound: rounds, runs: rows, medians: Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, medians(v)])) };
    });
  } finally {
    rss.stop();
    await close();
  }
}

/** The median of every numeric figure; the breakdowns (by event type, action type) of the median-length run. */
function medians(xs: RunCost[]) {
  const m = (f: (x: RunCost) => number) => median(xs.map(f));
  const typical = [...xs].sort((a, b) => a.history.events - b.history.events)[Math.floor(xs.length / 2)];
  return {
    ms: m((x) => x.ms), cpuS: m((x) => x.worker.cpuS), temporalCpuS: m((x) => x.serverCpu.temporalS), postgresCpuS: m((x) => x.serverCpu.postgresS), peakRssMb: m((x) => x.worker.peakRssMb), startRssMb: m((x) => x.worker.startRssMb),
    workflows: m((x) => x.history.workflows), events: m((x) => x.history.events), payloadBytes: m((x) => x.history.payloadBytes),
    historyBytes: m((x) => x.history.historyBytes), stateTransitions: m((x) => x.history.stateTransitions),
    mutableStateWrites: m((x) => x.server.mutableStateWrites), billableActions: m((x) => x.history.billableTotal), meteredActions: m((x) => x.server.actionsTotal),
    persistenceRequests: m((x) => x.server.persistenceRequests),
    statements: m((x) => x.database.statements), commits: m((x) => x.database.commits), rowsWritten: m((x) => x.database.rowsWritten), rowsDeleted: m((x) => x.database.rowsDeleted),
    rowsInsertedOrUpdated: m((x) => x.database.rowsWritten - x.database.rowsDeleted),
    activities: typical?.history.activities, billableByKind: typical?.history.billable, meteredByType: typical?.server.actions, eventsByType: typical?.history.eventsByType,
  };
}

async function main(): Promise<void> {
  const reps = Number(process.argv.find((a) => a.startsWith('--reps='))?.slice(7) ?? 3);
  if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps must be a whole number of at least 1 (the measured rounds after the warm-up), not '${reps}'`);
  const r = await measureCapacity(reps);
  if (process.argv.includes('--json')) writeResult(`${JSON.stringify(r, null, 1)}\n`);
  else {
    const cols = ['ms', 'cpuS', 'temporalCpuS', 'postgresCpuS', 'startRssMb', 'peakRssMb', 'workflows', 'events', 'payloadBytes', 'historyBytes', 'stateTransitions', 'mutableStateWrites', 'billableActions', 'meteredActions', 'persistenceRequests', 'statements', 'commits', 'rowsInsertedOrUpdated', 'rowsDeleted'] as const;
    process.stdout.write(`| run | ${cols.join(' | ')} |\n| --- |${cols.map(() => ' --- |').join('')}\n`);
    for (const [k, v] of Object.entries(r.medians)) process.stdout.write(`| ${k} | ${cols.map((c) => v[c]).join(' | ')} |\n`);
    for (const [k, v] of Object.entries(r.medians)) process.stdout.write(`${k}: activities ${JSON.stringify(v.activities)}; billable ${JSON.stringify(v.billableByKind)}; metered ${JSON.stringify(v.meteredByType)}; events ${JSON.stringify(v.eventsByType)}\n`);
    process.stdout.write(`per measured round (one run of each kind, settling included): ${JSON.stringify(r.perRound)}\n`);
    process.stdout.write(`idle server: ${JSON.stringify(r.idle)} (taken off each run by its length)\n`);
    process.stdout.write(`the model (bench/capacity-model.ts): ${JSON.stringify(capacityModel(r.medians, r), null, 1)}\n`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const json = process.argv.includes('--json');
  process.exit(json ? await withResultOnStdout(main) : (await main(), 0));
}
