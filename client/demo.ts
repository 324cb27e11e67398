// `npm start`: the newcomer's first run. An embedded Temporal dev server with its Web UI, a worker,
// and a feature with two scopes implemented in parallel by the scaffold implementer on a
// throw-away copy of examples/, merged and committed on a feature branch.
import { cpSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { renderFeatureReportMarkdown } from '../core/feature-report';
import type { FeatureReport } from '../core/feature';
import { loadConfig } from '../worker/config';
import { installRuntime } from '../worker/runtime';
import { startDevServer } from '../worker/temporal-server';
import { activityDeps, createWorkers } from '../worker/worker';
import { ImplementorClient } from './client';
import { featureInput } from './inputs';
import { waitWithProgress } from './wait';

const EXAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../examples');

async function throwAwayRepo(): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'infra-implementor-demo-'));
  cpSync(EXAMPLES, dir, { recursive: true });
  const git = (...args: string[]) => execa('git', args, { cwd: dir });
  await git('init', '-q', '-b', 'main');
  await git('add', '-A');
  await git('-c', 'user.name=demo', '-c', 'user.email=demo@example.com', 'commit', '-q', '-m', 'examples');
  return dir;
}

export async function runDemo(opts: { keep: boolean; uiPort: number }): Promise<number> {
  const config = loadConfig();
  installRuntime('WARN');
  const log = (s: string) => process.stderr.write(`${s}\n`);
  log('starting the Temporal dev server (SQLite, Web UI)…');
  const env = await startDevServer({ uiPort: opts.uiPort });
  const taskQueue = config.TEMPORAL_TASK_QUEUE;
  const workers = await createWorkers({ connection: env.nativeConnection, namespace: 'default', taskQueue, deps: activityDeps(config) });
  const client = new ImplementorClient(env.client, taskQueue);
  const ui = `http://localhost:${opts.uiPort}`;
  try {
    return await workers.runUntil((async () => {
      const repo = await throwAwayRepo();
      log(`copied examples/ to ${repo} (a git repository)`);
      const input = featureInput({ spec: path.join(repo, 'feature.example.yaml') });
      const id = await client.startFeature(input);
      log(`started ${id} with ${input.scopes.length} scopes — watch it at ${ui}/namespaces/default/workflows/${id}\n`);
      const report = await waitWithProgress<FeatureReport>(client, id, process.stderr, { rows: 'always' });
      process.stdout.write(`\n${renderFeatureReportMarkdown(report)}`);
      log(`\nWeb UI: ${ui}/namespaces/default/workflows/${id}`);
      log(`the result: ${repo}, branch ${report.branch ?? '(none)'} (git log ${report.branch ?? ''} -p shows the change; your checkout is untouched)`);
      if (opts.keep) {
        log('server and UI stay up; Ctrl-C to stop');
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
      }
      return report.status === 'succeeded' ? 0 : 1;
    })());
  } finally {
    await env.teardown();
  }
}
