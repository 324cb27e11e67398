// Wall time and peak RSS of one command run cold in its own process: every descendant's VmRSS
// summed, sampled every 10 ms from /proc (so kubectl/helm children and checkov's workers count).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

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

/** A process and all its descendants. */
export function processTree(root: number): Set<number> {
  const pp = parents();
  const out = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of pp) if (!out.has(pid) && out.has(ppid)) { out.add(pid); grew = true; }
  }
  return out;
}

/** Resident memory (bytes) of a process and all its descendants. */
function treeRss(root: number): number {
  let total = 0;
  for (const pid of processTree(root)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      total += Number(m?.[1] ?? 0) * 1024;
    } catch { /* gone */ }
  }
  return total;
}

export interface Run { ms: number; peakMb: number; exit: number | null }

export function measure(cmd: string, args: readonly string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'ignore', 'ignore'] });
    let peak = 0;
    const timer = setInterval(() => { if (child.pid) peak = Math.max(peak, treeRss(child.pid)); }, 10);
    child.on('error', reject);
    child.on('exit', (exit) => {
      clearInterval(timer);
      resolve({ ms: performance.now() - started, peakMb: peak / 2 ** 20, exit });
    });
  });
}

export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
