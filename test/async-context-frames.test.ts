// worker/async-context-frames.ts: AsyncLocalStorage as one frame per async context, in real worker
// threads. The same script runs on Node's class and on the frames and must print the same values;
// a promise must carry one storage property, not one per enabled storage; and the SDK's workflow
// thread entry (a file of that name) gets the frames while other threads keep Node's class.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import workerThreads from 'node:worker_threads';
import { FRAMES_EXEC_ARGV, inWorkflowThreads } from '../worker/async-context-frames';

/** What the thread reports: the values seen through the storages, and the symbols on a fresh promise. */
const SCRIPT = `
const { AsyncLocalStorage } = require('node:async_hooks');
const { parentPort } = require('node:worker_threads');
const seen = [];
const a = new AsyncLocalStorage(), b = new AsyncLocalStorage();
const many = Array.from({ length: 50 }, () => new AsyncLocalStorage());
many.forEach((s, i) => s.enterWith(i));
(async () => {
  await a.run('a1', async () => {
    seen.push(['in run', a.getStore(), b.getStore()]);
    await b.run('b1', async () => {
      await new Promise((r) => setTimeout(r, 1));
      seen.push(['nested after a timer', a.getStore(), b.getStore()]);
      a.exit(() => seen.push(['exit', a.getStore(), b.getStore()]));
      seen.push(['after exit', a.getStore()]);
    });
    seen.push(['b left', a.getStore(), b.getStore()]);
    const later = a.run('a2', () => new Promise((r) => setImmediate(() => r(a.getStore()))));
    seen.push(['setImmediate in a2', await later, a.getStore()]);
    a.disable();
    seen.push(['disabled', a.getStore()]);
    a.enterWith('a3');
    seen.push(['enterWith after disable', a.getStore()]);
  });
  seen.push(['outside', a.getStore(), many[7].getStore()]);
  const bound = AsyncLocalStorage.bind(() => b.getStore());
  seen.push(['bind outside', b.run('b2', () => bound())]);
  const promise = Promise.resolve();
  parentPort.postMessage({ seen, promiseSymbols: Object.getOwnPropertySymbols(promise).length, frames: AsyncLocalStorage.frames === true });
})();
`;

interface Report { seen: unknown[]; promiseSymbols: number; frames: boolean }

function runThread(file: string, options?: workerThreads.WorkerOptions): Promise<Report> {
  return new Promise((resolve, reject) => {
    const w = new workerThreads.Worker(file, options);
    w.once('message', (m: Report) => { resolve(m); void w.terminate(); });
    w.once('error', reject);
  });
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'ii-frames-'));
const plain = path.join(dir, 'script.cjs');
writeFileSync(plain, SCRIPT);

test('the frames give every storage the values Node gives it, with one property per promise', async () => {
  const native = await runThread(plain);
  const frames = await runThread(plain, { execArgv: [...process.execArgv, ...FRAMES_EXEC_ARGV] });
  assert.equal(native.frames, false);
  assert.equal(frames.frames, true);
  assert.deepEqual(frames.seen, native.seen);
  // Sanity of the script itself: the values are the ones the scopes set.
  assert.deepEqual(native.seen[1], ['nested after a timer', 'a1', 'b1']);
  assert.deepEqual(native.seen[2], ['exit', undefined, 'b1']);
  assert.deepEqual(native.seen.at(-2), ['outside', undefined, 7]);
  // 52 enabled storages: Node writes each one onto the promise; the frames write one (beside the
  // two async ids async_hooks puts on every promise while a hook is on, in both threads).
  assert.ok(native.promiseSymbols >= 52, `Node's class: ${native.promiseSymbols} symbols on a promise`);
  assert.equal(native.promiseSymbols - frames.promiseSymbols, 51);
});

test("the SDK's workflow threads start with the frames, other threads with Node's class", async () => {
  const sdkThread = path.join(dir, 'node_modules/@temporalio/worker/lib/workflow/workflow-worker-thread.js');
  mkdirSync(path.dirname(sdkThread), { recursive: true });
  writeFileSync(sdkThread, SCRIPT);
  inWorkflowThreads();
  inWorkflowThreads(); // idempotent: one wrapper
  assert.equal((await runThread(sdkThread)).frames, true);
  assert.equal((await runThread(plain)).frames, false);
  // A caller's own execArgv is left alone.
  assert.equal((await runThread(sdkThread, { execArgv: [] })).frames, false);
});
