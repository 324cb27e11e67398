// The Temporal that platform teams deploy, on loopback: the Temporal server (built by
// scripts/setup.sh from the Go module proxy) on PostgreSQL 15 with SQL visibility, its frontend
// behind mTLS with certificates made here, the schema set up with temporal-sql-tool, and the
// namespace and our search attributes registered with the Temporal CLI. Everything a test reaches
// goes through the standard TEMPORAL_* variables (`env`), as users configure it.
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { stringify } from 'yaml';
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection } from '@temporalio/worker';
import { locateTemporalCli } from '../../worker/temporal-server';

export const TEMPORAL_SERVER_VERSION = '1.29.1';
const PG_BIN = '/usr/lib/postgresql/15/bin';

/** Where scripts/setup.sh puts the server, the sql tool and the schema. */
export function serverCache(env: NodeJS.ProcessEnv = process.env): string {
  return env.INFRA_IMPLEMENTOR_TEMPORAL_SERVER_DIR ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'infra-implementor', `temporal-server-${TEMPORAL_SERVER_VERSION}`);
}

export interface ProductionTemporal {
  address: string;
  /** TEMPORAL_ADDRESS and the TEMPORAL_TLS_* variables: what a worker or the CLI is given. */
  env: Record<string, string>;
  /** The certificates made for the run: a CA, the server's (localhost, 127.0.0.1) and a client's. */
  tls: Awaited<ReturnType<typeof certificates>>;
  client(): Promise<Client>;
  nativeConnection(): Promise<NativeConnection>;
  /** The pids of the Temporal server process and of PostgreSQL's postmaster (for /proc readings). */
  pids(): { server?: number; postgres?: number };
  /** SIGKILL the server process (PostgreSQL keeps running). */
  killServer(): Promise<void>;
  startServer(): Promise<void>;
  /** The server's Prometheus endpoint (every service's metrics: `action`, `state_transition_count`, …). */
  metricsUrl: string;
  /** Statements run, transactions committed and rows written (inserted, updated or deleted; the deleted also apart) in Temporal's two databases (pg_stat_statements). */
  databaseStats(): Promise<{ commits: number; rowsWritten: number; rowsDeleted: number; statements: number }>;
  stop(): Promise<void>;
}

/** A free port below 32768: the membership table stores ports as smallint. */
async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.createServer().once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
}

const asRoot = process.getuid?.() === 0;
/** PostgreSQL refuses to run as root: as root, its commands run as the `postgres` user. */
const pg = (tool: string, args: string[]) => (asRoot ? execa('runuser', ['-u', 'postgres', '--', path.join(PG_BIN, tool), ...args]) : execa(path.join(PG_BIN, tool), args));

async function certificates(dir: string): Promise<Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', string>> {
  const f = (n: string) => path.join(dir, n);
  const key = (name: string) => ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f(`${name}.key`)];
  await execa('openssl', ['req', '-x509', ...key('ca'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=infra-implementor test CA']);
  for (const [name, ext] of [['server', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n'], ['client', 'extendedKeyUsage=clientAuth\n']] as const) {
    await execa('openssl', ['req', ...key(name), '-out', f(`${name}.csr`), '-subj', `/CN=${name === 'server' ? 'localhost' : 'infra-implementor worker'}`]);
    writeFileSync(f(`${name}.ext`), ext);
    await execa('openssl', ['x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${name}.pem`), '-days', '2', '-extfile', f(`${name}.ext`)]);
  }
  return { ca: f('ca.pem'), serverCert: f('server.pem'), serverKey: f('server.key'), clientCert: f('client.pem'), clientKey: f('client.key') };
}

/** The server's configuration: PostgreSQL for both stores, mTLS on the frontend, every port ours. */
function config(o: { pgPort: number; ports: Record<'frontend' | 'http' | 'history' | 'matching' | 'worker' | 'metrics', number>; members: Record<'frontend' | 'history' | 'matching' | 'worker', number>; tls: Awaited<ReturnType<typeof certificates>>; dynamic: string }) {
  const store = (db: string, conns: number) => ({ sql: { pluginName: 'postgres12', databaseName: db, connectAddr: `127.0.0.1:${o.pgPort}`, connectProtocol: 'tcp', user: 'temporal', password: '', maxConns: conns, maxIdleConns: conns, maxConnLifetime: '1h' } });
  const client = { serverName: 'localhost', rootCaFiles: [o.tls.ca] };
  const rpc = (s: keyof typeof o.members) => ({ rpc: { grpcPort: o.ports[s], membershipPort: o.members[s], bindOnLocalHost: true, ...(s === 'frontend' ? { httpPort: o.ports.http } : {}) } });
  return stringify({
    log: { stdout: true, level: 'warn' },
    persistence: { defaultStore: 'default', visibilityStore: 'visibility', numHistoryShards: 4, datastores: { default: store('temporal', 20), visibility: store('temporal_visibility', 10) } },
    global: {
      membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' },
      // Histograms rather than summaries, as production scrapes them (bench/capacity.ts reads them).
      metrics: { prometheus: { listenAddress: `127.0.0.1:${o.ports.metrics}`, timerType: 'histogram' } },
      tls: {
        frontend: { server: { certFile: o.tls.serverCert, keyFile: o.tls.serverKey, requireClientAuth: true, clientCaFiles: [o.tls.ca] }, client },
        // The server's own system worker reaches the frontend through mTLS too.
        systemWorker: { certFile: o.tls.clientCert, keyFile: o.tls.clientKey, client },
      },
    },
    services: { frontend: rpc('frontend'), history: rpc('history'), matching: rpc('matching'), worker: rpc('worker') },
    clusterMetadata: {
      enableGlobalNamespace: false, failoverVersionIncrement: 10, masterClusterName: 'active', currentClusterName: 'active',
      clusterInformation: { active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: `localhost:${o.ports.frontend}` } },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: o.dynamic, pollInterval: '10s' },
  });
}

/** PostgreSQL 15 on loopback, a cluster of its own, trusting local connections of user `temporal`. */
export async function startPostgres(dir: string): Promise<{ port: number; pid(): number | undefined; stop(): Promise<void> }> {
  if (!existsSync(path.join(PG_BIN, 'postgres'))) throw new Error(`no PostgreSQL 15 in ${PG_BIN}: run scripts/setup.sh`);
  const pgDir = path.join(dir, 'pg');
  chmodSync(dir, 0o755); // the postgres user walks into it
  mkdirSync(pgDir);
  if (asRoot) chownSync(pgDir, Number((await execa('id', ['-u', 'postgres'])).stdout), Number((await execa('id', ['-g', 'postgres'])).stdout));
  const port = await freePort();
  await pg('initdb', ['-D', path.join(pgDir, 'data'), '-U', 'temporal', '--auth=trust', '--no-sync']);
  await pg('pg_ctl', ['-D', path.join(pgDir, 'data'), '-l', path.join(pgDir, 'log'), '-w', 'start',
    '-o', `-p ${port} -k ${pgDir} -c listen_addresses=127.0.0.1 -c shared_preload_libraries=pg_stat_statements -c fsync=off`]);
  // postmaster.pid's first line is the server's pid: its backends are its children.
  const pid = () => { try { return Number(readFileSync(path.join(pgDir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]) || undefined; } catch { return undefined; } };
  return { port, pid, stop: async () => { await pg('pg_ctl', ['-D', path.join(pgDir, 'data'), '-m', 'immediate', 'stop']).catch(() => undefined); } };
}

/** The server's tools from the cache scripts/setup.sh fills. */
export function serverTools(): { server: string; sqlTool: string; schema: string } {
  const cache = serverCache();
  const tools = { server: path.join(cache, 'bin', 'temporal-server'), sqlTool: path.join(cache, 'bin', 'temporal-sql-tool'), schema: path.join(cache, 'schema') };
  if (!existsSync(tools.server) || !existsSync(tools.sqlTool)) throw new Error(`no Temporal server ${TEMPORAL_SERVER_VERSION} in ${cache}: run scripts/setup.sh`);
  return tools;
}

export async function startProductionTemporal(): Promise<ProductionTemporal> {
  const { server, sqlTool, schema: schemaDir } = serverTools();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ii-production-'));
  const postgres = await startPostgres(dir);
  const pgPort = postgres.port;
  const sql = (db: string, ...args: string[]) => execa(sqlTool, ['--plugin', 'postgres12', '--ep', '127.0.0.1', '-p', String(pgPort), '-u', 'temporal', '--db', db, ...args]);
  for (const [db, schema] of [['temporal', 'temporal'], ['temporal_visibility', 'visibility']] as const) {
    await sql(db, 'create-database');
    await sql(db, 'setup-schema', '-v', '0.0');
    await sql(db, 'update-schema', '-d', path.join(schemaDir, 'postgresql', 'v12', schema, 'versioned'));
  }
  const psql = (db: string, q: string) => execa(path.join(PG_BIN, 'psql'), ['-h', '127.0.0.1', '-p', String(pgPort), '-U', 'temporal', '-d', db, '-Atc', q]);
  for (const db of ['temporal', 'temporal_visibility']) await psql(db, 'create extension if not exists pg_stat_statements');

  const tls = await certificates(mkdtempSync(path.join(dir, 'tls-')));
  const ports = { frontend: await freePort(), http: await freePort(), history: await freePort(), matching: await freePort(), worker: await freePort(), metrics: await freePort() };
  const members = { frontend: await freePort(), history: await freePort(), matching: await freePort(), worker: await freePort() };
  const configDir = path.join(dir, 'config');
  mkdirSync(configDir);
  const dynamic = path.join(configDir, 'dynamicconfig.yaml');
  // Search attributes registered a moment ago are usable at once (the CLI's dev server does the same).
  writeFileSync(dynamic, stringify({ 'system.forceSearchAttributesCacheRefreshOnRead': [{ value: true }] }));
  writeFileSync(path.join(configDir, 'development.yaml'), config({ pgPort, ports, members, tls, dynamic }));

  const address = `127.0.0.1:${ports.frontend}`;
  const env = {
    TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: 'default', TEMPORAL_TLS_SERVER_CA_CERT_PATH: tls.ca,
    TEMPORAL_TLS_CLIENT_CERT_PATH: tls.clientCert, TEMPORAL_TLS_CLIENT_KEY_PATH: tls.clientKey, TEMPORAL_TLS_SERVER_NAME: 'localhost',
  };
  const cli = await locateTemporalCli();
  if (cli.type !== 'existing-path') throw new Error('the Temporal CLI is not installed: run scripts/setup.sh');
  const temporal = (...args: string[]) => execa(cli.path, [...args, '--address', address, '--tls-ca-path', tls.ca, '--tls-cert-path', tls.clientCert, '--tls-key-path', tls.clientKey, '--tls-server-name', 'localhost'], { reject: false });

  let proc: ResultPromise | undefined;
  const startServer = async () => {
    // `--config` is resolved under `--root`.
    proc = execa(server, ['--root', '/', '--config', configDir.slice(1), '--env', 'development', 'start'], { reject: false, stdout: 'ignore', stderr: 'pipe', buffer: false });
    for (let i = 0; ; i++) {
      if ((await temporal('operator', 'cluster', 'health')).stdout.includes('SERVING')) return;
      if (i > 300 || proc.exitCode !== null) throw new Error(`the Temporal server did not start (exit ${proc.exitCode})`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  await startServer();
  const registered = await temporal('operator', 'namespace', 'create', '--namespace', 'default', '--retention', '1d');
  if (registered.exitCode !== 0) throw new Error(`namespace create failed: ${registered.stderr}`);
  const attributes = await temporal('operator', 'search-attribute', 'create', '--namespace', 'default', '--name', 'ImplementorPhase', '--type', 'Keyword', '--name', 'AwaitingHuman', '--type', 'Bool');
  if (attributes.exitCode !== 0) throw new Error(`search-attribute create failed: ${attributes.stderr}`);

  const connectOptions = () => loadClientConnectConfig({ disableFile: true, overrideEnvVars: env }).connectionOptions;
  const opened: { close(): Promise<void> }[] = [];
  return {
    address, env, tls, metricsUrl: `http://127.0.0.1:${ports.metrics}/metrics`,
    async client() {
      const connection = await Connection.connect(connectOptions() as Parameters<typeof Connection.connect>[0]);
      opened.push(connection);
      return new Client({ connection, namespace: 'default' });
    },
    async nativeConnection() {
      const c = await NativeConnection.connect(connectOptions() as Parameters<typeof NativeConnection.connect>[0]);
      opened.push(c);
      return c;
    },
    pids: () => ({ server: proc?.pid, postgres: postgres.pid() }),
    async killServer() {
      proc?.kill('SIGKILL');
      await proc;
    },
    startServer,
    async databaseStats() {
      // pg_stat_statements counts each statement as it ends (pg_stat_database publishes a busy
      // backend's counters up to a minute late): round trips, committed transactions, rows written.
      const q = `select coalesce(sum(calls), 0), coalesce(sum(calls) filter (where query ~* '^\\s*commit'), 0),
        coalesce(sum(rows) filter (where query ~* '^\\s*(insert|update|delete)'), 0), coalesce(sum(rows) filter (where query ~* '^\\s*delete'), 0)
        from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())`;
      const out = { commits: 0, rowsWritten: 0, rowsDeleted: 0, statements: 0 };
      for (const db of ['temporal', 'temporal_visibility']) {
        const [calls = '0', commits = '0', rows = '0', deleted = '0'] = (await psql(db, q)).stdout.split('|');
        out.statements += Number(calls);
        out.commits += Number(commits);
        out.rowsWritten += Number(rows);
        out.rowsDeleted += Number(deleted);
      }
      return out;
    },
    async stop() {
      await Promise.allSettled(opened.map((c) => c.close()));
      proc?.kill('SIGTERM');
      await proc;
      await postgres.stop();
    },
  };
}
