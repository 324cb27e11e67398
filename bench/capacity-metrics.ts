// The Temporal server's own counters, read from its Prometheus endpoint before and after a run:
// - `action` (a counter by action_type): what the server meters as actions, the figure Temporal's
//   migration guide reads to estimate Cloud actions (https://docs.temporal.io/cloud/migrate/estimate-actions);
//   it includes what histories do not show (activity heartbeats, queries);
// - `state_transition_count` (a histogram the history service records at every write of a workflow's
//   mutable state, valued at the workflow's running total): its count is the number of those writes;
// - `persistence_requests`: the server's calls into its persistence layer (before SQL), of every
//   namespace but the server's own (task queue and shard writes carry none), idle rate taken off by the caller.
// Actions and state transitions count the run's namespace only: the system namespace works in the background.

export interface ServerCounters {
  actions: Record<string, number>;
  actionsTotal: number;
  /** Writes of a workflow's mutable state (state_transition_count's sample count). */
  mutableStateWrites: number;
  persistenceRequests: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;

function parse(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const out: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m || line.startsWith('#')) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) if (k) labels[k] = v ?? '';
    out.push({ name: m[1] ?? '', labels, value: Number(m[3]) });
  }
  return out;
}

export async function serverCounters(metricsUrl: string, namespace: string): Promise<ServerCounters> {
  const res = await fetch(metricsUrl);
  if (!res.ok) throw new Error(`the Temporal server's metrics endpoint ${metricsUrl} answered ${res.status}`);
  const out: ServerCounters = { actions: {}, actionsTotal: 0, mutableStateWrites: 0, persistenceRequests: 0 };
  for (const s of parse(await res.text())) {
    if (s.name === 'persistence_requests' && s.labels.namespace !== 'temporal_system') out.persistenceRequests += s.value;
    if (s.labels.namespace !== namespace) continue;
    if (s.name === 'action') {
      const type = (s.labels.action_type ?? '?').replace(/^grpc_/, '');
      out.actions[type] = (out.actions[type] ?? 0) + s.value;
      out.actionsTotal += s.value;
    } else if (s.name === 'state_transition_count_count') out.mutableStateWrites += s.value;
  }
  return out;
}

export function counterDelta(after: ServerCounters, before: ServerCounters): ServerCounters {
  const actions: Record<string, number> = {};
  for (const [k, v] of Object.entries(after.actions)) if (v - (before.actions[k] ?? 0)) actions[k] = v - (before.actions[k] ?? 0);
  return {
    actions, actionsTotal: after.actionsTotal - before.actionsTotal,
    mutableStateWrites: after.mutableStateWrites - before.mutableStateWrites,
    persistenceRequests: after.persistenceRequests - before.persistenceRequests,
  };
}
