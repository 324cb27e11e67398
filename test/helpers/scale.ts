// What the scale-out test and bench share: a bare repository on this machine as the remote, worker
// processes with state dirs of their own, and six `implement` runs plus two two-scope features from
// that remote started at once.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ImplementorClient } from '../../client/client';
import type { FeatureInput, FeatureReport } from '../../core/feature';
import { ImplementorInput, ImplementorOptions, type ImplementorReport } from '../../core/schemas';
import { EXAMPLES, git, gitCopy } from './repo';
import type { TestServer } from './temporal';
import { startWorkerProcess, type WorkerProcess } from './worker-process';

export const SERVICES = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
export const FEATURES = [['golf', 'hotel'], ['india', 'juliet']];
const spec = (service: string, i: number) => ({ service, image: `ghcr.io/acme/${service}:1.0.${i}`, port: 8000 + i });

export interface Remote { dir: string; url: string; main: string }

/** examples/ on main, as a bare repository. */
export async function bareRemote(): Promise<Remote> {
  const work = await gitCopy(EXAMPLES);
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'ii-remote-')), 'infra.git');
  await git(path.dirname(dir), 'clone', '-q', '--bare', work, dir);
  return { dir, url: `file://${dir}`, main: await git(dir, 'rev-parse', 'refs/heads/main') };
}

/** `n` workers on one queue, each with its own state dir; `holdAt` makes the first stop dead there. */
export function spawnWorkers(server: TestServer, bundle: string, taskQueue: string, n: number, holdAt?: string): Promise<WorkerProcess[]> {
  const address = server.env.connection.options.address as string;
  return Promise.all(Array.from({ length: n }, (_, i) => startWorkerProcess({
    address, taskQueue, bundle, stateDir: mkdtempSync(path.join(os.tmpdir(), `ii-worker${i}-`)), ...(i === 0 && holdAt ? { holdAt } : {}),
  })));
}

export interface Outcome {
  implement: ImplementorReport[];
  features: FeatureReport[];
  ids: { implement: string[]; features: string[] };
  ms: number;
}

/** All eight runs at once from `remote`; `suffix` keeps their branches apart from other rounds'. */
export async function runAll(server: TestServer, taskQueue: string, remote: Remote, suffix: string, during?: () => Promise<void>): Promise<Outcome> {
  const client = new ImplementorClient(server.env.client, taskQueue);
  const options = ImplementorOptions.parse({});
  const started = performance.now();
  const implementIds = await Promise.all(SERVICES.map((s, i) => client.startImplementor(ImplementorInput.parse({
    featureDescription: `Add ${s}`, scope: `${s} service`, spec: spec(s, i), options,
    repo: { url: remote.url, subdir: 'infra', branch: `infra/${s}-${suffix}` },
  }), `scale-${s}-${suffix}-${randomUUID().slice(0, 6)}`)));
  const featureIds = await Promise.all(FEATURES.map((services, f) => client.startFeature({
    feature: `Feature ${f}`, branch: `infra/feature-${f}-${suffix}`, options,
    repo: { url: remote.url, subdir: 'infra', push: true, keepWorkspace: false },
    scopes: services.map((s, i) => ({ scope: `${s} service`, slug: s, files: [], implementer: 'scaffold', spec: spec(s, 10 + 2 * f + i) })),
  } satisfies FeatureInput, `scale-feature-${f}-${suffix}-${randomUUID().slice(0, 6)}`)));
  await during?.();
  const implement = await Promise.all(implementIds.map((id) => client.result<ImplementorReport>(id)));
  const features = await Promise.all(featureIds.map((id) => client.result<FeatureReport>(id)));
  return { implement, features, ids: { implement: implementIds, features: featureIds }, ms: performance.now() - started };
}
