// `npm start`: the newcomer's first run. An embedded Temporal dev server with its Web UI, a worker,
// and the scaffold implementer adding a service to a throw-away copy of examples/.
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { parse } from 'yaml';
import { renderReportMarkdown } from '../core/report';
import { ImplementorInput, ServiceSpec, type ImplementorReport } from '../core/schemas';
import type { ImplementorStatus } from '../workflows/messages';
import { loadConfig } from '../worker/config';
import { installRuntime } from '../worker/runtime';
import { startDevServer } from '../worker/temporal-server';
import { activityDeps, createWorker } from '../worker/worker';
import { ImplementorClient } from './client';

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
  const worker = await createWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, deps: activityDeps(config) });
  const client = new ImplementorClient(env.client, taskQueue);
  const ui = `http://localhost:${opts.uiPort}`;
  try {
    return await worker.runUntil(async () => {
      const repo = await throwAwayRepo();
      log(`copied examples/ to ${repo}`);
      const spec = ServiceSpec.parse(parse(readFileSync(path.join(repo, 'orders.spec.yaml'), 'utf8')));
      const input = ImplementorInput.parse({
        featureDescription: 'Add the orders service',
        scope: 'orders service',
        infraRoot: path.join(repo, 'infra'),
        reposRoot: repo,
        spec,
      });
      const id = await client.startImplementor(input);
      log(`started ${id} — watch it at ${ui}/namespaces/default/workflows/${id}`);
      let last = '';
      const poll = setInterval(() => {
        client.status<ImplementorStatus>(id).then((s) => {
          const line = `  ${s.scope}: ${s.phase}${s.attempt ? ` (attempt ${s.attempt})` : ''}`;
          if (line !== last) log((last = line));
        }, () => undefined);
      }, 300);
      const report = await client.result<ImplementorReport>(id).finally(() => clearInterval(poll));
      process.stdout.write(renderReportMarkdown(report));
      log(`\nWeb UI: ${ui}/namespaces/default/workflows/${id}`);
      log(`the changed repository: ${repo} (git diff shows the change)`);
      if (opts.keep) {
        log('server and UI stay up; Ctrl-C to stop');
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
      }
      return report.status === 'succeeded' ? 0 : 1;
    });
  } finally {
    await env.teardown();
  }
}
