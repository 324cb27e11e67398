// `infra-implementor check <dir>`: validators and compliance on a repository, no LLM, no Temporal.
// Exit codes (DESIGN.md): 0 clean, 1 a finding of severity error or a failed validation (or, with
// --strict, a skip that hides workloads), 2 bad input or a required tool missing, 3 nothing could be validated.
import { createRequire } from 'node:module';
import { UnknownCheckError } from '../core/compliance';
import { KUBE_VERSION, RepositoryNotFoundError, validateRepository } from '../validation';
import { toolbox } from '../validation/tools';
import { honestyVerdict } from './check-honesty';
import { renderSarif } from './check-sarif';
import { renderText, type CheckReport } from './check-text';

/** A Flux release: `2.9`, `v2.9` or `2.9.1` (only the minor counts). */
const FLUX_VERSION = /^v?\d+\.\d+(\.\d+)?$/;

export const CHECK_FORMATS = ['text', 'json', 'sarif'] as const;
export type CheckFormat = (typeof CHECK_FORMATS)[number];

export interface CheckOptions {
  format: CheckFormat;
  /** Where the report goes; stdout unless a test captures it. */
  write?: (text: string) => void;
  /** Where usage errors go; stderr unless a test captures it. */
  writeError?: (text: string) => void;
  /** Kubernetes version charts are rendered for. */
  kubeVersion?: string;
  /** Flux minor version the cluster runs: which Flux APIs are removed, whether substitution is strict. */
  fluxVersion?: string;
  /** Any skip that hides workloads (a release or build not rendered) fails the check. */
  strict?: boolean;
  /** Charts (`<name>-<version>.tgz`) looked at before the cache and the network. */
  chartDir?: string | undefined;
  /** Nothing fetched: chart dir and cache only. */
  offline?: boolean;
  /** Ids of the compliance checks to run (default all; no CLI flag: the bench times subsets with it). */
  checks?: readonly string[];
}

export function exitCodeOf(r: CheckReport): 0 | 1 {
  const failed = r.validations.some((v) => v.status === 'fail');
  const errors = r.findings.some((f) => f.suppressed === undefined && f.severity === 'error');
  return failed || errors ? 1 : 0;
}

const version = (): string => (createRequire(import.meta.url)('../package.json') as { version: string }).version;

export async function runCheckCommand(dir: string, opts: CheckOptions): Promise<number> {
  const write = opts.write ?? ((t: string) => void process.stdout.write(t));
  const writeError = opts.writeError ?? ((t: string) => void process.stderr.write(t));
  if (!(CHECK_FORMATS as readonly string[]).includes(opts.format)) {
    writeError(`check: --format must be one of ${CHECK_FORMATS.join(', ')} (got "${String(opts.format)}")\n`);
    return 2;
  }
  if (opts.kubeVersion !== undefined && !KUBE_VERSION.test(opts.kubeVersion)) {
    writeError(`check: --kube-version must be a Kubernetes version such as 1.34.0 (got "${opts.kubeVersion}")\n`);
    return 2;
  }
  if (opts.fluxVersion !== undefined && !FLUX_VERSION.test(opts.fluxVersion)) {
    writeError(`check: --flux-version must be a Flux version such as 2.9 (got "${opts.fluxVersion}")\n`);
    return 2;
  }
  let report: CheckReport;
  try {
    report = await validateRepository({
      root: dir, ...(opts.kubeVersion ? { kubeVersion: opts.kubeVersion } : {}),
      ...(opts.fluxVersion ? { fluxVersion: opts.fluxVersion.replace(/^v/, '') } : {}),
      fetch: { ...(opts.chartDir ? { chartDir: opts.chartDir } : {}), ...(opts.offline ? { offline: true } : {}) },
      ...(opts.checks ? { checks: opts.checks } : {}),
    });
  } catch (e) {
    if (e instanceof RepositoryNotFoundError) {
      writeError(`check: ${e.message}: give the folder of an infrastructure repository\n`);
      return 2;
    }
    if (e instanceof UnknownCheckError) {
      writeError(`check: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (opts.format === 'json') write(`${JSON.stringify({ validations: report.validations, findings: report.findings }, null, 2)}\n`);
  else if (opts.format === 'sarif') write(`${JSON.stringify(renderSarif(report, version()), null, 2)}\n`);
  else write(renderText(report));
  const code = exitCodeOf(report);
  const verdict = honestyVerdict(report.validations, await toolbox(), opts.strict === true);
  // A missing tool is the machine's fault (2) and says so first; else findings (1) outrank the rest.
  if (verdict && (verdict.code === 2 || code === 0)) {
    writeError(`${verdict.why}\n`);
    return verdict.code;
  }
  return code;
}
