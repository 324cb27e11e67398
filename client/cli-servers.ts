// The long-running commands: a worker against a Temporal service, the embedded dev stack, and the
// codec endpoint for the Web UI. Each loads what it runs only when called.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../worker/config';
import { UsageError } from './usage';

export function addServerCommands(program: Command): void {
  program
    .command('worker')
    .description('run a worker against TEMPORAL_ADDRESS until interrupted')
    .addHelpText('after', '\nExamples:\n  $ TEMPORAL_ADDRESS=temporal.internal:7233 infra-implementor worker\n  $ TEMPORAL_PROFILE=cloud ANTHROPIC_API_KEY=… INFRA_IMPLEMENTOR_HEALTH_PORT=8080 infra-implementor worker')
    .action(async () => {
      const { runWorker } = await import('../worker/main');
      await runWorker(loadConfig());
    });

  program
    .command('dev')
    .description('run an embedded Temporal dev server (Web UI, search attributes) and a worker until interrupted')
    .option('--port <n>', 'gRPC port', '7233')
    .option('--ui-port <n>', 'Web UI port', '8233')
    .option('--db-filename <file>', 'keep state in this SQLite file across restarts')
    .addHelpText('after', '\nExamples:\n  $ infra-implementor dev                      # Web UI on http://localhost:8233\n  $ infra-implementor dev --db-filename ii.db  # keep runs across restarts')
    .action(async (flags) => {
      const { runDev } = await import('../worker/main');
      await runDev(loadConfig(), { port: Number(flags.port), uiPort: Number(flags.uiPort), ...(flags.dbFilename ? { dbFilename: flags.dbFilename } : {}) });
    });

  program
    .command('codec-server')
    .description('serve the payload codec to the Temporal Web UI (needs INFRA_IMPLEMENTOR_CODEC_KEYS)')
    .option('--port <n>', 'port on 127.0.0.1', '8888')
    .option('--ui-origin <url>', 'the Web UI origin allowed by CORS', 'http://localhost:8233')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM; a UI served over https needs it)')
    .option('--tls-key <file>', 'the certificate\'s private key (PEM)')
    .addHelpText('after', '\nExamples:\n  $ INFRA_IMPLEMENTOR_CODEC_KEYS=k1:$(openssl rand -base64 32) infra-implementor codec-server\n  then set the UI\'s codec endpoint (Data Encoder) to http://127.0.0.1:8888\n  $ infra-implementor codec-server --tls-cert codec.pem --tls-key codec.key --ui-origin https://temporal.example.com')
    .action(async (flags) => {
      const { dataConverterFromEnv, CODEC_KEYS_ENV } = await import('../core/payload-codec');
      const codec = dataConverterFromEnv()?.payloadCodecs[0];
      if (!codec) throw new UsageError(`codec-server needs ${CODEC_KEYS_ENV} (id:base64key[,id:base64key…])`);
      if (Boolean(flags.tlsCert) !== Boolean(flags.tlsKey)) throw new UsageError('codec-server: give --tls-cert and --tls-key together');
      const read = (flag: string, file: string) => {
        try {
          return readFileSync(file);
        } catch (e) {
          throw new UsageError(`${flag} ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
        }
      };
      const tls = flags.tlsCert && flags.tlsKey ? { cert: read('--tls-cert', flags.tlsCert), key: read('--tls-key', flags.tlsKey) } : undefined;
      const { startCodecServer } = await import('./codec-server');
      const server = await startCodecServer(codec, { port: Number(flags.port), allowOrigin: flags.uiOrigin, ...(tls ? { tls } : {}) });
      process.stderr.write(`codec endpoint at ${server.url} for ${flags.uiOrigin}; Ctrl-C to stop\n`);
      await new Promise<void>((resolve) => { process.once('SIGINT', resolve); process.once('SIGTERM', resolve); });
      await server.close();
    });
}
