// A model with a fixed latency for the benchmarks: the local Messages API answers every request after
// `latencyMs` as a competent agent adding the service of the task beside the catalog service would —
// read the sibling and the overlays, write the new base and edit the overlays, validate, finish — so
// that the time of an LLM call is known and everything measured beyond it is ours.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startFakeAnthropic, type FakeAnthropic, type MessagesRequestBody, type ScriptedReply } from '../test/helpers/fake-anthropic';
import { EXAMPLES } from '../test/helpers/repo';

const exemplar = (file: string) => readFileSync(path.join(EXAMPLES, 'infra/apps/base/catalog', file), 'utf8');
const CATALOG = { deployment: exemplar('deployment.yaml'), service: exemplar('service.yaml') };

const baseKustomization = (files: string[]) =>
  `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: shop\nresources:\n${files.map((f) => `  - ${f}\n`).join('')}`;

/** Model turns of one run: look, write, validate, finish. */
export const AGENT_TURNS = 4;

const call = (name: string, input: unknown) => ({ name, input });

/** The agent's turn `step` of adding `service` beside catalog. */
export function agentTurn(service: string, step: number): ScriptedReply {
  const dir = `apps/base/${service}`;
  const mirror = (s: string) => s.replaceAll('catalog', service);
  const overlay = (env: string) => call('Edit', { file_path: `apps/${env}/kustomization.yaml`, old_string: '  - ../base/catalog\n', new_string: `  - ../base/catalog\n  - ../base/${service}\n` });
  const turns = [
    [call('Read', { file_path: 'apps/base/catalog/deployment.yaml' }), call('Read', { file_path: 'apps/base/catalog/service.yaml' }), call('Read', { file_path: 'apps/staging/kustomization.yaml' }), call('Read', { file_path: 'apps/production/kustomization.yaml' })],
    [
      call('Write', { file_path: `${dir}/deployment.yaml`, content: mirror(CATALOG.deployment) }),
      call('Write', { file_path: `${dir}/service.yaml`, content: mirror(CATALOG.service) }),
      call('Write', { file_path: `${dir}/kustomization.yaml`, content: baseKustomization(['deployment.yaml', 'service.yaml']) }),
      overlay('staging'), overlay('production'),
    ],
    [call('Validate', {})],
    [call('Finish', { summary: `${service} beside catalog`, assumptions: [`REVIEW: ${service} mirrors catalog's port, limits and probes`], dependencies: [`ghcr.io/acme/${service}:1.0.0`] })],
  ];
  return { kind: 'turn', calls: turns[Math.min(step, turns.length - 1)] ?? [] };
}

/**
 * The service of the task and the step of the conversation (the model's own replies so far). With
 * `readingTurns`, the agent first spends that many turns reading one file each, as a real model
 * exploring a repository does, so that a run of AGENT_TURNS + readingTurns turns can be measured.
 */
export function replyTo(body: MessagesRequestBody | undefined, readingTurns = 0): ScriptedReply {
  const system = Array.isArray(body?.system) ? body.system.map((b) => b.text).join('\n') : String(body?.system ?? '');
  const service = /"service": "([a-z0-9-]+)"/.exec(system.slice(system.indexOf('# The task')))?.[1] ?? 'unnamed';
  const step = (body?.messages ?? []).filter((m) => m.role === 'assistant').length;
  if (step < readingTurns) return { kind: 'turn', calls: [call('Read', { file_path: step % 2 ? 'apps/base/catalog/service.yaml' : 'apps/base/catalog/deployment.yaml' })] };
  return agentTurn(service, step - readingTurns);
}

/** A Messages API on 127.0.0.1 that answers every request after `latencyMs`. */
export function startFixedLatencyLlm(latencyMs: number): Promise<FakeAnthropic> {
  return startFakeAnthropic({ record: false, respond: (body) => ({ ...replyTo(body), delayMs: latencyMs }) });
}
