// Grep over texts the model may see, in a worker thread with a deadline: the pattern is the model's,
// and a JavaScript regular expression can backtrack for ever on one line. The thread is stopped when
// the deadline passes and the model is told to write a simpler pattern.
import { Worker } from 'node:worker_threads';

export interface GrepHit {
  path: string;
  line: number;
  text: string;
}

export type GrepOutcome = { ok: true; hits: GrepHit[]; more: number } | { ok: false; error: string };

// Plain JavaScript, evaluated in the thread: no module loading, so it runs the same under tsx and from dist/.
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const { pattern, files, max } = workerData;
const re = new RegExp(pattern);
const hits = [];
let more = 0;
for (const f of files) {
  const lines = f.text.split('\\n');
  for (let i = 0; i < lines.length; i++) {
    if (!re.test(lines[i])) continue;
    if (hits.length < max) hits.push({ path: f.path, line: i + 1, text: lines[i] });
    else more++;
  }
}
parentPort.postMessage({ hits, more });
`;

export async function grep(pattern: string, files: { path: string; text: string }[], opts: { max: number; timeoutMs: number }): Promise<GrepOutcome> {
  try {
    new RegExp(pattern);
  } catch (e) {
    return { ok: false, error: `the pattern is not a valid JavaScript regular expression: ${(e as Error).message}` };
  }
  const worker = new Worker(THREAD, { eval: true, workerData: { pattern, files, max: opts.max } });
  return new Promise<GrepOutcome>((resolve) => {
    const timer = setTimeout(() => {
      void worker.terminate();
      resolve({ ok: false, error: `the search took longer than ${opts.timeoutMs / 1000} s and was stopped: the pattern may backtrack badly; write a simpler one or narrow path/glob` });
    }, opts.timeoutMs);
    worker.once('message', (m: { hits: GrepHit[]; more: number }) => {
      clearTimeout(timer);
      resolve({ ok: true, hits: m.hits, more: m.more });
      void worker.terminate();
    });
    worker.once('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, error: `the search failed: ${e.message}` });
    });
  });
}
