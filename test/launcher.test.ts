// The launcher runs every external command in its own small process (runtime/launcher.ts): real
// commands through the real helper, what they see (cwd, environment, stdin), every way they can end
// (exit code, missing file, timeout, cancel), the helper dying under a command and coming back, the
// helper ending with the worker, and the in-process fallback.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { launch, launcherPid, stopLauncher } from '../runtime/launcher';
import { PROJECT_ROOT } from './helpers/repo';
import { ConfigError, loadConfig } from '../worker/config';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'ii-launcher-'));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
async function gone(pid: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (!alive(pid)) return true;
    await sleep(50);
  }
  return !alive(pid);
}

describe('launcher', () => {
  after(() => stopLauncher());

  it('runs a command in the helper process, with its output, exit code and stdin', async () => {
    const helper = await launcherPid();
    assert.ok(helper && helper !== process.pid, 'a helper process runs');
    const r = await launch('sh', ['-c', 'echo "$PPID"; cat; echo oops >&2; exit 3'], { input: 'from stdin' });
    assert.equal(r.exitCode, 3);
    assert.equal(r.failed, true);
    assert.equal(r.stdout, `${helper}\nfrom stdin`, 'the command is a child of the helper, not of this process');
    assert.equal(r.stderr, 'oops');
    assert.match(r.message ?? '', /exit code 3/);

    const bytes = await launch('cat', [], { input: new Uint8Array([0, 255, 10, 104]), encoding: 'buffer', stripFinalNewline: false });
    assert.deepEqual([...bytes.stdout], [0, 255, 10, 104], 'bytes cross both ways intact');
    const big = await launch('sh', ['-c', 'head -c 6000000 /dev/zero | tr "\\0" x']);
    assert.equal(big.stdout.length, 6_000_000);
  });

  it('gives the command this process\'s working directory and environment as they are now', async () => {
    await launcherPid(); // the helper started before the variable below existed
    const dir = tmp();
    process.env.II_LAUNCHER_TEST = 'set-after-start';
    try {
      const r = await launch('sh', ['-c', 'pwd; echo "$II_LAUNCHER_TEST/$EXTRA"'], { cwd: dir, env: { EXTRA: 'extra' } });
      assert.equal(r.stdout, `${dir}\nset-after-start/extra`);
      const bare = await launch('sh', ['-c', 'echo "${II_LAUNCHER_TEST:-unset}/$ONLY"'], { env: { ONLY: 'only', PATH: process.env.PATH }, extendEnv: false });
      assert.equal(bare.stdout, 'unset/only', 'extendEnv: false passes only the given variables');
      const here = await launch('pwd', []);
      assert.equal(here.stdout, process.cwd());
    } finally {
      delete process.env.II_LAUNCHER_TEST;
    }
  });

  it('reports a missing program, a timeout and a cancel as results, and stops the process', async () => {
    const missing = await launch('ii-no-such-program', ['x']);
    assert.equal(missing.failed, true);
    assert.equal(missing.code, 'ENOENT');
    assert.match(missing.message ?? '', /ii-no-such-program/);

    const dir = tmp();
    const timedOut = await launch('sh', ['-c', `echo $$ > ${dir}/t.pid; exec sleep 30`], { timeout: 300 });
    assert.equal(timedOut.timedOut, true);
    assert.ok(await gone(Number(readFileSync(path.join(dir, 't.pid'), 'utf8')), 5000), 'the timed-out process was stopped');

    const abort = new AbortController();
    const started = Date.now();
    const running = launch('sh', ['-c', `echo $$ > ${dir}/c.pid; exec sleep 30`], { cancelSignal: abort.signal });
    while (!existsSync(path.join(dir, 'c.pid'))) await sleep(20);
    abort.abort();
    const canceled = await running;
    assert.equal(canceled.isCanceled, true);
    assert.ok(Date.now() - started < 10_000);
    assert.ok(await gone(Number(readFileSync(path.join(dir, 'c.pid'), 'utf8')), 5000), 'the cancelled process was stopped');

    const already = new AbortController();
    already.abort();
    assert.equal((await launch('sleep', ['30'], { cancelSignal: already.signal })).isCanceled, true);
  });

  it('fails a command whose helper dies, then starts a new helper for the next one', async () => {
    const first = await launcherPid();
    assert.ok(first);
    const dir = tmp();
    const running = launch('sh', ['-c', `touch ${dir}/started; exec sleep 30`]);
    while (!existsSync(path.join(dir, 'started'))) await sleep(20);
    process.kill(first, 'SIGKILL');
    await assert.rejects(running, /sh -c .*the launcher process exited \(SIGKILL\) while the command ran/);
    // Commands arriving together after the loss share one new helper.
    const next = await Promise.all(Array.from({ length: 4 }, () => launch('sh', ['-c', 'echo "$PPID"'])));
    assert.deepEqual(next.map((r) => r.exitCode), [0, 0, 0, 0]);
    assert.equal(new Set(next.map((r) => r.stdout)).size, 1, 'one helper runs them all');
    assert.notEqual(Number(next[0]?.stdout), first, 'a new helper runs them');
    assert.equal(Number(next[0]?.stdout), await launcherPid());
  });

  it('does not keep a finished process alive, and ends with the process that started it', async () => {
    const script = [
      `const { launch, launcherPid } = await import(${JSON.stringify(path.join(PROJECT_ROOT, 'runtime/launcher.ts'))});`,
      `const r = await launch('echo', ['done']);`,
      `console.log(r.stdout, await launcherPid());`,
      // With HOLD, stay alive (a ref'd timer) until killed.
      `if (process.env.HOLD) setInterval(() => {}, 1000);`,
    ].join('\n');
    const node = ['--import', 'tsx', '--input-type=module', '-e', script];
    const finished = await execa(process.execPath, node, { cwd: PROJECT_ROOT, timeout: 60_000, reject: false });
    assert.equal(finished.exitCode, 0, finished.stderr);
    const [word, helperPid] = finished.stdout.split(' ');
    assert.equal(word, 'done');
    assert.ok(await gone(Number(helperPid), 5000), 'the helper left with its parent');

    const held = execa(process.execPath, node, { cwd: PROJECT_ROOT, env: { HOLD: '1' }, reject: false, buffer: false });
    const line = await new Promise<string>((resolve) => held.stdout?.once('data', (d: Buffer) => resolve(d.toString().trim())));
    const heldHelper = Number(line.split(' ')[1]);
    assert.ok(alive(heldHelper));
    held.kill('SIGKILL'); // a worker killed outright
    await held;
    assert.ok(await gone(heldHelper, 5000), 'the helper noticed its parent was gone and left');
  });

  it('runs commands in this process with INFRA_IMPLEMENTOR_LAUNCHER=inline', async () => {
    process.env.INFRA_IMPLEMENTOR_LAUNCHER = 'inline';
    try {
      const r = await launch('sh', ['-c', 'echo "$PPID"']);
      assert.equal(Number(r.stdout), process.pid);
      assert.equal((await launch('ii-no-such-program', [])).code, 'ENOENT');
    } finally {
      delete process.env.INFRA_IMPLEMENTOR_LAUNCHER;
    }
    assert.equal(loadConfig({ INFRA_IMPLEMENTOR_LAUNCHER: 'inline' }).INFRA_IMPLEMENTOR_LAUNCHER, 'inline');
    assert.throws(() => loadConfig({ INFRA_IMPLEMENTOR_LAUNCHER: 'inlne' }), (e: Error) => e instanceof ConfigError && /INFRA_IMPLEMENTOR_LAUNCHER.*must be process \(the default\) or inline/.test(e.message));
  });
});
