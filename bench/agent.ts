// `npm run bench:agent -- [--baseline=REV] [--repo=FIXTURE:DIR …] [--json]`: the agent beside the fixed-context proposer it
// replaced, on the same tasks, in one run. Each task is a free-form change to one of the trimmed real
// repositories (test/fixtures/real); a scripted model explores it as Claude does (Glob, Read, Grep,
// then Edit/Write, Validate, Finish) for the agent, and proposes the same files phase by phase for
// the proposer of commit REV (default 3736982, the last with it), run from a git worktree of that
// commit in a worker process of its own against the same dev server and the same local Messages API.
// Both sides' tokens are counted by that one API (characters / 4), so the figures compare.
// `--repo=home-ops:DIR` runs a task on a whole repository instead of its trimmed fixture (the same
// paths must exist there), e.g. a checkout of onedr0p/home-ops.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { ImplementorInput, type ImplementorReport } from '../core/schemas';
import { IMPLEMENTOR_WORKFLOW } from '../workflows/messages';
import { benchDeps, benchWorker, log, startLab, type Lab } from './harness';
import { startFakeAnthropic, turn, type FakeAnthropic, type MessagesRequestBody, type RecordedRequest, type ScriptedReply } from '../test/helpers/fake-anthropic';
import { gitCopy, PROJECT_ROOT } from '../test/helpers/repo';

const REAL = path.join(PROJECT_ROOT, 'test/fixtures/real');

interface Task {
  fixture: string;
  scope: string;
  feature: string;
  /** The agent's exploration before its change, turn by turn. */
  explore: [string, unknown][][];
  /** The change: edits of existing files, whole new files. */
  edits: { file: string; old: string; new: string }[];
  writes: { file: string; content: string }[];
  /** The phase the proposer puts the change in. */
  phase: 'base' | 'overlay' | 'config' | 'network' | 'gitops';
}

export const TASKS: Task[] = [
  {
    fixture: 'podinfo', scope: 'backend replicas in production', feature: 'Production must run at least 3 backend pods', phase: 'overlay',
    explore: [
      [['Glob', { pattern: 'deploy/overlays/*/kustomization.yaml' }]],
      [['Read', { file_path: 'deploy/overlays/production/kustomization.yaml' }], ['Read', { file_path: 'deploy/bases/backend/hpa.yaml' }]],
      [['Grep', { pattern: 'minReplicas', path: 'deploy' }]],
    ],
    writes: [{ file: 'deploy/overlays/production/backend-hpa.yaml', content: 'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: backend\nspec:\n  minReplicas: 3 # REVIEW: at least 3 backend pods in production\n  maxReplicas: 4\n' }],
    edits: [{ file: 'deploy/overlays/production/kustomization.yaml', old: 'transformers:\n', new: 'patches:\n  - path: backend-hpa.yaml\ntransformers:\n' }],
  },
  {
    fixture: 'flux2-kustomize-helm-example', scope: 'podinfo replicas in production', feature: 'Production podinfo must run 3 replicas', phase: 'overlay',
    explore: [
      [['Glob', { pattern: 'apps/**/*.yaml' }]],
      [['Read', { file_path: 'apps/production/podinfo-values.yaml' }], ['Read', { file_path: 'apps/base/podinfo/release.yaml' }]],
    ],
    writes: [],
    edits: [{ file: 'apps/production/podinfo-values.yaml', old: '  values:\n', new: '  values:\n    replicaCount: 3 # REVIEW: the chart\'s replica count\n' }],
  },
  {
    fixture: 'home-ops', scope: 'atuin replicas', feature: 'atuin must run 2 replicas',  phase: 'gitops',
    explore: [
      [['Glob', { pattern: 'kubernetes/apps/**/helmrelease.yaml' }]],
      [['Grep', { pattern: 'replicas:', path: 'kubernetes/apps' }]],
      [['Read', { file_path: 'kubernetes/apps/default/atuin/app/helmrelease.yaml' }], ['Read', { file_path: 'kubernetes/apps/default/atuin/ks.yaml' }]],
    ],
    writes: [],
    edits: [{ file: 'kubernetes/apps/default/atuin/app/helmrelease.yaml', old: '    controllers:\n      atuin:\n', new: '    controllers:\n      atuin:\n        replicas: 2 # REVIEW: two atuin pods\n' }],
  },
];

/** The agent's turns for a task: explore, change, validate, finish. */
function agentScript(t: Task): ScriptedReply[] {
  return [
    ...t.explore.map((calls) => turn(...calls)),
    turn(...t.writes.map((w): [string, unknown] => ['Write', { file_path: w.file, content: w.content }]), ...t.edits.map((e): [string, unknown] => ['Edit', { file_path: e.file, old_string: e.old, new_string: e.new }])),
    turn(['Validate', {}]),
    turn(['Finish', { summary: t.feature, assumptions: [], dependencies: [] }]),
  ];
}

/** The proposer's change set for a phase: the same files, whole, in the task's phase; nothing in the others. */
function proposal(t: Task, root: string, phase: string) {
  if (phase !== t.phase) return { operations: [], assumptions: [], dependencies: [] };
  const edited = t.edits.map((e) => ({ path: e.file, action: 'write', phase, content: readFileSync(path.join(root, e.file), 'utf8').replace(e.old, e.new) }));
  return { operations: [...t.writes.map((w) => ({ path: w.file, action: 'write', phase, content: w.content })), ...edited], assumptions: [], dependencies: [] };
}

const scopeOf = (body: MessagesRequestBody | undefined) => /^Scope: (.+)$/m.exec(Array.isArray(body?.system) ? body.system.map((b) => b.text).join('\n') : '')?.[1] ?? '';
const isProposer = (body: MessagesRequestBody | undefined) => body?.tool_choice?.name === 'propose_changes';

function responder(roots: Map<string, string>) {
  return (body: MessagesRequestBody | undefined): ScriptedReply => {
    const task = TASKS.find((t) => t.scope === scopeOf(body));
    if (!task) return { kind: 'error', status: 400, errorType: 'invalid_request_error', message: `bench: no task for scope "${scopeOf(body)}"` };
    if (isProposer(body)) {
      const first = body?.messages[0]?.content;
      const phase = /Phase "(\w+)"/.exec(typeof first === 'string' ? first : JSON.stringify(first))?.[1] ?? 'fix';
      return { kind: 'tool', json: JSON.stringify(proposal(task, roots.get(task.fixture) as string, phase)) };
    }
    const step = (body?.messages ?? []).filter((m) => m.role === 'assistant').length;
    return agentScript(task)[step] ?? turn(['Finish', { summary: 'done', assumptions: [], dependencies: [] }]);
  };
}

export interface SideFigures {
  status: string;
  calls: number;
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  /** Every prompt token, cached or not: what the model read. */
  promptTokens: number;
  /** At Claude Sonnet list prices (USD per million: 3 input, 15 output, 0.30 cache read, 3.75 cache write). */
  usd: number;
  historyEvents: number;
  historyBytes: number;
  largestEventBytes: number;
}

function served(requests: RecordedRequest[], historyOf: { events: number; bytes: number; largest: number }, status: string): SideFigures {
  const u = requests.flatMap((r) => (r.usage ? [r.usage] : []));
  const sum = (k: keyof NonNullable<RecordedRequest['usage']>) => u.reduce((n, x) => n + x[k], 0);
  const inputTokens = sum('input_tokens');
  const cacheReadTokens = sum('cache_read_input_tokens');
  const cacheWriteTokens = sum('cache_creation_input_tokens');
  const outputTokens = sum('output_tokens');
  return {
    status, calls: u.length, inputTokens, cacheReadTokens, cacheWriteTokens, outputTokens, promptTokens: inputTokens + cacheReadTokens + cacheWriteTokens,
    usd: +((inputTokens * 3 + outputTokens * 15 + cacheReadTokens * 0.3 + cacheWriteTokens * 3.75) / 1e6).toFixed(4),
    historyEvents: historyOf.events, historyBytes: historyOf.bytes, largestEventBytes: historyOf.largest,
  };
}

const input = (t: Task, infraRoot: string) => ImplementorInput.parse({
  featureDescription: t.feature, scope: t.scope, infraRoot, implementer: 'anthropic',
  // A run that would ask a human accepts at once: the bench never waits for anyone.
  options: { maxAttempts: 1, humanDeadline: '1s', deadlineAction: 'accept' },
});

/** The proposer of commit `rev`, from a worktree of it, in a worker process of its own (the runner below). */
function baselineWorktree(rev: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ii-baseline-'));
  execFileSync('git', ['worktree', 'add', '--detach', '--force', dir, rev], { cwd: PROJECT_ROOT, stdio: 'ignore' });
  symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  writeFileSync(path.join(dir, 'bench-baseline-runner.ts'), BASELINE_RUNNER);
  return { dir, remove: () => { execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: PROJECT_ROOT, stdio: 'ignore' }); rmSync(dir, { recursive: true, force: true }); } };
}

// One run of that commit's own workflow and worker, printing its report and its history's size.
const BASELINE_RUNNER = `
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createWorker } from './worker/worker';
import { workerImplementers } from './worker/implementers';
import { loadConfig } from './worker/config';
import { installRuntime } from './worker/runtime';
const [address, taskQueue, inputJson, baseURL] = process.argv.slice(2);
installRuntime('ERROR');
const connection = await NativeConnection.connect({ address });
const deps = { stateDir: mkdtempSync(path.join(os.tmpdir(), 'ii-baseline-state-')), implementers: workerImplementers(loadConfig({ ANTHROPIC_API_KEY: 'sk-ant-bench', ANTHROPIC_BASE_URL: baseURL })) };
const worker = await createWorker({ connection, namespace: 'default', taskQueue, deps, workerOptions: { shutdownGraceTime: '1s' } });
const client = new Client({ connection: await Connection.connect({ address }) });
const out = await worker.runUntil(async () => {
  const h = await client.workflow.start('infrastructureImplementor', { taskQueue, workflowId: 'baseline-' + Date.now(), args: [JSON.parse(inputJson)] });
  const report = await h.result();
  const events = (await h.fetchHistory()).events ?? [];
  return { status: report.status, events: events.length, bytes: JSON.stringify(events).length, largest: Math.max(...events.map((e) => JSON.stringify(e).length)) };
});
process.stdout.write(JSON.stringify(out) + '\\n');
process.exit(0);
`;

async function runBaseline(dir: string, lab: Lab, llm: FakeAnthropic, i: ImplementorInput): Promise<{ status: string; events: number; bytes: number; largest: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(dir, 'bench-baseline-runner.ts'), lab.address, `baseline-${randomUUID()}`, JSON.stringify(i), llm.url], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`the baseline runner exited with ${code}`);
  return JSON.parse(out.trim().split('\n').at(-1) as string) as { status: string; events: number; bytes: number; largest: number };
}

export async function measureAgent(opts: { baseline: string; repos?: Map<string, string> }) {
  const lab = await startLab();
  const roots = new Map<string, string>();
  const llm = await startFakeAnthropic({ respond: responder(roots) });
  const base = baselineWorktree(opts.baseline);
  const rows: { task: string; files: number; agent: SideFigures; fixed: SideFigures }[] = [];
  try {
    for (const t of TASKS) {
      const source = opts.repos?.get(t.fixture) ?? path.join(REAL, t.fixture);
      const repo = await gitCopy(source);
      roots.set(t.fixture, repo);
      const before = llm.messageRequests().length;
      const { worker, taskQueue } = await benchWorker(lab, benchDeps(llm.url));
      const agent = await worker.runUntil(async () => {
        const h = await lab.env.client.workflow.start(IMPLEMENTOR_WORKFLOW, { taskQueue, workflowId: `bench-agent-${randomUUID()}`, args: [input(t, repo)] }) as WorkflowHandle<(i: ImplementorInput) => Promise<ImplementorReport>>;
        const report = await h.result();
        const events = (await h.fetchHistory()).events ?? [];
        return { status: report.status, events: events.length, bytes: JSON.stringify(events).length, largest: Math.max(...events.map((e) => JSON.stringify(e).length)) };
      });
      const agentRequests = llm.messageRequests().slice(before);
      const fixedRepo = await gitCopy(source);
      roots.set(t.fixture, fixedRepo);
      const mid = llm.messageRequests().length;
      const fixed = await runBaseline(base.dir, lab, llm, input(t, fixedRepo));
      const fixedRequests = llm.messageRequests().slice(mid);
      const files = execFileSync('git', ['ls-files'], { cwd: repo, encoding: 'utf8' }).split('\n').filter(Boolean).length;
      rows.push({ task: `${opts.repos?.has(t.fixture) ? `${t.fixture} (whole)` : t.fixture}: ${t.feature}`, files, agent: served(agentRequests, agent, agent.status), fixed: served(fixedRequests, fixed, fixed.status) });
      log(`${t.fixture}: agent ${agentRequests.length} calls, fixed-context ${fixedRequests.length} calls`);
    }
  } finally {
    base.remove();
    await llm.close();
    await lab.env.teardown();
  }
  return { baseline: opts.baseline, rows };
}

function table(r: Awaited<ReturnType<typeof measureAgent>>): string {
  const head = '| task (files) | side | status | calls | prompt tokens (uncached / cache read / cache write) | output | $ at Sonnet prices | history events | history KB | largest event KB |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |';
  const line = (task: string, side: string, f: SideFigures) =>
    `| ${task} | ${side} | ${f.status} | ${f.calls} | ${f.promptTokens} (${f.inputTokens} / ${f.cacheReadTokens} / ${f.cacheWriteTokens}) | ${f.outputTokens} | ${f.usd} | ${f.historyEvents} | ${(f.historyBytes / 1024).toFixed(1)} | ${(f.largestEventBytes / 1024).toFixed(1)} |`;
  return [head, ...r.rows.flatMap((x) => [line(`${x.task} (${x.files})`, 'agent', x.agent), line('', `fixed-context (${r.baseline})`, x.fixed)])].join('\n');
}

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
if (import.meta.url === `file://${process.argv[1]}`) {
  const baseline = arg('baseline') ?? '3736982';
  if (!existsSync(path.join(PROJECT_ROOT, '.git'))) throw new Error('bench:agent needs the project\'s git history (it runs the baseline from a worktree of it)');
  const repos = new Map(process.argv.filter((a) => a.startsWith('--repo=')).map((a) => a.slice('--repo='.length).split(':', 2) as [string, string]));
  const r = await measureAgent({ baseline, repos });
  process.stdout.write(process.argv.includes('--json') ? `${JSON.stringify(r, null, 1)}\n` : `${table(r)}\n`);
  process.exit(0);
}
