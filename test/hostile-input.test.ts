// Hostile input, table-driven: every case ends with a clear error (or a visible, harmless
// outcome) and nothing is written outside the infra root or into .git.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, defaultImplementers } from '../activities';
import type { ChangeSet } from '../core/schemas';
import { ImplementorInput, ServiceSpec } from '../core/schemas';
import { createScaffoldImplementer } from '../implementers/scaffold';
import { IMPLEMENTOR_WORKFLOW } from '../workflows/messages';
import { EXAMPLES, PROJECT_ROOT, git, gitCopy, snapshot } from './helpers/repo';
import { startTestServer, type TestServer } from './helpers/temporal';
import { write } from './helpers/implementers';

const BIN = path.join(PROJECT_ROOT, 'bin/infra-implementor.js');

/** A world to attack: a git repository with an infra root, and an outside folder that must stay empty. */
async function world() {
  const repo = await gitCopy(EXAMPLES);
  const infra = path.join(repo, 'infra');
  const outside = mkdtempSync(path.join(os.tmpdir(), 'ii-outside-'));
  writeFileSync(path.join(outside, 'target.yaml'), 'outside: true\n');
  symlinkSync(outside, path.join(infra, 'escape'));
  symlinkSync(path.join(outside, 'target.yaml'), path.join(infra, 'link.yaml'));
  symlinkSync(path.join(repo, '.git'), path.join(infra, 'gitlink'));
  const gitBefore = snapshot(path.join(repo, '.git'));
  const infraBefore = snapshot(infra);
  return {
    repo, infra, outside,
    /** Nothing outside changed, .git untouched, and (unless told otherwise) the infra root as it was. */
    untouched(infraToo = true) {
      assert.deepEqual(readdirSync(outside), ['target.yaml'], 'nothing new outside the infra root');
      assert.equal(readFileSync(path.join(outside, 'target.yaml'), 'utf8'), 'outside: true\n');
      assert.deepEqual(snapshot(path.join(repo, '.git')), gitBefore, '.git untouched');
      if (infraToo) assert.deepEqual(snapshot(infra), infraBefore, 'infra root unchanged');
    },
  };
}

const activities = createActivities({ stateDir: mkdtempSync(path.join(os.tmpdir(), 'ii-state-')), implementers: defaultImplementers });
const run = <A, R>(fn: (a: A) => Promise<R>, arg: A) => new MockActivityEnvironment().run(fn, arg) as Promise<R>;
const ops = (...paths: string[]): ChangeSet => ({ operations: paths.map((p) => ({ path: p, action: 'write', content: 'x: 1\n', phase: 'base' })), assumptions: [], dependencies: [] });

describe('hostile input', () => {
  const applyCases: [string, string, RegExp][] = [
    ['a ".." path from the implementer', '../outside.yaml', /must not contain "\.\." segments/],
    ['a nested ".." path', 'apps/../../x.yaml', /must not contain "\.\." segments/],
    ['a backslash ".." path', 'apps\\..\\..\\x.yaml', /must not contain "\.\." segments/],
    ['an absolute path', '/etc/cron.d/evil', /must be relative to the infra root/],
    ['a Windows absolute path', 'C:\\Windows\\evil.yaml', /must be relative to the infra root/],
    ['a path into .git', '.git/hooks/pre-commit', /must not point into \.git/],
    ['a nested .git folder', 'apps/.git/config', /must not point into \.git/],
    ['a path through a symlinked folder leaving the root', 'escape/evil.yaml', /goes through a symlink that leaves the infra root/],
    ['a symlinked file pointing outside', 'link.yaml', /goes through a symlink that leaves the infra root/],
    ['a symlink to the repository\'s .git', 'gitlink/config', /leaves the infra root|points into \.git/],
    ['a name with shell metacharacters', '$(touch pwned).yaml', /no spaces or shell metacharacters/],
    ['a name with a backtick', 'apps/`id`.yaml', /no spaces or shell metacharacters/],
    ['a name with a newline', 'apps/a\nb.yaml', /must not contain NUL or newline/],
    ['a name with NUL', 'apps/a\0.yaml', /must not contain NUL or newline/],
    ['a name with a semicolon and spaces', 'a; rm -rf ~.yaml', /no spaces or shell metacharacters/],
    ['an empty path', '', /must not be empty/],
  ];
  for (const [name, p, message] of applyCases) {
    it(`applyChangeSet refuses ${name}`, async () => {
      const w = await world();
      // The unsafe path comes second: the whole change set is refused, the safe first write included.
      await assert.rejects(run(activities.applyChangeSet, { infraRoot: w.infra, changeSet: ops('apps/ok.yaml', p), journalKey: `hostile-${name}` }), (e: Error) => message.test(e.message));
      w.untouched();
    });
  }

  it('restoreChanges refuses a journal entry outside the root', async () => {
    const w = await world();
    await assert.rejects(run(activities.restoreChanges, { infraRoot: w.infra, entries: [{ path: 'escape/target.yaml', before: null }] }), /leaves the infra root/);
    w.untouched();
  });

  it('an infra root that is a file is refused', async () => {
    const w = await world();
    await assert.rejects(run(activities.readScope, { infraRoot: path.join(w.infra, 'apps/staging/kustomization.yaml'), files: [] }), /is not a folder/);
    w.untouched();
  });

  it('non-UTF-8 and binary scope files are marked, not fed to the implementer as text', async () => {
    const w = await world();
    writeFileSync(path.join(w.infra, 'latin1.yaml'), Buffer.from([0x61, 0x3a, 0x20, 0xe9, 0xe8, 0x0a]));
    writeFileSync(path.join(w.infra, 'blob.bin'), Buffer.from([0, 1, 2, 3, 255, 0]));
    const scope = await run(activities.readScope, { infraRoot: w.infra, files: ['latin1.yaml', 'blob.bin'] });
    for (const f of scope) {
      assert.equal(f.truncated, true);
      assert.match(f.content ?? '', /binary or non-UTF-8 file: content not shown/);
    }
    w.untouched(false);
  });

  it('a 50 MB scope file is refused with its size', async () => {
    const w = await world();
    writeFileSync(path.join(w.infra, 'huge.yaml'), Buffer.alloc(50 * 1024 * 1024, 0x61));
    await assert.rejects(run(activities.readScope, { infraRoot: w.infra, files: ['huge.yaml'] }), /52428800 bytes, over the 2097152-byte limit/);
    rmSync(path.join(w.infra, 'huge.yaml'));
    w.untouched();
  });

  it('a YAML bomb in the repository neither hangs nor is learned from, and check reports it', async () => {
    const w = await world();
    const bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    writeFileSync(path.join(w.infra, 'apps/bomb.yaml'), `${bomb.join('\n')}\n`);
    const { profile } = await run(activities.surveyPatterns, { infraRoot: w.infra });
    assert.equal(profile.kinds.Deployment?.length, 1, 'the survey still sees the real repository');
    const r = await execa('node', [BIN, 'check', w.infra, '--format', 'json'], { reject: false });
    assert.equal(r.exitCode, 1);
    const failed = JSON.parse(String(r.stdout)).validations.find((v: { target: string }) => v.target === 'apps/bomb.yaml');
    assert.equal(failed?.status, 'fail');
    assert.match(failed?.message, /alias/i);
    w.untouched(false);
  });

  it('invalid YAML in the existing repository is reported with file:line, not learned from', async () => {
    const w = await world();
    writeFileSync(path.join(w.infra, 'apps/base/catalog/broken.yaml'), 'kind: Service\nmetadata: {name: x\n');
    const { profile } = await run(activities.surveyPatterns, { infraRoot: w.infra });
    assert.ok(!profile.kinds.Service?.includes('apps/base/catalog/broken.yaml'));
    const r = await execa('node', [BIN, 'check', w.infra, '--format', 'json'], { reject: false });
    const failed = JSON.parse(String(r.stdout)).validations.find((v: { target: string }) => v.target === 'apps/base/catalog/broken.yaml');
    assert.equal(failed?.status, 'fail');
    assert.match(failed?.message, /broken\.yaml:\d+:\d+/);
    w.untouched(false);
  });

  it('a kustomization that references outside the repository fails its build clearly', async () => {
    const w = await world();
    mkdirSync(path.join(w.infra, 'apps/sneaky'));
    writeFileSync(path.join(w.infra, 'apps/sneaky/kustomization.yaml'), `resources:\n  - ${path.relative(path.join(w.infra, 'apps/sneaky'), w.outside)}/target.yaml\n`);
    // Deployed by a Flux Kustomization of the bootstrapped cluster: a folder nothing deploys is not built at all.
    writeFileSync(path.join(w.infra, 'clusters/production/sneaky.yaml'), 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: sneaky\n  namespace: flux-system\nspec:\n  interval: 10m\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  path: ./apps/sneaky\n  prune: true\n');
    const r = await execa('node', [BIN, 'check', w.infra, '--format', 'json'], { reject: false });
    assert.equal(r.exitCode, 1);
    const failed = JSON.parse(String(r.stdout)).validations.find((v: { validator: string; target: string }) => v.validator === 'kustomize' && v.target === 'apps/sneaky');
    assert.equal(failed?.status, 'fail');
    assert.match(failed?.message, /outside|security|not in or below/i);
    w.untouched(false);
  });

  it('a spec with a YAML bomb, unknown fields or metacharacters is refused by the CLI (exit 2)', async () => {
    const w = await world();
    const cases: [string, RegExp][] = [
      ['service: orders\nimage: x:1\nextra: 1\n', /Unrecognized key/i],
      ['service: "orders; rm -rf /"\nimage: x:1\n', /DNS-1123/],
      ['service: orders\nimage: "x:1\\nrm"\n', /image/],
      [`a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [${Array(10).fill('*a').join(',')}]\nc: &c [${Array(10).fill('*b').join(',')}]\nd: [${Array(200).fill('*c').join(',')}]\n`, /alias|Excessive|invalid/i],
    ];
    for (const [text, message] of cases) {
      const spec = path.join(w.outside, 'spec.yaml');
      writeFileSync(spec, text);
      const r = await execa('node', [BIN, 'implement', '--feature', 'f', '--scope', 's', '--infra-root', w.infra, '--spec', spec], { reject: false, env: { TEMPORAL_ADDRESS: '127.0.0.1:1' } });
      assert.equal(r.exitCode, 2, String(r.stderr));
      assert.match(String(r.stderr), message);
      rmSync(spec);
    }
    w.untouched();
  });
});

describe('hostile input through a whole run', () => {
  let server: TestServer;
  before(async () => { server = await startTestServer(); });
  after(async () => { await server?.stop(); });

  async function runWith(implementer: Parameters<TestServer['worker']>[0], infra: string, spec?: ServiceSpec) {
    const { worker, taskQueue } = await server.worker(implementer);
    const input = ImplementorInput.parse({ featureDescription: 'f', scope: 'hostile', infraRoot: infra, implementer: spec ? 'scaffold' : 'evil', ...(spec ? { spec } : {}) });
    return worker.runUntil(server.env.client.workflow.execute(IMPLEMENTOR_WORKFLOW, { taskQueue, workflowId: `hostile-${Date.now()}`, args: [input] }));
  }

  it('an implementer proposing a write into .git fails the run clearly and restores what it wrote', async () => {
    const w = await world();
    const evil = {
      name: 'evil',
      implementPhase: async (_c: unknown, phase: string) => ({ changeSet: phase === 'base' ? write('apps/base/catalog/extra.yaml', 'a: 1\n', 'base') : phase === 'overlay' ? write('.git/hooks/post-checkout', '#!/bin/sh\n', 'overlay') : { operations: [], assumptions: [], dependencies: [] } }),
      fix: async () => ({ changeSet: { operations: [], assumptions: [], dependencies: [] } }),
    };
    const report = await runWith({ implementers: { evil: () => evil as never } }, w.infra);
    assert.equal(report.status, 'failed');
    assert.match(report.summary, /unsafe path ".git\/hooks\/post-checkout": must not point into \.git\. The repository was restored\./);
    w.untouched();
  });

  it('a scope file that vanishes mid-run ends with a clear error and the repository restored', async () => {
    const w = await world();
    const scaffold = createScaffoldImplementer();
    const vanishing = {
      ...scaffold,
      async implementPhase(ctx: never, phase: never, repo: never) {
        if (phase === 'overlay') rmSync(path.join(w.infra, 'apps/staging/kustomization.yaml'));
        return scaffold.implementPhase(ctx, phase, repo);
      },
    };
    const spec = ServiceSpec.parse({ service: 'orders', image: 'ghcr.io/acme/orders:1.0.0', port: 8080 });
    const report = await runWith({ implementers: { scaffold: () => vanishing } }, w.infra, spec);
    assert.equal(report.status, 'failed');
    assert.match(report.summary, /apps\/staging\/kustomization\.yaml disappeared since the repository was surveyed/);
    // Everything the run wrote is gone; only the file the "user" deleted is missing.
    await git(w.repo, 'show', 'HEAD:infra/apps/staging/kustomization.yaml').then((t) => writeFileSync(path.join(w.infra, 'apps/staging/kustomization.yaml'), `${t}\n`));
    w.untouched();
  });
});
