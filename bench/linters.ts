// `npm run bench:linters` (`node --import tsx bench/linters.ts [--reps=N] [--only=repo,…]`):
// `check` beside checkov and kube-score on the real repositories of test/fixtures/real/, and
// `check` with the checks registered before issue 25 beside `check` with all of them (whole runs,
// and the checklist's own CPU time over the same rendered documents: bench/check-entry.ts).
//   Time (`--reps=0`: findings only): per repository every tool runs N times, cold, in a rotating order; wall time and peak
//   RSS of the whole process tree (bench/process-tree.ts), medians, ratios from this one run.
//   `check` runs offline from an empty cache with the chart dir its test gives it (home-ops'
//   app-template), so it judges what test/fixtures/real/EXPECTED.md judged. checkov reads the
//   repository itself (its kubernetes, helm and kustomize frameworks, as a user runs it).
//   kube-score cannot render: it reads the documents `check` judges, written once per target.
//   Findings: kube-score (one process per target) and checkov read those same rendered documents;
//   per meaning both map onto (bench/linter-map.ts), the objects the hand table judged, how many of
//   them each tool flags, and how many more it flags. Progress on stderr, Markdown on stdout,
//   every finding beyond the table in bench/linters-details.json for judging. Not part of `npm test`.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { resourceId } from '../core/compliance/k8s';
import type { Finding } from '../core/schemas';
import { toolbox } from '../validation/tools';
import { BEFORE_ISSUE_25, CHECKOV, KUBE_SCORE as KUBE_SCORE_IDS, checkovFlags, compare, kubeScoreFlags, ourFlags, type Row } from './linter-map';
import { measure, median, type Run } from './process-tree';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REAL = path.join(ROOT, 'test', 'fixtures', 'real');
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const reps = Number(arg('reps') ?? 3);
const only = arg('only')?.split(',');
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
const KUBE_SCORE = [path.join(cache, 'infra-implementor', 'kube-score-1.20.0', 'bin', 'kube-score')].find(existsSync);
if (!KUBE_SCORE) log('kube-score not built (bash scripts/setup.sh builds it): left out');
/** GNU time, for kube-score's own peak RSS (without it, the 10 ms samples, which may miss it). */
const GNU_TIME = ['/usr/bin/time'].find(existsSync);
const KS_ARGS = ['score', '-o', 'json', '--enable-optional-test', 'container-seccomp-profile'];
const CHECKOV_ARGS = ['--skip-download', '--quiet', '--compact', '-o', 'json'];

interface Expected { chartDir?: string[] }
const EXPECTED = JSON.parse(readFileSync(path.join(REAL, 'expected.json'), 'utf8')) as Record<string, Expected>;
const work = mkdtempSync(path.join(os.tmpdir(), 'bench-linters-'));
// An empty fetch cache: nothing fetched before counts, as in test/real-repos.test.ts.
const env = { ...process.env, INFRA_IMPLEMENTOR_CACHE_DIR: path.join(work, 'fetch-cache') };
const helm = (await toolbox()).helm?.file;

function chartDirFor(repo: string): string[] {
  const charts = EXPECTED[repo]?.chartDir;
  if (!charts || !helm) return [];
  const dir = path.join(work, `charts-${repo}`);
  execFileSync(helm, ['package', ...charts.map((c) => path.join(ROOT, 'test', 'fixtures', 'charts', c)), '--destination', dir], { stdio: 'ignore' });
  return ['--chart-dir', dir];
}

const entry = (dir: string, extra: string[]) => [process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'check-entry.ts'), dir, ...extra]] as const;

type Runs = Record<string, Run[]>;
const med = (runs: Runs, n: string) => ({ s: median(runs[n]!.map((r) => r.ms)) / 1000, mb: median(runs[n]!.map((r) => r.peakMb)) });

/** One row: `check`'s median wall time and peak RSS, and each other tool's with its ratio to check's. */
function timing(repo: string, runs: Runs, targets: number, docs: number): string {
  const ck = med(runs, 'check');
  const cell = (n: string) => {
    if (!runs[n]) return '—';
    const t = med(runs, n);
    return `${t.s.toFixed(2)} s (${(t.s / ck.s).toFixed(2)}) · ${t.mb.toFixed(0)} MB (${(t.mb / ck.mb).toFixed(2)})`;
  };
  return `| ${repo} | ${targets} / ${docs} | ${ck.s.toFixed(2)} s · ${ck.mb.toFixed(0)} MB | ${cell('checkov')} | ${cell('kube-score')} |`;
}

/** Sums of the medians over every repository: one ratio less at the mercy of one noisy run. */
const pooled = { before: 0, all: 0 };

interface ComplianceCost { beforeMs: number; allMs: number }

/**
 * Issue 25's line: whole runs with all checks against the checks registered before it (through the
 * same entry), and the checklist's own CPU time for each set, with what the new checks add as a
 * share of a whole run before them.
 */
function issue25Row(repo: string, runs: Runs, cost: ComplianceCost): string {
  const cpu = `${cost.beforeMs.toFixed(1)} ms | ${cost.allMs.toFixed(1)} ms`;
  if (!runs['check (before 25)']?.length) return `| ${repo} | | | | ${cpu} | |`;
  const before = med(runs, 'check (before 25)');
  const all = med(runs, 'check (all)');
  pooled.before += before.s;
  pooled.all += all.s;
  const added = (cost.allMs - cost.beforeMs) / (before.s * 1000);
  return `| ${repo} | ${before.s.toFixed(2)} s · ${before.mb.toFixed(0)} MB | ${all.s.toFixed(2)} s · ${all.mb.toFixed(0)} MB | ${(all.s / before.s).toFixed(3)} | ${cpu} | ${(100 * added).toFixed(2)} % |`;
}

const timeRows: string[] = [];
const issue25Rows: string[] = [];
const findingRows: string[] = [];
const details: Record<string, Row[]> = {};
for (const repo of readdirSync(REAL).filter((d) => !d.includes('.') && (!only || only.includes(d))).sort()) {
  const dir = path.join(REAL, repo);
  const charts = chartDirFor(repo);
  const out = path.join(work, repo);
  // What the other tools are given: the documents `check` judges, one file per target.
  execFileSync(...entry(dir, [...charts, '--render-to', out]), { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const index = JSON.parse(readFileSync(path.join(out, 'targets.json'), 'utf8')) as Record<string, string>;
  const perTarget = Object.keys(index).map((t) => readdirSync(path.join(out, 'rendered', t)).map((f) => path.join(out, 'rendered', t, f)));
  const rendered = perTarget.flat();

  const tools: Record<string, readonly [string, readonly string[]]> = {
    check: [process.execPath, [path.join(ROOT, 'bin', 'infra-implementor.js'), 'check', dir, '--format', 'json', '--offline', ...charts]],
    'check (before 25)': entry(dir, [...charts, `--checks=${BEFORE_ISSUE_25.join(',')}`]),
    'check (all)': entry(dir, charts),
    checkov: ['checkov', ['-d', dir, '--framework', 'kubernetes', 'helm', 'kustomize', ...CHECKOV_ARGS]],
    ...(KUBE_SCORE && rendered.length ? { 'kube-score': GNU_TIME ? [GNU_TIME, ['-f', '%M', '-o', path.join(work, 'kube-score-rss'), KUBE_SCORE, ...KS_ARGS, ...rendered]] as const : [KUBE_SCORE, [...KS_ARGS, ...rendered]] as const } : {}),
  };
  const names = Object.keys(tools);
  const runs: Runs = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < reps; i++) {
    for (const name of [...names.slice(i % names.length), ...names.slice(0, i % names.length)]) {
      const [cmd, args] = tools[name]!;
      const run = await measure(cmd, args, { cwd: ROOT, env });
      // kube-score may end before the first 10 ms sample: its own peak, as GNU time reads it (one process).
      if (name === 'kube-score' && GNU_TIME) run.peakMb = Number(readFileSync(path.join(work, 'kube-score-rss'), 'utf8').trim().split('\n').pop()) / 1024;
      runs[name]!.push(run);
    }
  }
  if (reps > 0) timeRows.push(timing(repo, runs, perTarget.length, rendered.length));

  issue25Rows.push(issue25Row(repo, runs, JSON.parse(readFileSync(path.join(out, 'compliance-cost.json'), 'utf8')) as ComplianceCost));

  // Findings, untimed: ours from the render pass, the others on the same rendered documents.
  // One document a file: `<target folder>/NNN.yaml` names the object.
  const objects = new Map(rendered.map((f) => [f.split(path.sep).slice(-2).join('/'), `${index[path.basename(path.dirname(f))]}|${resourceId(parse(readFileSync(f, 'utf8')) as Record<string, unknown>)}`]));
  const objectOf = (file: string) => objects.get(file.split(/[/\\]/).slice(-2).join('/')) ?? `?${file}`;
  const ours = (JSON.parse(readFileSync(path.join(out, 'check.json'), 'utf8')) as { findings: Finding[] }).findings;
  // The hand table judged every finding of the repositories in expected.json, and the errors of the others.
  const judged = (f: Finding) => repo in EXPECTED || f.severity === 'error';
  // kube-score refuses a whole run for one document it cannot read: say so rather than count nothing.
  const ksFailed: string[] = [];
  const ksObjects = !KUBE_SCORE ? [] : perTarget.flatMap((files) => {
    const r = spawnSync(KUBE_SCORE ?? 'kube-score', [...KS_ARGS, ...files], { encoding: 'utf8', maxBuffer: 2 ** 28 });
    if (!r.stdout.trim()) ksFailed.push(`${path.basename(path.dirname(files[0] ?? ''))}: ${r.stderr.trim().slice(0, 200)}`);
    return (JSON.parse(r.stdout || '[]') as never[] | null) ?? [];
  });
  if (ksFailed.length) log(`kube-score could not score ${ksFailed.join('; ')}`);
  const ks = KUBE_SCORE ? kubeScoreFlags(ksObjects, objectOf) : undefined;
  const ckv = spawnSync('checkov', ['-d', path.join(out, 'rendered'), '--framework', 'kubernetes', ...CHECKOV_ARGS], { encoding: 'utf8', maxBuffer: 2 ** 28 });
  const ckvOut = ckv.stdout.trim() ? JSON.parse(ckv.stdout) as { results?: { failed_checks: never[] } } | { results?: { failed_checks: never[] } }[] : [];
  const failed = (Array.isArray(ckvOut) ? ckvOut : [ckvOut]).flatMap((r) => r.results?.failed_checks ?? []);
  const cko = checkovFlags(failed, objectOf);
  const rows = compare(ourFlags(ours, judged), { checkov: cko.flags, ...(ks ? { 'kube-score': ks.flags } : {}) });
  details[repo] = rows;
  for (const r of rows.filter((x) => x.judged || x.unjudgedOurs || Object.values(x.tools).some((t) => t.hit || t.beyond))) {
    const t = (n: string) => {
      const x = r.tools[n];
      if (!x) return '—';
      // A tool with no check of this meaning is not said to have missed anything.
      if (!Object.values(n === 'checkov' ? CHECKOV : KUBE_SCORE_IDS).includes(r.check)) return 'no such check';
      return `${x.hit} / +${x.beyond}${x.onUnjudged ? ` (and ${x.onUnjudged} of ours not judged)` : ''}`;
    };
    findingRows.push(`| ${repo} | \`${r.check}\` | ${r.judged}${r.unjudgedOurs ? ` (+${r.unjudgedOurs} not judged)` : ''} | ${t('kube-score')} | ${t('checkov')} |`);
  }
  findingRows.push(`| ${repo} | all their findings, mapped or not | | ${ks?.all ?? '—'}${ksFailed.length ? ` (${ksFailed.length} target(s) it could not read)` : ''} | ${cko.all} |`);
  log(`${repo} done`);
}

// The committed details are those of a run over every repository; `--only` leaves them alone.
if (!only) writeFileSync(path.join(ROOT, 'bench', 'linters-details.json'), `${JSON.stringify(details, null, 2)}\n`);
rmSync(work, { recursive: true, force: true });
process.stdout.write([
  '| repository | targets / documents rendered | check | checkov (÷ check) | kube-score (÷ check) |', '| --- | --- | --- | --- | --- |', ...timeRows, '',
  '| repository | check, checks before issue 25 | check, all checks | all ÷ before | checklist CPU, before | checklist CPU, all | added ÷ a whole run before |',
  '| --- | --- | --- | --- | --- | --- | --- |', ...issue25Rows,
  ...(reps > 0 ? [`| all, summed | ${pooled.before.toFixed(2)} s | ${pooled.all.toFixed(2)} s | ${(pooled.all / pooled.before).toFixed(3)} | | | |`] : []), '',
  '| repository | our check | objects judged true by hand | kube-score: of them / beyond | checkov: of them / beyond |', '| --- | --- | --- | --- | --- |', ...findingRows, '',
  `${reps} runs of each tool per repository, rotating order, medians; peak RSS of the whole process tree.\n`,
].join('\n'));
