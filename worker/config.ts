// Configuration from the environment, validated with zod once at start-up: a wrong value stops the
// program with a message naming the variable.
import { z } from 'zod';
import { parseCodecKeys } from '../core/payload-codec';
import { parsePriceTable } from '../core/pricing';

/** A `key=value,key=value` list, as OpenTelemetry's header and resource variables take. */
const KeyValueList = z.string().regex(/^\s*[^=,\s]+\s*=[^,]*(,\s*[^=,\s]+\s*=[^,]*)*$/, 'must be key=value pairs separated by commas, e.g. a=1,b=2');
const OtlpProtocol = z.enum(['http/protobuf'], { message: 'only http/protobuf is supported (OTLP over HTTP); use a collector to reach a gRPC endpoint' });

const Env = z.object({
  TEMPORAL_ADDRESS: z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port, e.g. localhost:7233').default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('infra-implementor'),
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  ANTHROPIC_BASE_URL: z.url({ message: 'must be a URL such as https://api.anthropic.com' }).optional(),
  ANTHROPIC_MODEL: z.string().min(1).optional(),
  INFRA_IMPLEMENTOR_STATE_DIR: z.string().min(1).optional(),
  // What Flux and Argo CD would fetch (charts, Git trees, remote files), kept by content; and charts
  // as `helm pull` writes them, looked at before the network (validation/fetch-cache.ts reads both).
  INFRA_IMPLEMENTOR_CACHE_DIR: z.string().min(1).optional(),
  INFRA_IMPLEMENTOR_CHART_DIR: z.string().min(1).optional(),
  // Where questions are announced: a JSON POST (Slack-compatible) when asked, at reminders, when answered.
  INFRA_IMPLEMENTOR_NOTIFY_URL: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL, e.g. https://hooks.slack.com/services/…' }).optional(),
  // A token for Git remotes over https, given to git by a credential helper (never in a run's input).
  INFRA_IMPLEMENTOR_GIT_TOKEN: z.string().min(1).optional(),
  // A token for the forge's API (pull requests); GITHUB_TOKEN, GITLAB_TOKEN or GITEA_TOKEN otherwise.
  INFRA_IMPLEMENTOR_FORGE_TOKEN: z.string().min(1).optional(),
  // The Temporal Web UI a pull request links its run in (default: the dev server's, http://localhost:8233).
  INFRA_IMPLEMENTOR_UI_URL: z.url({ protocol: /^https?$/, message: 'must be the http(s) URL of the Temporal Web UI, e.g. https://temporal.example.com' }).optional(),
  // The worker's own queue for worktree activities; by default `<queue>@<host>-<hash of the state
  // dir>`. Set it where the host name changes across restarts (containers) but the state dir stays.
  INFRA_IMPLEMENTOR_HOST_QUEUE: z.string().regex(/^\S+$/, 'must be a task queue name without spaces, e.g. infra-implementor@worker-0').optional(),
  // Where git, kubectl, helm and sops start: a small helper process (the default), or the worker itself.
  INFRA_IMPLEMENTOR_LAUNCHER: z.enum(['process', 'inline'], { message: 'must be process (the default) or inline' }).optional(),
  // Runs kept in the workflow cache (worker/workflow-cache.ts); beyond it, the least recent is evicted and replayed when it next has work.
  INFRA_IMPLEMENTOR_MAX_CACHED_WORKFLOWS: z.coerce.number({ message: 'must be a whole number of runs, 2 or more' }).int('must be a whole number of runs, 2 or more').min(2, 'must be a whole number of runs, 2 or more').optional(),
  INFRA_IMPLEMENTOR_CODEC_KEYS: z
    .string()
    .superRefine((v, ctx) => {
      try {
        parseCodecKeys(v);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message.replace(/^INFRA_IMPLEMENTOR_CODEC_KEYS: /, '') });
      }
    })
    .optional(),
  // Observability (worker/telemetry/): the Prometheus endpoint, log lines, LLM prices, and the
  // standard OpenTelemetry variables we read (the OTel SDK reads the same ones: they are checked
  // here so that a typo stops the program instead of silently disabling tracing).
  INFRA_IMPLEMENTOR_METRICS_PORT: z.coerce.number({ message: 'must be a port number from 1 to 65535' }).int().min(1, 'must be a port number from 1 to 65535').max(65535, 'must be a port number from 1 to 65535').optional(),
  INFRA_IMPLEMENTOR_LOG_FORMAT: z.enum(['json', 'text'], { message: 'must be json or text (default: text on a terminal, json otherwise)' }).optional(),
  INFRA_IMPLEMENTOR_LOG_LEVEL: z.string().transform((v) => v.toUpperCase()).pipe(z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR'], { message: 'must be debug, info, warn or error' })).optional(),
  INFRA_IMPLEMENTOR_LLM_PRICES: z.string().transform((v, ctx) => {
    try {
      return parsePriceTable(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  }).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/, message: 'must be the URL of an OTLP/HTTP receiver, e.g. http://otel-collector:4318' }).optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url({ protocol: /^https?$/, message: 'must be the full URL traces go to, e.g. http://otel-collector:4318/v1/traces' }).optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: OtlpProtocol.optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: OtlpProtocol.optional(),
  OTEL_EXPORTER_OTLP_HEADERS: KeyValueList.optional(),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: KeyValueList.optional(),
  OTEL_EXPORTER_OTLP_TIMEOUT: z.coerce.number({ message: 'must be milliseconds, e.g. 10000' }).int().positive('must be milliseconds, e.g. 10000').optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  OTEL_RESOURCE_ATTRIBUTES: KeyValueList.optional(),
  OTEL_SDK_DISABLED: z.enum(['true', 'false'], { message: 'must be true or false' }).optional(),
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'none'], { message: 'must be otlp or none' }).optional(),
  OTEL_TRACES_SAMPLER: z.enum(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'], {
    message: 'must be always_on, always_off, traceidratio or a parentbased_ variant',
  }).optional(),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number({ message: 'must be a ratio from 0 to 1' }).min(0, 'must be a ratio from 0 to 1').max(1, 'must be a ratio from 0 to 1').optional(),
});
export type Config = z.infer<typeof Env>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty variables count as unset, as shells often export them that way.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = Env.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`${issue?.path.join('.')}: ${issue?.message}`);
  }
  return parsed.data;
}
