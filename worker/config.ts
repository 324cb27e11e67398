// Configuration from the environment, validated with zod once at start-up: a wrong value stops the
// program with a message naming the variable.
import { z } from 'zod';
import { parseCodecKeys } from '../core/payload-codec';

const Env = z.object({
  TEMPORAL_ADDRESS: z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port, e.g. localhost:7233').default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('infra-implementor'),
  TEMPORAL_CLI_PATH: z.string().min(1).optional(),
  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  ANTHROPIC_BASE_URL: z.url({ message: 'must be a URL such as https://api.anthropic.com' }).optional(),
  ANTHROPIC_MODEL: z.string().min(1).optional(),
  INFRA_IMPLEMENTOR_STATE_DIR: z.string().min(1).optional(),
  // The worker's own queue for worktree activities; by default `<queue>@<host>-<hash of the state
  // dir>`. Set it where the host name changes across restarts (containers) but the state dir stays.
  INFRA_IMPLEMENTOR_HOST_QUEUE: z.string().regex(/^\S+$/, 'must be a task queue name without spaces, e.g. infra-implementor@worker-0').optional(),
  // Where git, kubectl, helm and sops start: a small helper process (the default), or the worker itself.
  INFRA_IMPLEMENTOR_LAUNCHER: z.enum(['process', 'inline'], { message: 'must be process (the default) or inline' }).optional(),
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
