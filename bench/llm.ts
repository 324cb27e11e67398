// A model with a fixed latency for the benchmarks: the local Messages API answers every request after
// `latencyMs` with a valid propose_changes reply for the phase asked and the service in the task, so
// that the time of an LLM call is known and everything measured beyond it is ours.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ChangeSet, Phase } from '../core/schemas';
import { startFakeAnthropic, toolReply, type FakeAnthropic, type MessagesRequestBody } from '../test/helpers/fake-anthropic';
import { EXAMPLES } from '../test/helpers/repo';

const exemplar = (file: string) => readFileSync(path.join(EXAMPLES, 'infra/apps/base/catalog', file), 'utf8');
const CATALOG = { deployment: exemplar('deployment.yaml'), service: exemplar('service.yaml') };

const baseKustomization = (files: string[]) =>
  `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: shop\nresources:\n${files.map((f) => `  - ${f}\n`).join('')}`;

const op = (p: string, content: string, phase: Phase) => ({ path: p, action: 'write' as const, content, phase });

function text(content: string | Record<string, unknown>[] | undefined): string {
  if (typeof content === 'string') return content;
  return (content ?? []).map((b) => (typeof b.text === 'string' ? b.text : '')).join('\n');
}

/** The overlay kustomizations the phase message shows, as the model would read them. */
function overlaysShown(message: string): { path: string; content: string }[] {
  const found: { path: string; content: string }[] = [];
  for (const m of message.matchAll(/^### (apps\/(?!base\/)[^/\s]+\/kustomization\.yaml)[^\n]*\n```yaml\n([\s\S]*?)\n```/gm)) {
    if (m[1] && m[2] !== undefined) found.push({ path: m[1], content: `${m[2]}\n` });
  }
  return found;
}

/** What a competent model proposes for `phase` of adding `service` beside the catalog service. */
export function changeSetFor(service: string, phase: Phase, message: string): ChangeSet {
  const dir = `apps/base/${service}`;
  const mirror = (s: string) => s.replaceAll('catalog', service);
  switch (phase) {
    case 'base':
      return {
        operations: [op(`${dir}/deployment.yaml`, mirror(CATALOG.deployment), 'base'), op(`${dir}/kustomization.yaml`, baseKustomization(['deployment.yaml']), 'base')],
        assumptions: [{ text: `REVIEW: ${service} mirrors catalog's port, limits and probes` }],
        dependencies: [{ kind: 'image', description: `ghcr.io/acme/${service}:1.0.0` }],
      };
    case 'overlay':
      return {
        operations: overlaysShown(message)
          .filter((o) => !o.content.includes(`../base/${service}\n`))
          .map((o) => op(o.path, o.content.replace(/^resources:\n/m, `resources:\n  - ../base/${service}\n`), 'overlay')),
        assumptions: [], dependencies: [],
      };
    case 'network':
      return {
        operations: [op(`${dir}/service.yaml`, mirror(CATALOG.service), 'network'), op(`${dir}/kustomization.yaml`, baseKustomization(['deployment.yaml', 'service.yaml']), 'network')],
        assumptions: [], dependencies: [],
      };
    case 'config':
      return { operations: [], assumptions: [{ text: 'no configuration needed' }], dependencies: [] };
    case 'gitops':
      return { operations: [], assumptions: [{ text: 'clusters/*/apps.yaml already syncs the overlays' }], dependencies: [] };
  }
}

/** The service and phase a request is about; a fix request (none expected) gets an empty change set. */
export function replyTo(body: MessagesRequestBody | undefined): ChangeSet {
  const system = Array.isArray(body?.system) ? body.system.map((b) => b.text).join('\n') : String(body?.system ?? '');
  const task = system.slice(system.indexOf('# The task'));
  const service = /"service": "([a-z0-9-]+)"/.exec(task)?.[1];
  const message = text(body?.messages[0]?.content);
  const phase = /^Phase "(base|overlay|config|network|gitops)"/.exec(message)?.[1] as Phase | undefined;
  if (!service || !phase) return { operations: [], assumptions: [], dependencies: [] };
  return changeSetFor(service, phase, message);
}

/** A Messages API on 127.0.0.1 that answers every request after `latencyMs`. */
export function startFixedLatencyLlm(latencyMs: number): Promise<FakeAnthropic> {
  return startFakeAnthropic({ record: false, respond: (body) => toolReply(replyTo(body), { delayMs: latencyMs }) });
}
