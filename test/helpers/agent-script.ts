// A repository with a free-form task for the agent, and a scripted model that explores it the way
// Claude does: the examples/ repository whose production overlay patches a file that does not exist,
// with a plaintext Secret planted beside the catalog service. Shared by the agent's workflow, crash
// and budget tests.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ImplementorInput } from '../../core/schemas';
import type { MessagesRequestBody, Scripted, ScriptedReply } from './fake-anthropic';
import { turn } from './fake-anthropic';
import { EXAMPLES, git, gitCopy } from './repo';

/** Values that must never leave: in no request body, nowhere in history. */
export const PLANTED = { password: 'planted-Pa55word-7f3a9c', token: 'planted-token-value-0b5e11' };
export const PLANTED_TOKEN_B64 = Buffer.from(PLANTED.token).toString('base64');
/** A line the agent writes: its content must not reach history either. */
export const WRITTEN_MARK = '# replicas for production, written by the agent 7c1e';

export const PROD_KUSTOMIZATION = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
# Production: more replicas, same manifests.
resources:
  - ../base/catalog
patches:
  - path: replicas.yaml
`;

export const REPLICAS_PATCH = `${WRITTEN_MARK}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: catalog
spec:
  replicas: 3 # REVIEW: the task asks for 3 replicas in production
`;

const SECRET = `apiVersion: v1
kind: Secret
metadata:
  name: catalog-db
type: Opaque
stringData:
  password: ${PLANTED.password}
data:
  token: ${PLANTED_TOKEN_B64}
`;

/** examples/ as a git repository with the broken overlay and the planted Secret; returns its infra root too. */
export async function agentRepo(): Promise<{ repo: string; infraRoot: string }> {
  const repo = await gitCopy(EXAMPLES);
  const infraRoot = path.join(repo, 'infra');
  writeFileSync(path.join(infraRoot, 'apps/production/kustomization.yaml'), PROD_KUSTOMIZATION);
  writeFileSync(path.join(infraRoot, 'apps/base/catalog/db-secret.yaml'), SECRET);
  writeFileSync(path.join(infraRoot, 'apps/base/catalog/kustomization.yaml'), 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: shop\nresources:\n  - deployment.yaml\n  - service.yaml\n  - db-secret.yaml\n');
  await git(repo, 'add', '-A');
  await git(repo, '-c', 'user.name=test', '-c', 'user.email=test@example.com', 'commit', '-q', '-m', 'broken production overlay, planted secret');
  return { repo, infraRoot };
}

export function agentInput(infraRoot: string, options: Record<string, unknown> = {}): ImplementorInput {
  return ImplementorInput.parse({
    featureDescription: 'Production must run 3 replicas of catalog',
    scope: 'catalog replicas',
    infraRoot, implementer: 'anthropic', options,
  });
}

/** The exploration, turn by turn, as the issue describes it; `cut` puts a reply cut at max_tokens before the Write. */
export function explorationScript(opts: { cut?: boolean } = {}): Scripted[] {
  return [
    turn(['Glob', { pattern: '**/kustomization.yaml' }]),
    turn(['Read', { file_path: 'apps/production/kustomization.yaml' }], ['Read', { file_path: 'apps/base/catalog/deployment.yaml' }]),
    turn(['Read', { file_path: 'apps/base/catalog/db-secret.yaml' }], ['Grep', { pattern: 'password', path: 'apps' }]),
    turn(['Write', { file_path: 'apps/production/replicas.yaml' }]),
    turn(['Read', { file_path: '../../../etc/passwd' }], ['Read', { file_path: '/etc/passwd' }]),
    ...(opts.cut ? [{ kind: 'turn' as const, calls: [{ name: 'Write', json: '{"file_path": "apps/production/replicas.yaml", "content": "apiVersion: apps/v1\\nkind: Depl' }], stopReason: 'max_tokens' as const }] : []),
    turn(['Write', { file_path: 'apps/production/replicas.yaml', content: REPLICAS_PATCH }]),
    turn(['Edit', { file_path: 'apps/production/kustomization.yaml', old_string: '# Production: more replicas, same manifests.', new_string: '# Production: 3 replicas of catalog (replicas.yaml).' }]),
    turn(['Validate', {}]),
    turn(['Finish', {
      summary: 'The production overlay patched replicas.yaml, which did not exist: I wrote it with 3 replicas for catalog.',
      assumptions: ['3 replicas apply to catalog only, the one service of the overlay'],
      dependencies: [],
    }]),
  ];
}

/**
 * A model playing one script per scope, for runs that call it at once (a feature's scopes): the
 * scope is read from the task, the step is the number of the model's own replies in the conversation.
 */
export function perScope(scripts: Record<string, ScriptedReply[]>): (body: MessagesRequestBody | undefined) => ScriptedReply {
  return (body) => {
    const system = Array.isArray(body?.system) ? body.system.map((b) => b.text).join('\n') : '';
    const scope = /^Scope: (.+)$/m.exec(system)?.[1] ?? '';
    const step = (body?.messages ?? []).filter((m) => m.role === 'assistant').length;
    return scripts[scope]?.[step] ?? { kind: 'error', status: 400, errorType: 'invalid_request_error', message: `no step ${step} scripted for scope "${scope}"` };
  };
}
