// `npm run bench:scaffold -- DIR [DIR …]`: the offline scaffold on whole repositories nobody here wrote
// (checkouts of public GitOps repositories, e.g. those `fetch` brings under /work/.mirror), each
// copied into a fresh git repository first. For each: the files written, the scaffold's time, and
// what `check` says before and after — every finding the run added, which should be none.
// The service spec is the one of test/scaffold-siblings.test.ts (port, replicas, config, a secret,
// an ingress host, sensitive).
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ServiceSpec, type Finding } from '../core/schemas';
import { validateRepository } from '../validation';
import { gitCopy } from '../test/helpers/repo';
import { scaffoldRun } from '../test/helpers/scaffold-run';

const SPEC = ServiceSpec.parse({
  service: 'orders', image: 'ghcr.io/acme/orders:1.4.2', port: 8080, replicas: 2, config: { LOG_LEVEL: 'info' },
  secrets: ['DB_PASSWORD'], ingress: { host: 'orders.example.com' }, sensitive: true,
});

/** A finding as it reads anywhere: the new service's name replaced, so a sibling's twin is the same finding. */
const key = (f: Finding) => `${f.file ?? f.target}|${f.check} ${f.severity}: ${f.message.replace(/orders/g, 'X')}`;
const active = async (root: string) => (await validateRepository({ root })).findings.filter((f) => !f.suppressed);

const dirs = process.argv.slice(2).filter((a) => !a.startsWith('--'));
if (!dirs.length) {
  process.stderr.write('usage: npm run bench:scaffold -- DIR [DIR …]  (a folder of a repository, without its .git)\n');
  process.exitCode = 2;
}
for (const dir of dirs) {
  const root = await gitCopy(path.resolve(dir));
  const before = (await active(root)).map(key);
  const t = performance.now();
  const { written, changeSets } = await scaffoldRun(root, SPEC);
  const ms = performance.now() - t;
  const after = await active(root);
  const added = after.filter((f) => {
    const i = before.indexOf(key(f));
    if (i >= 0) before.splice(i, 1);
    return i < 0;
  });
  process.stdout.write(`${path.basename(dir)}: scaffold ${ms.toFixed(0)} ms, ${written.length} files; ${after.length} findings after, ${added.length} added by the run\n`);
  for (const f of written) process.stdout.write(`  wrote ${f}\n`);
  for (const f of added) process.stdout.write(`  NEW ${key(f)}\n`);
  for (const a of changeSets.flatMap((c) => c.assumptions)) process.stdout.write(`  - ${a.file ?? ''}: ${a.text}\n`);
}
