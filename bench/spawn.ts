// launcherRatio: what starting one external command costs the worker's event loop, through the
// launcher process (runtime/launcher.ts) divided by execa in the worker's own process. Node starts
// a process by forking itself, and the fork copies the page tables of the whole process while the
// event loop waits, so the cost grows with the worker's memory: this process is first grown to the
// resident size of a worker under load, then both ways run alternately, one command at a time.
import { execa } from 'execa';
import { launch, launcherPid } from '../runtime/launcher';
import { log, median, round } from './harness';

export interface SpawnFigures {
  /** Resident size of this process while measuring (MB). */
  rssMb: number;
  commands: number;
  /** Event-loop time taken per command (ms, median of the rounds): the time nothing else in the worker can run. */
  inlineBlockedMs: number;
  launcherBlockedMs: number;
  /** Wall time per command (ms, median of the rounds). */
  inlineWallMs: number;
  launcherWallMs: number;
  /** launcherBlockedMs / inlineBlockedMs. */
  launcherRatio: number;
}

/** Event-loop active time and wall time per command of `n` commands run one after the other. */
async function perCommand(n: number, run: () => Promise<unknown>): Promise<{ blockedMs: number; wallMs: number }> {
  const elu = performance.eventLoopUtilization();
  const start = performance.now();
  for (let i = 0; i < n; i++) await run();
  const wallMs = performance.now() - start;
  return { blockedMs: performance.eventLoopUtilization(elu).active / n, wallMs: wallMs / n };
}

export async function measureSpawn(opts: { rssMb: number; commands: number; rounds: number }): Promise<SpawnFigures> {
  // Resident, not just reserved: Buffer.alloc fills every page.
  const ballast: Buffer[] = [];
  const rss = () => process.memoryUsage().rss / 2 ** 20;
  while (rss() < opts.rssMb) ballast.push(Buffer.alloc(16 * 2 ** 20, 1));
  await launcherPid(); // the helper starts once, outside the measure
  const command = ['git', ['--version']] as const;
  const inline: { blockedMs: number; wallMs: number }[] = [];
  const viaLauncher: { blockedMs: number; wallMs: number }[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    inline.push(await perCommand(opts.commands, () => execa(command[0], [...command[1]], { reject: false })));
    viaLauncher.push(await perCommand(opts.commands, () => launch(command[0], [...command[1]])));
    log(`launcher round ${r + 1}/${opts.rounds} at ${Math.round(rss())} MB: in-process ${inline.at(-1)?.blockedMs.toFixed(2)} ms blocked per command, launcher ${viaLauncher.at(-1)?.blockedMs.toFixed(2)} ms`);
  }
  const rssMb = round(rss(), 1);
  ballast.length = 0;
  const inlineBlockedMs = median(inline.map((x) => x.blockedMs));
  const launcherBlockedMs = median(viaLauncher.map((x) => x.blockedMs));
  return {
    rssMb, commands: opts.commands,
    inlineBlockedMs: round(inlineBlockedMs, 2), launcherBlockedMs: round(launcherBlockedMs, 2),
    inlineWallMs: round(median(inline.map((x) => x.wallMs)), 2), launcherWallMs: round(median(viaLauncher.map((x) => x.wallMs)), 2),
    launcherRatio: round(launcherBlockedMs / inlineBlockedMs),
  };
}
