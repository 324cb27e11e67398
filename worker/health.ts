// Liveness and readiness over HTTP for container probes (Docker HEALTHCHECK, Kubernetes): the
// worker is alive until it fails or stops, and ready while it polls. Beside them, how long the
// event loop stalls: a stall near the heartbeat timeout (workflows/liveness.ts) would have a live
// worker's activities retried elsewhere.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { State, Worker } from '@temporalio/worker';
import { z } from 'zod';

/** The variable that turns the endpoint on; unset means no health server. */
export const HEALTH_PORT_VARIABLE = 'INFRA_IMPLEMENTOR_HEALTH_PORT';

const Port = z.coerce.number().int().min(1).max(65535);

const ALIVE: ReadonlySet<State> = new Set(['INITIALIZED', 'RUNNING', 'DRAINING', 'DRAINED', 'STOPPING']);

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

/** The health port from the environment, validated; undefined when the variable is unset or empty. */
export function healthPortFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env[HEALTH_PORT_VARIABLE];
  if (raw === undefined || raw === '') return undefined;
  const parsed = Port.safeParse(raw);
  if (!parsed.success) throw new Error(`${HEALTH_PORT_VARIABLE}: must be a port number from 1 to 65535, got "${raw}"`);
  return parsed.data;
}

/**
 * `GET /healthz`: 200 while the worker has not failed or stopped (liveness); `GET /readyz`: 200
 * while it runs (readiness). Both answer `{ "state": … }`. `GET /debug/event-loop`: the event loop's
 * delay since the start or the last `?reset` (`{ maxMs, p99Ms, meanMs }`). Anything else is 404.
 */
export function startHealthServer(worker: Pick<Worker, 'getState'>, opts: { port: number; host?: string }): Promise<HealthServer> {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const server = http.createServer((req, res) => {
    const state = worker.getState();
    const [url, query] = req.url?.split('?') ?? [];
    if (url === '/debug/event-loop') {
      const ms = (ns: number) => Math.round(ns / 1e4) / 100;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ maxMs: ms(delay.max), p99Ms: ms(delay.percentile(99)), meanMs: ms(delay.mean) }));
      if (query === 'reset') delay.reset();
      return;
    }
    const ok = url === '/healthz' ? ALIVE.has(state) : url === '/readyz' ? state === 'RUNNING' : undefined;
    res.writeHead(ok === undefined ? 404 : ok ? 200 : 503, { 'content-type': 'application/json' });
    res.end(JSON.stringify(ok === undefined ? { error: 'not found' } : { state }));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((done) => { delay.disable(); server.close(() => done()); }),
      });
    });
  });
}
