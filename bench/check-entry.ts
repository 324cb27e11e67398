// `check` as the linters bench runs it, in its own process:
//   node --import tsx bench/check-entry.ts <dir> [--chart-dir D] [--checks=a,b,…]
//     runs `check --offline --format json` (output discarded) with only the checks named: the
//     "before issue 25" subset and all checks are timed through this one entry, so their ratio
//     measures the checks and nothing else;
//   node --import tsx bench/check-entry.ts <dir> [--chart-dir D] --render-to OUT
//     writes the documents the checks judge, per target
//     (OUT/rendered/<target>/NNN.yaml, one document a file: what kube-score and checkov are given), and the findings
//     (OUT/check.json), and the checklist's own cost: the CPU time of the compliance checks alone,
//     in this process, before issue 25's checks and all of them, alternating, 15 rounds of 10 passes, medians
//     (OUT/compliance-cost.json) — what the new checks add, without the noise of whole runs.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { runCheckCommand } from '../client/check';
import { runCompliance, selectChecks, type CheckContext, type RenderedDoc } from '../core/compliance';
import { median } from './process-tree';
import { BEFORE_ISSUE_25 } from './linter-map';
import { validateRepository } from '../validation';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const eq = args.find((a) => a.startsWith(`--${name}=`));
  if (eq) return eq.slice(name.length + 3);
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const dir = args[0];
if (!dir || dir.startsWith('--')) {
  process.stderr.write('usage: check-entry.ts <dir> [--chart-dir D] [--checks=a,b] [--render-to OUT]\n');
  process.exit(2);
}
const chartDir = flag('chart-dir');
const checks = flag('checks')?.split(',').filter(Boolean);
const renderTo = flag('render-to');

/** `deploy/webapp` → `deploy__webapp`; the root `.` → `_root`. */
const renderedFolder = (target: string): string => (target === '.' ? '_root' : target.replace(/[/\\]/g, '__'));

if (renderTo) {
  const out = path.join(renderTo, 'rendered');
  const targets: Record<string, string> = {};
  const judged: [readonly RenderedDoc[], CheckContext][] = [];
  const report = await validateRepository({
    root: dir, fetch: { offline: true, ...(chartDir ? { chartDir } : {}) },
    onRendered: (target, docs, checkCtx) => {
      judged.push([docs, checkCtx]);
      if (!docs.length) return;
      const folder = renderedFolder(target);
      targets[folder] = target;
      mkdirSync(path.join(out, folder), { recursive: true });
      // One document a file: checkov passes over a whole file in which any value looks like a Helm
      // template (`{{ .Release.`), as HelmRelease values often do; alone, the other documents are read.
      // YAML 1.1 quoting: kube-score (Go) and checkov (PyYAML) read an unquoted `no` as false.
      docs.forEach((d, i) => writeFileSync(path.join(out, folder, `${String(i).padStart(3, '0')}.yaml`), stringify(d.object, { version: '1.1' })));
    },
  });
  writeFileSync(path.join(renderTo, 'check.json'), JSON.stringify(report, null, 2));
  writeFileSync(path.join(renderTo, 'targets.json'), JSON.stringify(targets, null, 2));
  // Ten passes a measure: one pass over a small repository takes well under a millisecond.
  const PASSES = 10;
  const sets = { before: selectChecks(BEFORE_ISSUE_25), all: undefined };
  const ms: Record<keyof typeof sets, number[]> = { before: [], all: [] };
  for (let round = 0; round < 15; round++) {
    for (const name of (round % 2 ? ['all', 'before'] : ['before', 'all']) as (keyof typeof sets)[]) {
      const started = process.cpuUsage();
      for (let pass = 0; pass < PASSES; pass++) for (const [docs, checkCtx] of judged) runCompliance(docs, checkCtx, sets[name]);
      const used = process.cpuUsage(started);
      ms[name].push((used.user + used.system) / 1000 / PASSES);
    }
  }
  writeFileSync(path.join(renderTo, 'compliance-cost.json'), JSON.stringify({ beforeMs: median(ms.before), allMs: median(ms.all), targets: judged.length }));
} else {
  process.exitCode = await runCheckCommand(dir, { format: 'json', write: () => undefined, offline: true, chartDir, ...(checks ? { checks } : {}) });
}
