// Bounded concurrency: a pool for the targets of one validation (results in input order, stopping
// early on abort), and the process-wide queue that validations wait in.
import os from 'node:os';
import PQueue from 'p-queue';
import { context } from '@opentelemetry/api';

export const defaultPoolSize = (): number => Math.max(1, os.availableParallelism());

export async function mapPool<T, R>(
  items: readonly T[],
  size: number,
  fn: (item: T) => Promise<R>,
  opts: { signal?: AbortSignal; onDone?: () => void } = {},
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      opts.signal?.throwIfAborted();
      const i = next++;
      results[i] = await fn(items[i] as T);
      opts.onDone?.();
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, size), items.length) }, worker));
  return results;
}

/**
 * Validations a worker runs at once. Each is CPU work (kustomize/helm processes, schema checks):
 * a hundred started together on 2 cores only thrash (100 concurrent validations of examples/ take
 * 2.8× longer than the same run 4 at a time) and each holds its parsed repository meanwhile. The
 * rest wait here, heartbeating, and leave the queue when cancelled.
 */
export const validationQueue = new PQueue({ concurrency: Math.max(2, 2 * defaultPoolSize()) });

export async function inValidationQueue<T>(
  fn: () => Promise<T>, opts: { signal?: AbortSignal; onWait?: () => void; waitBeatMs?: number } = {},
): Promise<T> {
  const waiting = opts.onWait ? setInterval(opts.onWait, opts.waitBeatMs ?? 10_000) : undefined;
  try {
    // The queue starts a waiting job from whichever job just finished: bound to its caller's
    // context, the job's spans stay under the activity that queued it, not under that other one.
    return await validationQueue.add(context.bind(context.active(), async () => {
      clearInterval(waiting);
      opts.signal?.throwIfAborted();
      return fn();
    }), opts.signal ? { signal: opts.signal } : {});
  } finally {
    clearInterval(waiting);
  }
}
