// `node --import tsx bench/checkov.ts [--reps=N]`: `infra-implementor check` beside checkov
// (PyPI, `--skip-download`: no policy download) on the same real repositories
// (test/fixtures/real/*), alternating the two, N times each: wall time and peak RSS of the whole
// process tree (every descendant's VmRSS summed, sampled every 10 ms from /proc), medians, and the
// ratio checkov / ours. Both run cold (new processes). Not part of `npm test`.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REAL = path.join(ROOT, 'test', 'fixtures', 'real');
const reps = Number(process.argv.find((a) => a.startsWith('--reps='))?.slice(7) ?? 3);

/** Parent pid of every process, from /proc. */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      out.set(Number(e), ppid);
    } catch { /* gone */ }
  }
  return out;
}

/** Resident memory (bytes) of a process and all its descendants. */
function treeRss(root: number): number {
  const pp = parents();
  const tree = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of pp) if (!tree.has(pid) && tree.has(ppid)) { tree.add(pid); grew = true; }
  }
  let total = 0;
  for (const pid of tree) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      total += Number(m?.[1] ?? 0) * 1024;
    } catch { /* gone */ }
  }
  return total;
}

interface Run { ms: number; peakMb: number; exit: number | null }

function measure(cmd: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'ignore'] });
    let peak = 0;
    const timer = setInterval(() => { if (child.pid) peak = Math.max(peak, treeRss(child.pid)); }, 10);
    child.on('error', reject);
    child.on('exit', (exit) => {
      clearInterval(timer);
      resolve({ ms: performance.now() - started, peakMb: peak / 2 ** 20, exit });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const tools = {
  check: (dir: string) => [process.execPath, [path.join(ROOT, 'bin', 'infra-implementor.js'), 'check', dir, '--format', 'json']] as const,
  checkov: (dir: string) => ['checkov', ['-d', dir, '--framework', 'kubernetes', 'helm', 'kustomize', '--skip-download', '--quiet', '--compact', '-o', 'json']] as const,
};

const rows: string[] = [];
for (const repo of readdirSync(REAL).filter((d) => !d.includes('.')).sort()) {
  const dir = path.join(REAL, repo);
  const runs: Record<keyof typeof tools, Run[]> = { check: [], checkov: [] };
  for (let i = 0; i < reps; i++) {
    for (const name of (i % 2 === 0 ? ['check', 'checkov'] : ['checkov', 'check']) as (keyof typeof tools)[]) {
      const [cmd, args] = tools[name](dir);
      runs[name].push(await measure(cmd, [...args]));
    }
  }
  const m = (name: keyof typeof tools) => ({ ms: median(runs[name].map((r) => r.ms)), mb: median(runs[name].map((r) => r.peakMb)) });
  const ours = m('check');
  const theirs = m('checkov');
  rows.push(`| ${repo} | ${(ours.ms / 1000).toFixed(2)} s | ${(theirs.ms / 1000).toFixed(2)} s | ${(theirs.ms / ours.ms).toFixed(2)} | ${ours.mb.toFixed(0)} MB | ${theirs.mb.toFixed(0)} MB | ${(theirs.mb / ours.mb).toFixed(2)} |`);
  process.stderr.write(`[bench] ${repo} done\n`);
}
process.stdout.write(['| repository | check wall | checkov wall | checkov/check | check peak RSS | checkov peak RSS | checkov/check |', '| --- | --- | --- | --- | --- | --- | --- |', ...rows].join('\n') + `\n\n${reps} runs of each, alternating, medians; peak RSS of the whole process tree (kubectl/helm children and checkov's workers included).\n`);
