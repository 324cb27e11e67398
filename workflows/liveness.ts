// How long a worker may stay silent before its activity is retried elsewhere. The worker beats for
// every activity it runs (worker/liveness.ts), so only a dead worker misses it.
export const LIVENESS_TIMEOUT = '5s';
