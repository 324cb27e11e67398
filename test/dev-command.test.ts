// `infra-implementor dev` as a user runs it: an embedded dev server with its Web UI and a worker;
// `implement --wait` against it completes, the UI answers, Ctrl-C stops everything.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { freePort } from './helpers/net';
import { EXAMPLES, PROJECT_ROOT, gitCopy } from './helpers/repo';

const BIN = path.join(PROJECT_ROOT, 'bin/infra-implementor.js');


describe('infra-implementor dev', () => {
  it('serves Temporal, the Web UI and a worker until interrupted', async () => {
    const [port, uiPort] = [await freePort(), await freePort()];
    const taskQueue = `dev-${Date.now()}`;
    const env = { TEMPORAL_TASK_QUEUE: taskQueue, TEMPORAL_ADDRESS: `127.0.0.1:${port}` };
    const dev = execa('node', [BIN, 'dev', '--port', String(port), '--ui-port', String(uiPort)], { env, reject: false });
    let stderr = '';
    dev.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    try {
      for (let i = 0; i < 300 && !/worker polling/.test(stderr); i++) await sleep(100);
      assert.match(stderr, new RegExp(`Web UI at http://localhost:${uiPort}`));
      const ui = await fetch(`http://127.0.0.1:${uiPort}/`);
      assert.equal(ui.status, 200, 'the Web UI answers');
      const repo = await gitCopy(EXAMPLES);
      const run = await execa('node', [BIN, 'implement', '--feature', 'Add orders', '--scope', 'orders', '--infra-root', path.join(repo, 'infra'), '--spec', path.join(EXAMPLES, 'orders.spec.yaml'), '--wait', '--json'], { env, reject: false });
      assert.equal(run.exitCode, 0, String(run.stderr));
      assert.equal(JSON.parse(String(run.stdout)).status, 'succeeded');
    } finally {
      dev.kill('SIGINT');
    }
    // The process ends by itself on SIGINT (a hang here times the test out), taking the server along.
    await dev;
    await assert.rejects(fetch(`http://127.0.0.1:${uiPort}/`), 'the UI is gone after Ctrl-C');
  });

  it('worker serves its health probes while polling, and stops on SIGTERM', async () => {
    const [port, uiPort, healthPort] = [await freePort(), await freePort(), await freePort()];
    const dev = execa('node', [BIN, 'dev', '--port', String(port), '--ui-port', String(uiPort)], { env: { TEMPORAL_TASK_QUEUE: `dev2-${Date.now()}` }, reject: false });
    let devErr = '';
    dev.stderr?.on('data', (d: Buffer) => { devErr += d.toString(); });
    for (let i = 0; i < 300 && !/worker polling/.test(devErr); i++) await sleep(100);
    const worker = execa('node', [BIN, 'worker'], {
      env: { TEMPORAL_ADDRESS: `127.0.0.1:${port}`, TEMPORAL_TASK_QUEUE: `w-${Date.now()}`, INFRA_IMPLEMENTOR_HEALTH_PORT: String(healthPort) },
      reject: false,
    });
    let workerErr = '';
    worker.stderr?.on('data', (d: Buffer) => { workerErr += d.toString(); });
    worker.stdout?.on('data', (d: Buffer) => { workerErr += d.toString(); });
    try {
      let ready = 0;
      for (let i = 0; i < 300 && ready !== 200; i++) {
        ready = await fetch(`http://127.0.0.1:${healthPort}/readyz`).then((r) => r.status, () => 0);
        if (ready !== 200) await sleep(100);
      }
      assert.equal(ready, 200, `ready once both workers poll (worker said: ${workerErr})`);
      assert.equal((await fetch(`http://127.0.0.1:${healthPort}/healthz`)).status, 200);
    } finally {
      worker.kill('SIGTERM');
      await worker;
      dev.kill('SIGINT');
      await dev;
    }
    await assert.rejects(fetch(`http://127.0.0.1:${healthPort}/healthz`), 'the health endpoint stops with the worker');
  });
});
