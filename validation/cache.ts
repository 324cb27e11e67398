// Results keyed by a hash of everything that decides them (tool version, target, input contents).
// In memory: the worker and the CLI are single processes, and a stale entry is impossible because
// any change to an input changes the key. Bounded so a long-lived worker does not grow forever.
import { sha256 } from './snapshot';

const MAX_ENTRIES = 20_000;
const entries = new Map<string, unknown>();

export function cacheKey(parts: readonly string[]): string {
  return sha256(parts.join('\0'));
}

export function cached<T>(key: string): T | undefined {
  const v = entries.get(key) as T | undefined;
  if (v !== undefined) {
    entries.delete(key); // move to the back: least recently used leaves first
    entries.set(key, v);
  }
  return v;
}

export function remember<T>(key: string, value: T): T {
  entries.set(key, value);
  if (entries.size > MAX_ENTRIES) {
    const oldest = entries.keys().next().value;
    if (oldest !== undefined) entries.delete(oldest);
  }
  return value;
}

/** For tests and benchmarks that measure a cold run. */
export function clearValidationCache(): void {
  entries.clear();
}
