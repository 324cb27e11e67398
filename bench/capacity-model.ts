// docs/CAPACITY.md's model, as arithmetic anyone can rerun on a bench:capacity result:
// `node --import tsx bench/capacity-model.ts result.json` (or it prints after `npm run bench:capacity`).
// Measured inputs come from the result; every other input is in ASSUMPTIONS with where it comes from.
import { readFileSync } from 'node:fs';

/** The feature's scopes; the long agent run's reading turns before the scripted 4; the slow run's model call. */
export const FEATURE_SCOPES = 8;
export const READING_TURNS = 16;
export const SLOW_MODEL_MS = 5_000;
const SCRIPTED_TURNS = 4;
const SLOW_WAIT_S = (SCRIPTED_TURNS * SLOW_MODEL_MS) / 1000;

/** The runs bench/capacity.ts measures, by the names its result uses. */
export const KINDS = {
  scaffold: 'implement (scaffold)',
  agent: `implement (agent, ${SCRIPTED_TURNS} turns)`,
  agentLong: `implement (agent, ${SCRIPTED_TURNS + READING_TURNS} turns)`,
  agentSlow: `implement (agent, ${SCRIPTED_TURNS} turns of ${SLOW_MODEL_MS / 1000} s)`,
  feature: `feature (${FEATURE_SCOPES} scopes, agent)`,
} as const;

export interface Figures {
  ms: number; cpuS: number; temporalCpuS: number; postgresCpuS: number; events: number; payloadBytes: number; historyBytes: number; stateTransitions: number;
  billableActions: number; meteredActions: number; statements: number; commits: number; rowsInsertedOrUpdated: number;
  meteredByType?: Record<string, number>;
}
/** The measured rounds as a whole (where the server's batched deletes show) and the idle window of a bench:capacity result. */
export interface Whole { perRound: { rowsWritten: number; rowsDeleted: number }; idle: { cpuS: number; seconds: number } }

export const ASSUMPTIONS = {
  featuresPerHour: 1000,
  scopes: FEATURE_SCOPES,
  /** A real model's conversation: 20 turns of 10 s of model time each (ours, not measured here). */
  turns: 20,
  modelSecondsPerTurn: 10,
  /** Peak over average: Temporal's production checklist sees sustained spikes of 5–10× as common. */
  peakFactor: 5,
  /** Runs one worker holds: 100 (docs/CAPACITY.md "One worker": 346 MB RSS at 100 runs, `npm run bench` run N). */
  runsPerWorker: 100,
  /** One mutable-state write on a networked PostgreSQL with synchronous commit (ours, not measured: ours runs fsync=off on loopback). */
  shardWriteMs: 5,
  /** Temporal Cloud list price per million actions, by monthly volume (https://docs.temporal.io/cloud/pricing). */
  priceTiers: [[5e6, 50], [5e6, 45], [10e6, 40], [30e6, 35], [50e6, 30], [100e6, 25]] as [number, number][],
  hoursPerMonth: 730,
};

const ceil = Math.ceil;
const r0 = (x: number) => Math.round(x);

/** Monthly Action bill at list price; volume past the last tier (200M) is priced at the last tier's rate. */
export function actionBill(actionsPerMonth: number, tiers = ASSUMPTIONS.priceTiers): number {
  let left = actionsPerMonth;
  let usd = 0;
  for (const [size, price] of tiers) { const n = Math.min(left, size); usd += (n / 1e6) * price; left -= n; }
  return usd + (left / 1e6) * (tiers.at(-1)?.[1] ?? 0);
}

export function capacityModel(m: Record<string, Figures>, whole: Whole, a = ASSUMPTIONS) {
  const get = (k: string): Figures => { const f = m[k]; if (!f) throw new Error(`the bench result has no '${k}' row`); return f; };
  const [agent, long, slow, feature] = [get(KINDS.agent), get(KINDS.agentLong), get(KINDS.agentSlow), get(KINDS.feature)];
  const hb = (f: Figures) => f.meteredByType?.RecordActivityTaskHeartbeat ?? 0;
  // Per extra turn (the 20-turn run over the 4-turn one) and per second of waiting on a model (the slow run over the fast one).
  const perTurn = (k: keyof Figures) => ((long[k] as number) - (agent[k] as number)) / READING_TURNS;
  const measuredPerWaitS = (k: keyof Figures) => ((slow[k] as number) - (agent[k] as number)) / SLOW_WAIT_S;
  // The slow run's own database and server counts carry the server's periodic work (task queue
  // acknowledgements: a cost per shard and per second, not per run) in varying measure: waiting is
  // priced instead by the mutable-state writes it causes (heartbeats, steady run to run) at the 4-turn
  // run's cost per write, which overstates a heartbeat a little (it appends no history events).
  const byWrite = new Set<keyof Figures>(['statements', 'commits', 'rowsInsertedOrUpdated', 'temporalCpuS', 'postgresCpuS']);
  const perWaitS = (k: keyof Figures) => (byWrite.has(k) ? measuredPerWaitS('stateTransitions') * (agent[k] as number) / agent.stateTransitions : measuredPerWaitS(k));
  const heartbeatsPerWaitS = (hb(slow) - hb(agent)) / SLOW_WAIT_S;
  const extraTurns = a.scopes * (a.turns - SCRIPTED_TURNS);
  const waitS = a.scopes * a.turns * a.modelSecondsPerTurn;
  const scale = (k: keyof Figures) => (feature[k] as number) + extraTurns * perTurn(k) + waitS * perWaitS(k);
  // Rows a run inserts or updates show at once; the rows the server deletes (finished tasks) land in
  // batches minutes later, in whichever run is measured then: they are added in the ratio of the rounds as a whole.
  const { perRound, idle } = whole;
  const prompt = scale('rowsInsertedOrUpdated');
  const deletedPerPrompt = perRound.rowsDeleted / Math.max(1, perRound.rowsWritten - perRound.rowsDeleted);
  // Waiting on a model costs a worker no CPU we could tell from its idle rate (pollers: a cost per worker, added below).
  const cpuS = feature.cpuS + extraTurns * perTurn('cpuS');
  const idleCores = idle.cpuS / idle.seconds;
  const perFeature = {
    cpuS, temporalCpuS: scale('temporalCpuS'), postgresCpuS: scale('postgresCpuS'), events: scale('events'), stateTransitions: scale('stateTransitions'), historyBytes: scale('historyBytes'),
    statements: scale('statements'), commits: scale('commits'), rowsInsertedOrUpdated: prompt, rowsDeletedLater: prompt * deletedPerPrompt,
    billableInHistory: feature.billableActions + extraTurns * perTurn('billableActions'),
    heartbeats: hb(feature) + extraTurns * (hb(long) - hb(agent)) / READING_TURNS + waitS * heartbeatsPerWaitS,
  };
  // Every run's metered actions were its history's plus its heartbeats (bench:capacity checks it), so they are added up so.
  const meteredActions = perFeature.billableInHistory + perFeature.heartbeats;
  // A feature's wall time: its scopes run at once, so one scope's model time plus what the bench measured around it.
  const wallS = a.turns * a.modelSecondsPerTurn + feature.ms / 1000 + (long.ms - agent.ms) / 1000;
  const perS = a.featuresPerHour / 3600;
  const inFlightRuns = perS * wallS * a.scopes;
  const hour = (x: number) => x * a.featuresPerHour;
  const actionsPerMonth = hour(meteredActions) * a.hoursPerMonth;
  const shardBusy = perS * perFeature.stateTransitions * a.peakFactor * a.shardWriteMs / 1000;
  return {
    derived: { perTurn: { temporalCpuS: perTurn('temporalCpuS'), postgresCpuS: perTurn('postgresCpuS'), events: perTurn('events'), stateTransitions: perTurn('stateTransitions'), billable: perTurn('billableActions'), statements: perTurn('statements'), cpuS: perTurn('cpuS') },
      perWaitSecond: { measured: Object.fromEntries([...byWrite].map((k) => [k, measuredPerWaitS(k)])), temporalCpuS: perWaitS('temporalCpuS'), postgresCpuS: perWaitS('postgresCpuS'), heartbeats: heartbeatsPerWaitS, stateTransitions: perWaitS('stateTransitions'), statements: perWaitS('statements'), commits: perWaitS('commits'), rows: perWaitS('rowsInsertedOrUpdated'), cpuS: perWaitS('cpuS') },
      idleWorkerCores: idleCores },
    perFeature: { ...perFeature, meteredActions }, wallS,
    selfHosted: {
      inFlightRuns: r0(inFlightRuns), workersAverage: ceil(inFlightRuns / a.runsPerWorker), workersPeak: ceil(inFlightRuns * a.peakFactor / a.runsPerWorker),
      workerCores: perS * cpuS + idleCores * ceil(inFlightRuns / a.runsPerWorker),
      workerCoresPeak: perS * cpuS * a.peakFactor + idleCores * ceil(inFlightRuns * a.peakFactor / a.runsPerWorker),
      /** The Temporal server (all four services in one process here) and PostgreSQL, from their CPU here. */
      temporalCores: perS * perFeature.temporalCpuS, temporalCoresPeak: perS * perFeature.temporalCpuS * a.peakFactor,
      postgresCores: perS * perFeature.postgresCpuS, postgresCoresPeak: perS * perFeature.postgresCpuS * a.peakFactor,
      stateTransitionsPerS: perS * perFeature.stateTransitions, statementsPerS: perS * perFeature.statements,
      commitsPerS: perS * perFeature.commits, commitsPerSPeak: perS * perFeature.commits * a.peakFactor,
      rowsPerS: perS * (perFeature.rowsInsertedOrUpdated + perFeature.rowsDeletedLater),
      /** Shards kept busy at peak if each writes serially at shardWriteMs (a shard's writes do not overlap). */
      shardsBusyAtPeak: shardBusy,
      historyGbPerDay: hour(perFeature.historyBytes) * 24 / 1e9,
    },
    cloud: {
      actionsPerHour: hour(meteredActions), actionsPerSecond: perS * meteredActions, actionsPerSecondPeak: perS * meteredActions * a.peakFactor,
      heartbeatShare: perFeature.heartbeats / meteredActions,
      actionsPerMonth, usdPerMonth: actionBill(actionsPerMonth), usdPerFeature: actionBill(actionsPerMonth) / (hour(1) * a.hoursPerMonth),
      withoutHeartbeats: { actionsPerMonth: actionsPerMonth * (1 - perFeature.heartbeats / meteredActions), usdPerMonth: actionBill(actionsPerMonth * (1 - perFeature.heartbeats / meteredActions)) },
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: node --import tsx bench/capacity-model.ts <bench:capacity --json result>');
  const result = JSON.parse(readFileSync(file, 'utf8')) as Partial<Whole> & { medians?: Record<string, Figures> };
  if (!result.medians || !result.perRound || !result.idle) throw new Error(`${file} is not a bench:capacity --json result (no medians, perRound or idle)`);
  process.stdout.write(`${JSON.stringify(capacityModel(result.medians, { perRound: result.perRound, idle: result.idle }), null, 1)}\n`);
}
