// A bounded pool: at most `size` tasks at once, results in input order, stopping early on abort.
import os from 'node:os';

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
