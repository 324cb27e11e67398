// The `infra-implementor` command line (DESIGN.md): check, implement, feature, status, answer,
// inbox, result, worker, dev, demo. Bad usage exits 2 with one line before anything starts.
import os from 'node:os';
import { Command, CommanderError, Option } from 'commander';
import { renderFeatureReportMarkdown } from '../core/feature-report';
import type { FeatureReport } from '../core/feature';
import { FeatureAnswer } from '../core/feature-spec';
import { ANSWER_ACTIONS } from '../core/phases';
import { renderReportMarkdown } from '../core/report';
import type { ImplementorReport } from '../core/schemas';
import { ConfigError, loadConfig } from '../worker/config';
import { ImplementorClient } from './client';
import { featureInput, implementInput, runTimeout, UsageError, zodLine } from './inputs';
import { formatFeatureStatus, formatStatus } from './status-view';
import { waitWithProgress } from './wait';

/** Who answers, for the run's audit trail: the local user at this host. */
function whoAnswers(): string {
  try {
    return `${os.userInfo().username}@${os.hostname()}`;
  } catch {
    return `unknown@${os.hostname()}`;
  }
}

/** Exit codes of DESIGN.md. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

class Exit extends Error {
  constructor(readonly code: number, message = '') {
    super(message);
  }
}

const print = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
const printJson = (v: unknown) => print(JSON.stringify(v, null, 2));

function reportExitCode(report: { status: ImplementorReport['status'] }): number {
  return report.status === 'succeeded' ? EXIT.ok : EXIT.failed;
}

async function withClient<T>(fn: (c: ImplementorClient) => Promise<T>): Promise<T> {
  loadConfig();
  const client = await ImplementorClient.connect().catch((e: Error) => {
    throw new Exit(EXIT.failed, `cannot reach Temporal at ${process.env.TEMPORAL_ADDRESS ?? 'localhost:7233'}: ${e.message.split('\n')[0]} (hint: run \`infra-implementor dev\` or set TEMPORAL_ADDRESS)`);
  });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

function printReport(report: ImplementorReport | FeatureReport, json: boolean): void {
  if (json) printJson(report);
  else print('children' in report ? renderFeatureReportMarkdown(report) : renderReportMarkdown(report));
}

export function buildProgram(): Command {
  const program = new Command('infra-implementor')
    .description('Implement infrastructure changes in a Kubernetes/Kustomize/Helm/Flux repository as a durable Temporal workflow.')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('check')
    .description('validate a repository and run the compliance checklist: no LLM, no Temporal')
    .argument('<dir>', 'the repository (or a folder of it)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'sarif']).default('text'))
    .addHelpText('after', `
Exit codes: 0 clean, 1 findings of severity error or a failed validation, 2 bad input.
Examples:
  $ infra-implementor check ./infra
  $ infra-implementor check ./infra --format sarif > results.sarif`)
    .action(async (dir: string, flags) => {
      const { runCheckCommand } = await import('./check');
      throw new Exit(await runCheckCommand(dir, { format: flags.format }));
    });

  program
    .command('implement')
    .description('start one implementor workflow for a scope')
    .requiredOption('--feature <text>', 'what the feature is, in a sentence')
    .requiredOption('--scope <text>', 'the part of the feature this run implements')
    .requiredOption('--infra-root <dir>', 'the infrastructure repository (or a folder of it)')
    .option('--files <a,b>', 'files of the scope, relative to the infra root')
    .option('--repos-root <dir>', 'where knowledge/ lives (default: the infra root)')
    .option('--parent-id <id>', 'the feature workflow this run belongs to')
    .option('--spec <file>', 'a service spec (YAML); required by the scaffold implementer')
    .addOption(new Option('--implementer <name>', 'who writes the change').choices(['scaffold', 'anthropic']).default('scaffold'))
    .option('--max-attempts <n>', 'validation attempts before asking a human (default 3)')
    .option('--human-deadline <duration>', 'how long to wait for an answer, e.g. 30m, 24h (default 24h)')
    .option('--run-timeout <duration>', 'the longest a run may take (ended by the server); longer than the human deadline')
    .option('--wait', 'wait for the run to finish and print its report; questions are printed on stderr as they are asked')
    .option('--json', 'print JSON')
    .addHelpText('after', `
Examples:
  $ infra-implementor implement --feature "Add orders" --scope "orders service" \\
      --infra-root ./infra --spec orders.yaml --wait
  $ infra-implementor implement --feature "Redis cache for checkout" --scope checkout \\
      --infra-root ./infra --files apps/base/checkout/deployment.yaml --implementer anthropic --json`)
    .action(async (flags) => {
      const input = implementInput(flags);
      const timeout = runTimeout(flags.runTimeout, input.options.humanDeadline);
      await withClient(async (c) => {
        const workflowId = await c.startImplementor(input, undefined, timeout);
        if (!flags.wait) {
          if (flags.json) printJson({ workflowId });
          else print(workflowId);
          return;
        }
        if (!flags.json) process.stderr.write(`started ${workflowId}; waiting for it to finish…\n`);
        const report = await waitWithProgress(c, workflowId);
        printReport(report, Boolean(flags.json));
        throw new Exit(reportExitCode(report));
      });
    });

  program
    .command('feature')
    .description('start the feature workflow: one implementor per scope in parallel, each in its own git worktree, merged, validated once and committed on a branch')
    .requiredOption('--spec <file>', 'the feature spec (YAML: feature, infraRoot, scopes)')
    .option('--branch <name>', 'the branch to commit on (default: infra/<feature-slug>)')
    .option('--keep-branches', 'keep each scope\'s branch after the run, for inspection')
    .option('--run-timeout <duration>', 'the longest the feature may take (ended by the server); longer than the human deadline')
    .option('--wait', 'wait for the run to finish and print its report; questions are printed on stderr as they are asked')
    .option('--json', 'print JSON')
    .addHelpText('after', `
Examples:
  $ infra-implementor feature --spec examples/feature.example.yaml --wait
  $ infra-implementor feature --spec feature.yaml --branch infra/orders-and-payments --json`)
    .action(async (flags) => {
      const input = featureInput(flags);
      const timeout = runTimeout(flags.runTimeout, input.options.humanDeadline);
      await withClient(async (c) => {
        const workflowId = await c.startFeature(input, undefined, timeout);
        if (!flags.wait) {
          if (flags.json) printJson({ workflowId });
          else print(workflowId);
          return;
        }
        if (!flags.json) process.stderr.write(`started ${workflowId} (${input.scopes.length} scopes → ${input.branch}); waiting for it to finish…\n`);
        const report = await waitWithProgress(c, workflowId);
        printReport(report, Boolean(flags.json));
        throw new Exit(reportExitCode(report));
      });
    });

  program
    .command('status')
    .description('show the live state of a run: phase, attempts, elapsed time, pending question')
    .argument('<id>', 'workflow id')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  $ infra-implementor status implement-orders-1a2b3c4d')
    .action(async (id: string, flags) => {
      await withClient(async (c) => {
        const status = await c.status(id);
        if (flags.json) printJson(status);
        else print('children' in status ? formatFeatureStatus(status, new Date()) : formatStatus(status, new Date()));
      });
    });

  program
    .command('answer')
    .description('answer the question of a run that waits for a human')
    .argument('<id>', 'workflow id')
    .addOption(new Option('--action <action>', 'what to do').choices([...ANSWER_ACTIONS]).makeOptionMandatory())
    .option('--guidance <text>', 'guidance for the next fix (with retry)')
    .option('--scope <scope>', 'for a feature: the scope whose question this answers (or "merge")')
    .option('--question <id>', 'the question this answers (q1, q2, … as status shows it); refused when another one is pending')
    .option('--budget-usd <n>', 'with retry on a budget question: the new budget in US dollars')
    .addHelpText('after', '\nExamples:\n  $ infra-implementor answer implement-orders-1a2b3c4d --action retry --guidance "use port 8080"\n  $ infra-implementor answer implement-orders-1a2b3c4d --action abort\n  $ infra-implementor answer feature-add-orders-1a2b3c4d --scope "payments service" --action accept')
    .action(async (id: string, flags) => {
      const parsed = FeatureAnswer.safeParse({
        action: flags.action, by: whoAnswers(),
        ...(flags.guidance ? { guidance: flags.guidance } : {}), ...(flags.scope ? { scope: flags.scope } : {}),
        ...(flags.question ? { question: flags.question } : {}), ...(flags.budgetUsd !== undefined ? { budgetUsd: Number(flags.budgetUsd) } : {}),
      });
      if (!parsed.success) throw new UsageError(zodLine('answer', parsed.error));
      const answer = parsed.data;
      await withClient(async (c) => {
        try {
          print(await c.answer(id, answer));
        } catch (e) {
          throw new Exit(EXIT.failed, `${id}: ${(e as Error).message}`);
        }
      });
    });

  program
    .command('inbox')
    .description('list every open question across all runs of the task queue, oldest first, with the command that answers each')
    .option('--json', 'print JSON: { questions: [...], problems: [...] }')
    .addHelpText('after', `
Runs are found by the search attribute AwaitingHuman on TEMPORAL_TASK_QUEUE; a scope of a feature is
listed once, answered through its feature.
Examples:
  $ infra-implementor inbox
  $ infra-implementor inbox --json | jq -r '.questions[0].answer'`)
    .action(async (flags) => {
      const { formatInbox, readInbox } = await import('./inbox');
      await withClient(async (c) => {
        const inbox = await readInbox(c.client, c.taskQueue);
        if (flags.json) printJson(inbox);
        else print(formatInbox(inbox, new Date()));
        for (const p of flags.json ? [] : inbox.problems) process.stderr.write(`warning: ${p}\n`);
      });
    });

  program
    .command('result')
    .description('wait for a run to close and print its report; questions are printed on stderr as they are asked')
    .argument('<id>', 'workflow id')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExit codes: 0 succeeded, 1 failed, accepted with failures, aborted or partial.\nExamples:\n  $ infra-implementor result implement-orders-1a2b3c4d\n  $ infra-implementor result feature-add-orders-1a2b3c4d --json | jq .branch')
    .action(async (id: string, flags) => {
      await withClient(async (c) => {
        const report = await waitWithProgress(c, id);
        printReport(report, Boolean(flags.json));
        throw new Exit(reportExitCode(report));
      });
    });

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
    .addHelpText('after', '\nExample:\n  $ INFRA_IMPLEMENTOR_CODEC_KEYS=k1:$(openssl rand -base64 32) infra-implementor codec-server\n  then set the UI\'s codec endpoint (Data Encoder) to http://127.0.0.1:8888')
    .action(async (flags) => {
      const { dataConverterFromEnv, CODEC_KEYS_ENV } = await import('../core/payload-codec');
      const codec = dataConverterFromEnv()?.payloadCodecs[0];
      if (!codec) throw new UsageError(`codec-server needs ${CODEC_KEYS_ENV} (id:base64key[,id:base64key…])`);
      const { startCodecServer } = await import('./codec-server');
      const server = await startCodecServer(codec, { port: Number(flags.port), allowOrigin: flags.uiOrigin });
      process.stderr.write(`codec endpoint at ${server.url} for ${flags.uiOrigin}; Ctrl-C to stop\n`);
      await new Promise<void>((resolve) => { process.once('SIGINT', resolve); process.once('SIGTERM', resolve); });
      await server.close();
    });

  program
    .command('demo')
    .description('the newcomer\'s first run: dev server, worker and the scaffold implementer on a copy of examples/')
    .option('--keep', 'keep the server and Web UI up until Ctrl-C')
    .option('--ui-port <n>', 'Web UI port', '8233')
    .addHelpText('after', '\nExamples:\n  $ npm start\n  $ npm start -- --keep    # leave the server and UI up afterwards')
    .action(async (flags) => {
      const { runDemo } = await import('./demo');
      throw new Exit(await runDemo({ keep: Boolean(flags.keep), uiPort: Number(flags.uiPort) }));
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    if (e instanceof Exit) {
      if (e.message) process.stderr.write(`error: ${e.message}\n`);
      return e.code;
    }
    if (e instanceof CommanderError) {
      // Help and version are successes; everything else commander reports is bad usage.
      return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.help' ? EXIT.ok : EXIT.usage;
    }
    if (e instanceof UsageError || e instanceof ConfigError) {
      process.stderr.write(`error: ${e.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`error: ${(e as Error).message ?? String(e)}\n`);
    return EXIT.failed;
  }
}
