// The few functions of `semver` (a production dependency, already installed through
// @opentelemetry/sdk-trace-node) this project calls, typed here because @types/semver is not installed.
declare module 'semver' {
  interface Options { loose?: boolean; includePrerelease?: boolean }
  export function valid(version: string, options?: Options): string | null;
  export function validRange(range: string, options?: Options): string | null;
  export function maxSatisfying(versions: readonly string[], range: string, options?: Options): string | null;
  export function coerce(version: string): { version: string } | null;
}
