// `npm run bench:persistence -- [--json]`: what a run costs the database behind a real Temporal
// server (1.29.1 on PostgreSQL 15, SQL visibility, mTLS: test/helpers/production-temporal.ts), read
// from PostgreSQL's own statistics (pg_stat_statements: statements, the transactions committed and
// the rows inserted, updated or deleted). The server writes in the background too (membership
// heartbeats, task queue leases), so an idle window is measured first and its rate taken off.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import type { Client } from '@temporalio/client';
import { featureInput } from '../client/inputs';
import { ImplementorClient } from '../client/client';
import { ImplementorInput, ServiceSpec } from '../core/schemas';
import { IMPLEMENTOR_WORKFLOW } from '../workflows/messages';
import { loadConfig } from '../worker/config';
import { workerImplementers } from '../worker/implementers';
import { installRuntime } from '../worker/runtime';
import { createWorkers } from '../worker/worker';
import { startProductionTemporal, type ProductionTemporal } from '../test/helpers/production-temporal';
import { EXAMPLES, gitCopy, specFile } from '../test/helpers/repo';
import { log, median } from './harness';
import { startFakeAnthropic } from '../test/helpers/fake-anthropic';
import { replyTo } from './llm';

export type Stats = Awaited<ReturnType<ProductionTemporal['databaseStats']>>;
export const minus = (a: Stats, b: Stats): Stats => ({ commits: a.commits - b.commits, rowsWritten: a.rowsWritten - b.rowsWritten, rowsDeleted: a.rowsDeleted - b.rowsDeleted, statements: a.statements - b.statements });

const spec = () => ServiceSpec.parse(parse(readFileSync(path.join(EXAMPLES, 'orders.spec.yaml'), 'utf8')));

/** The server's last writes of a run (a workflow's close, visibility) land just after its result. */
export const SETTLE_MS = 1000;
export const settle = () => new Promise((r) => setTimeout(r, SETTLE_MS));

async function measure(prod: ProductionTemporal, what: () => Promise<unknown>, idlePerMs: Stats): Promise<Stats & { ms: number }> {
  await settle();
  const before = await prod.databaseStats();
  const started = performance.now();
  await what();
  const ms = performance.now() - started;
  await settle();
  const d = minus(await prod.databaseStats(), before);
  // What the idle server would have written over the same window, run and settling, is not the run's.
  const off = (k: keyof Stats) => Math.max(0, Math.round(d[k] - idlePerMs[k] * (ms + SETTLE_MS)));
  return { commits: off('commits'), rowsWritten: off('rowsWritten'), rowsDeleted: off('rowsDeleted'), statements: off('statements'), ms: Math.round(ms) };
}

/** How the lab's model answers: after `latencyMs()`, with `readingTurns()` turns of reading first (bench/llm.ts). */
export interface LabModel { latencyMs(): number; readingTurns(): number }

/** The production server, a scripted model (instant by default), and a worker pair on a task queue of their own. */
export async function productionLab(model: LabModel = { latencyMs: () => 0, readingTurns: () => 0 }) {
  installRuntime('WARN');
  const prod = await startProductionTemporal();
  const llm = await startFakeAnthropic({ record: false, respond: (body) => ({ ...replyTo(body, model.readingTurns()), delayMs: model.latencyMs() }) });
  const client: Client = await prod.client();
  const taskQueue = `persistence-${randomUUID()}`;
  const workers = await createWorkers({
    connection: await prod.nativeConnection(), namespace: 'default', taskQueue,
    deps: { stateDir: mkdtempSync(path.join(os.tmpdir(), 'ii-persistence-')), ...workerImplementers(loadConfig({ ANTHROPIC_API_KEY: 'sk-ant-bench', ANTHROPIC_BASE_URL: llm.url })) },
    workerOptions: { shutdownGraceTime: '1s' },
  });
  const close = async () => { await llm.close(); await prod.stop(); };
  return { prod, client, taskQueue, workers, close };
}

/** What the idle server writes per ms (membership heartbeats, queue leases), over `idleMs`. */
export async function idleRate<T extends Record<string, number>>(read: () => Promise<T>, idleMs: number): Promise<{ total: T; perMs: T }> {
  await settle();
  const before = await read();
  await new Promise((r) => setTimeout(r, idleMs));
  const after = await read();
  const total = Object.fromEntries(Object.keys(after).map((k) => [k, (after[k] ?? 0) - (before[k] ?? 0)])) as T;
  return { total, perMs: Object.fromEntries(Object.entries(total).map(([k, v]) => [k, v / idleMs])) as T };
}

/** One `implement` run adding the orders service to a fresh copy of examples/. */
export async function implementRun(client: Client, taskQueue: string, implementer: 'scaffold' | 'anthropic') {
  const repo = await gitCopy(EXAMPLES);
  const input = ImplementorInput.parse({ featureDescription: 'Add orders', scope: 'orders service', infraRoot: path.join(repo, 'infra'), spec: spec(), implementer });
  const handle = await client.workflow.start(IMPLEMENTOR_WORKFLOW, { taskQueue, workflowId: `persistence-${randomUUID()}`, args: [input] });
  await handle.result();
  return handle;
}

export async function measurePersistence(reps: number) {
  const { prod, client, taskQueue, workers, close } = await productionLab();
  try {
    return await workers.runUntil(async () => {
      const idleMs = 20_000;
      const { total: idle, perMs: idlePerMs } = await idleRate(() => prod.databaseStats(), idleMs);
      log(`idle server: ${idle.commits} commits, ${idle.rowsWritten} rows, ${idle.statements} statements in ${idleMs / 1000} s`);
      const implement = (implementer: 'scaffold' | 'anthropic') => implementRun(client, taskQueue, implementer);
      const feature = async () => {
        const repo = await gitCopy(EXAMPLES);
        const scopes = ['orders', 'payments'].map((s, i) => ({ scope: `${s} service`, spec: { service: s, image: `ghcr.io/acme/${s}:1.0.0`, port: 8080 + i } }));
        const input = featureInput({ spec: specFile({ feature: 'Add orders and payments', infraRoot: path.join(repo, 'infra'), scopes }) });
        await new ImplementorClient(client, taskQueue).result(await new ImplementorClient(client, taskQueue).startFeature(input));
      };
      const rows: Record<string, (Stats & { ms: number })[]> = { 'implement (scaffold)': [], 'implement (agent, 4 turns)': [], 'feature (2 scopes, scaffold)': [] };
      for (let i = 0; i <= reps; i++) {
        const round = [
          ['implement (scaffold)', await measure(prod, () => implement('scaffold'), idlePerMs)],
          ['implement (agent, 4 turns)', await measure(prod, () => implement('anthropic'), idlePerMs)],
          ['feature (2 scopes, scaffold)', await measure(prod, feature, idlePerMs)],
        ] as const;
        // The first round warms the server's caches and the worker's bundle: left out.
        if (i > 0) for (const [name, s] of round) rows[name]?.push(s);
        log(`round ${i}: ${round.map(([n, s]) => `${n} ${s.commits} commits / ${s.rowsWritten} rows / ${s.statements} statements in ${s.ms} ms`).join('; ')}`);
      }
      const med = (xs: (Stats & { ms: number })[]) => ({ commits: median(xs.map((x) => x.commits)), rowsDeleted: median(xs.map((x) => x.rowsDeleted)), rowsWritten: median(xs.map((x) => x.rowsWritten)), statements: median(xs.map((x) => x.statements)), ms: median(xs.map((x) => x.ms)) });
      return { reps, idle: { ...idle, seconds: idleMs / 1000 }, medians: Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, med(v)])) };
    });
  } finally {
    await close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await measurePersistence(Number(process.argv.find((a) => a.startsWith('--reps='))?.slice(7) ?? 3));
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(r, null, 1)}\n`);
  else {
    process.stdout.write(`| run | commits | rows written | statements | wall ms |\n| --- | --- | --- | --- | --- |\n${Object.entries(r.medians).map(([k, m]) => `| ${k} | ${m.commits} | ${m.rowsWritten} | ${m.statements} | ${m.ms} |`).join('\n')}\n`);
    process.stdout.write(`idle server: ${r.idle.commits} commits, ${r.idle.rowsWritten} rows, ${r.idle.statements} statements in ${r.idle.seconds} s (taken off each run by its length)\n`);
  }
  process.exit(0);
}
