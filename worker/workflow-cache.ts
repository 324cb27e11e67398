// How many runs a worker keeps in its workflow cache. A cached run answers its next workflow task
// at once; an evicted one is replayed from its history first (CPU and a history fetch). The SDK's
// default assumes ~1.7 MB of heap per cached run and counts the main thread's heap limit minus
// 200 MB, so the image's smaller V8 heap (Dockerfile NODE_OPTIONS) would have cut the cache below
// 100 runs and made a busy worker replay. Sized instead from the heap a cached run was measured to
// hold in the workflow thread (bench/memory.ts, production bundle, worker/async-context-frames.ts),
// so that a full cache fills at most half of the thread's heap limit (the other half is room for
// garbage between collections). INFRA_IMPLEMENTOR_MAX_CACHED_WORKFLOWS overrides it.
import v8 from 'node:v8';

/**
 * Heap one cached run holds in the workflow thread: `npm run bench:memory` measured 505 KB (each
 * bundle in a fresh process, on `590e5f4`; 764 KB with Temporal's OpenTelemetry workflow
 * interceptors, 457 KB with no interceptor). Rounded up: the bench measures a run parked in its first
 * model turn, and a run's state grows over its life (journal, questions, usage).
 */
export const HEAP_PER_CACHED_RUN_MB = 0.6;
/** The workflow thread's heap with no run cached: the bundle (twice, code and source map), the SDK. */
export const WORKFLOW_THREAD_BASE_MB = 25;

/** The cache for a heap limit (MB; default: this process's, which the workflow threads share). */
export function defaultMaxCachedWorkflows(heapLimitMb = v8.getHeapStatistics().heap_size_limit / 2 ** 20): number {
  return Math.max(2, Math.floor((heapLimitMb / 2 - WORKFLOW_THREAD_BASE_MB) / HEAP_PER_CACHED_RUN_MB));
}
