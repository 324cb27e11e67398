// Durations as people write them (30s, 15m, 24h, 2d): one grammar for inputs, CLI flags and the
// workflows' deadlines. Pure and sandbox-safe.
export const DURATION_PATTERN = /^(\d+)(ms|s|m|h|d)$/;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration, or undefined when it is not one. */
export function durationMs(duration: string): number | undefined {
  const m = DURATION_PATTERN.exec(duration);
  return m ? Number(m[1]) * (UNIT_MS[m[2] as string] as number) : undefined;
}
