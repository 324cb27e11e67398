// Findings people can act on: one per source location with every target it appears in, at the
// line and column of the offending field (the second document of a file on its own line), objects
// named by generateName shown as such, and the text output grouped by file.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { renderText } from '../client/check-text';
import { validateRepository } from '../validation';

const DEPLOY = (name: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: { app: ${name}, version: "1", component: api }
spec:
  selector:
    matchLabels: { app: ${name} }
  template:
    metadata:
      labels: { app: ${name}, version: "1", component: api }
    spec:
      containers:
        - name: main
          image: ghcr.io/acme/${name}:1.0.0
`;

function repo(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'ii-findings-'));
  const w = (f: string, t: string) => { mkdirSync(path.dirname(path.join(root, f)), { recursive: true }); writeFileSync(path.join(root, f), t); };
  w('base/deployments.yaml', `${DEPLOY('first')}---\n${DEPLOY('second')}`);
  // kustomize refuses objects without a name: a plain folder, as kubectl create would take it.
  w('jobs/job.yaml', 'apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: migrate-\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: m\n          image: ghcr.io/acme/m:1\n');
  w('base/kustomization.yaml', 'resources: [deployments.yaml]\n');
  for (const env of ['staging', 'production']) w(`${env}/kustomization.yaml`, 'resources: [../base]\n');
  return root;
}

describe('findings', () => {
  it('one finding per source location, naming every overlay it appears in', async () => {
    const r = await validateRepository({ root: repo() });
    const root = r.findings.filter((f) => f.check === 'run-as-non-root' && f.file === 'base/deployments.yaml');
    assert.equal(root.length, 2, 'two Deployments, not two per overlay');
    for (const f of root) assert.deepEqual(f.targets, ['production', 'staging']);
  });

  it('line and column are those of the offending field, the second document on its own lines', async () => {
    const r = await validateRepository({ root: repo() });
    const res = r.findings.filter((f) => f.check === 'resource-requests-limits' && f.file === 'base/deployments.yaml');
    const first = res.find((f) => f.resource === 'Deployment/first');
    const second = res.find((f) => f.resource === 'Deployment/second');
    // A missing `resources` points at its container: the `- name: main` item.
    assert.deepEqual([first?.line, first?.column], [14, 11]);
    assert.deepEqual([second?.line, second?.column], [14 + 16, 11]);
  });

  it('an object named by generateName shows as Kind/prefix-*', async () => {
    const r = await validateRepository({ root: repo() });
    assert.ok(r.findings.some((f) => f.resource === 'Job/migrate-*'));
  });

  it('text output: one block per file, lines at line:column with the targets', async () => {
    const text = renderText(await validateRepository({ root: repo() }));
    const block = text.split('\n\n').find((b) => b.startsWith('base/deployments.yaml\n')) ?? '';
    assert.match(block, /^ {2}14:11 {2}error {2}resource-requests-limits {2}Deployment\/first: .*\(in 2 targets: production, staging\)$/m);
    const lines = block.split('\n').slice(1).map((l) => Number(l.trim().split(':')[0]));
    assert.deepEqual(lines, [...lines].sort((a, b) => a - b), 'in line order');
  });
});
