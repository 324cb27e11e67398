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
import { withTracing } from './telemetry';
import { refuseNewEnvironments } from './environments';
import { featureInput, implementInput, runTimeout, UsageError, zodLine } from './inputs';
import { formatFeatureStatus, formatStatus } from './status-view';
import { waitWithProgress } from './wait';
import { PR_OPTIONS } from './pull-request-flags';
import { addServerCommands } from './cli-servers';

/** Who answers, for the run's audit trail: the local user at this host. */
function whoAnswers(): string {
  try {
    return `${os.userInfo().username}@${os.hostname()}`;
  } catch {
    return `unknown@${os.hostname()}`;
  }
}

/** Exit codes of DESIGN.md. */
/** 3: the run finished `unvalidated` — implemented, but no build or schema check could judge it. */
export const EXIT = { ok: 0, failed: 1, usage: 2, unvalidated: 3 } as const;

class Exit extends Error {
  constructor(readonly code: number, message = '') {
    super(message);
  }
}

const print = (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
const printJson = (v: unknown) => print(JSON.stringify(v, null, 2));

/**
 * What `implement --wait` and `result` exit with: 0 a clean success, 3 unvalidated, 1 anything else —
 * a pull request asked for and not opened fails the command too.
 */
export function reportExitCode(report: { status: ImplementorReport['status']; pullRequestError?: string }): number {
  if (report.pullRequestError) return EXIT.failed;
  return report.status === 'succeeded' ? EXIT.ok : report.status === 'unvalidated' ? EXIT.unvalidated : EXIT.failed;
}

async function withClient<T>(fn: (c: ImplementorClient) => Promise<T>): Promise<T> {
  const config = loadConfig();
  return withTracing(config, async () => {
    const client = await ImplementorClient.connect().catch((e: Error) => {
      throw new Exit(EXIT.failed, `cannot reach Temporal at ${process.env.TEMPORAL_ADDRESS ?? 'localhost:7233'}: ${e.message.split('\n')[0]} (hint: run \`infra-implementor dev\` or set TEMPORAL_ADDRESS)`);
    });
    try {
      return await fn(client);
    } finally {
      await client.close();
    }
  });
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
    .option('--kube-version <version>', 'Kubernetes version charts are rendered for (helm --kube-version; default 1.34.0)')
    .option('--flux-version <version>', 'Flux release the cluster runs: Flux APIs it removed are errors, and from 2.9 on an unset ${var} fails the build (default 2.9)')
    .option('--strict', 'fail (exit 1) when a HelmRelease or build could not be rendered: what was not checked counts as a failure')
    .option('--chart-dir <dir>', 'charts as helm pull writes them (<name>-<version>.tgz), looked at before the cache and the network (env INFRA_IMPLEMENTOR_CHART_DIR)')
    .option('--offline', 'fetch nothing: charts, Git trees and remote files only from the chart dir and the cache (INFRA_IMPLEMENTOR_CACHE_DIR)')
    .addHelpText('after', `
Exit codes: 0 clean, 1 findings of severity error or a failed validation (with --strict, a skipped
release or build too), 2 bad input or a required tool (kubectl/kustomize, helm) missing, 3 nothing
could be validated.
Examples:
  $ infra-implementor check ./infra
  $ infra-implementor check ./infra --format sarif > results.sarif
  $ infra-implementor check ./infra --offline --chart-dir ./vendor/charts`)
    .action(async (dir: string, flags) => {
      const { runCheckCommand } = await import('./check');
      throw new Exit(await runCheckCommand(dir, { format: flags.format, kubeVersion: flags.kubeVersion, fluxVersion: flags.fluxVersion, strict: flags.strict === true, chartDir: flags.chartDir, offline: flags.offline === true }));
    });

  program
    .command('implement')
    .description('start one implementor workflow for a scope')
    .requiredOption('--feature <text>', 'what the feature is, in a sentence')
    .requiredOption('--scope <text>', 'the part of the feature this run implements')
    .option('--infra-root <dir>', 'the infrastructure repository (or a folder of it), edited in place: one machine, or a path every worker mounts (--shared-path)')
    .option('--repo <url>', 'a Git remote (https://, ssh://, git@host:org/repo.git, file://, a bare repository): the worker clones it, and the result is pushed on a branch')
    .option('--base <branch>', 'with --repo: the branch to start from (default: the remote\'s HEAD)')
    .option('--subdir <dir>', 'with --repo: the infrastructure folder inside the repository')
    .option('--branch <name>', 'with --repo: the branch the result is committed and pushed on (default: infra/<service or scope>)')
    .option('--no-push', 'with --repo: commit on the branch in the worker\'s workspace, push nothing')
    .option('--keep-workspace', 'with --repo: keep the worker\'s workspace after the run (for inspection)')
    .option(...PR_OPTIONS.pullRequest).option(...PR_OPTIONS.forge).option(...PR_OPTIONS.forgeUrl)
    .option('--shared-path', 'with --infra-root and a remote Temporal: the folder is at this path on every worker')
    .option('--host-timeout <duration>', 'how long a step waits for the worker holding the workspace before the run moves to another worker (default 60s)')
    .option('--files <a,b>', 'files of the scope, relative to the infra root')
    .option('--repos-root <dir>', 'where knowledge/ lives (default: the infra root)')
    .option('--parent-id <id>', 'the feature workflow this run belongs to')
    .option('--spec <file>', 'a service spec (YAML); required by the scaffold implementer')
    .option('--allow-new-environment', 'let the spec name environments that have no overlay yet (created and reported); refused otherwise')
    .addOption(new Option('--implementer <name>', 'who writes the change').choices(['scaffold', 'anthropic']).default('scaffold'))
    .option('--max-attempts <n>', 'validation attempts before asking a human (default 3)')
    .option('--max-turns <n>', 'anthropic: model turns of one attempt before a human is asked whether the agent goes on (default 60)')
    .option('--human-deadline <duration>', 'how long to wait for an answer, e.g. 30m, 24h (default 24h)')
    .option('--budget-usd <n>', 'the most the run may spend on LLM calls; a call whose estimated price would pass it asks a human first')
    .option('--remind <durations>', 'remind people of an open question this long before its deadline, e.g. 1h,10m (default 1h; needs INFRA_IMPLEMENTOR_NOTIFY_URL on the workers)')
    .option('--run-timeout <duration>', 'the longest a run may take (ended by the server); longer than the human deadline')
    .option('--wait', 'wait for the run to finish and print its report; questions are printed on stderr as they are asked')
    .option('--json', 'print JSON')
    .addHelpText('after', `
Examples:
  $ infra-implementor implement --feature "Add orders" --scope "orders service" \\
      --infra-root ./infra --spec orders.yaml --wait
  $ infra-implementor implement --feature "Add orders" --scope "orders service" \\
      --repo git@github.com:acme/infra.git --subdir clusters/prod --spec orders.yaml --wait
  $ infra-implementor implement --feature "Redis cache for checkout" --scope checkout \\
      --infra-root ./infra --files apps/base/checkout/deployment.yaml --implementer anthropic --json`)
    .action(async (flags) => {
      loadConfig(); // a wrong environment is named before the flags that depend on it
      const input = implementInput(flags);
      // A folder is surveyed here; a remote's new environments are refused by the worker's scaffold.
      if (input.infraRoot) await refuseNewEnvironments(input.infraRoot, [{ where: `--spec ${String(flags.spec)}`, spec: input.spec }]);
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
    .option('--repo <url>', 'a Git remote instead of the spec\'s infraRoot: every scope runs on any worker, and the branch is pushed')
    .option('--base <branch>', 'with --repo: the branch to start from (default: the remote\'s HEAD)')
    .option('--subdir <dir>', 'with --repo: the infrastructure folder inside the repository')
    .option('--no-push', 'with --repo: commit the branch on the worker, push nothing')
    .option('--keep-workspace', 'with --repo: keep the worker\'s workspace after the run')
    .option(...PR_OPTIONS.pullRequest).option(...PR_OPTIONS.forge).option(...PR_OPTIONS.forgeUrl)
    .option('--shared-path', 'with a remote Temporal: the spec\'s infraRoot is at this path on every worker')
    .option('--host-timeout <duration>', 'how long a step waits for the worker holding the workspace before moving (default 60s)')
    .option('--budget-usd <n>', 'the most the feature may spend on LLM calls: one pool its scopes draw from')
    .option('--remind <durations>', 'remind people of an open question this long before its deadline, e.g. 1h,10m (default 1h)')
    .option('--run-timeout <duration>', 'the longest the feature may take (ended by the server); longer than the human deadline')
    .option('--wait', 'wait for the run to finish and print its report; questions are printed on stderr as they are asked')
    .option('--json', 'print JSON')
    .addHelpText('after', `
Examples:
  $ infra-implementor feature --spec examples/feature.example.yaml --wait
  $ infra-implementor feature --spec feature.yaml --branch infra/orders-and-payments --json
  $ infra-implementor feature --spec feature.yaml --repo git@github.com:acme/infra.git --subdir clusters/prod --wait`)
    .action(async (flags) => {
      loadConfig(); // a wrong environment is named before the flags that depend on it
      const input = featureInput(flags);
      if (input.infraRoot) await refuseNewEnvironments(input.infraRoot, input.scopes.map((s, i) => ({ where: `--spec ${String(flags.spec)}: scopes[${i}] (${s.scope})`, ...(s.spec ? { spec: s.spec } : {}) })));
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

  addServerCommands(program);

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
