// The change sets a scripted model proposes for "add the orders service" to examples/ (a copy of the
// catalog service), one per phase: every overlay builds with them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ChangeSet } from '../../core/schemas';
import { EXAMPLES } from './repo';

const catalog = (f: string) => readFileSync(path.join(EXAMPLES, 'infra/apps/base/catalog', f), 'utf8').replaceAll('catalog', 'orders').replaceAll('3.1.0', '1.4.2');
const overlay = (env: string) => readFileSync(path.join(EXAMPLES, 'infra/apps', env, 'kustomization.yaml'), 'utf8').replace('  - ../base/catalog\n', '  - ../base/catalog\n  - ../base/orders\n');
export const baseKustomization = (files: string[]) => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: shop\nresources:\n${files.map((f) => `  - ${f}\n`).join('')}`;

export const op = (p: string, content: string, phase: ChangeSet['operations'][number]['phase']) => ({ path: p, action: 'write' as const, content, phase });
export const phases = (kustomization = baseKustomization(['deployment.yaml'])): ChangeSet[] => [
  { operations: [op('apps/base/orders/deployment.yaml', catalog('deployment.yaml'), 'base'), op('apps/base/orders/kustomization.yaml', kustomization, 'base')], assumptions: [{ text: 'REVIEW: port 8080 like catalog' }], dependencies: [{ kind: 'image', description: 'ghcr.io/acme/orders:1.4.2' }] },
  { operations: [op('apps/staging/kustomization.yaml', overlay('staging'), 'overlay'), op('apps/production/kustomization.yaml', overlay('production'), 'overlay')], assumptions: [], dependencies: [] },
  { operations: [], assumptions: [{ text: 'no configuration needed' }], dependencies: [] },
  { operations: [op('apps/base/orders/service.yaml', catalog('service.yaml'), 'network')], assumptions: [], dependencies: [] },
  { operations: [], assumptions: [{ text: 'clusters/*/apps.yaml already syncs the overlays' }], dependencies: [] },
];

