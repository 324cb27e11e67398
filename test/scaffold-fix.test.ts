// Findings drive the loop: which findings block a run (pure), and the scaffold's fix repairing the
// error findings on its own files — proven through the real validation engine on a copy of a
// repository, with the pre-existing findings of files it did not write left alone.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { blockingFindings } from '../core/blocking-findings';
import type { Finding } from '../core/schemas';
import { createScaffoldImplementer } from '../implementers/scaffold';
import { repoReader } from '../runtime/repo-fs';
import { validateRepository } from '../validation';
import { gitCopy } from './helpers/repo';
import { applyOperations, scaffoldRun } from './helpers/scaffold-run';

const f = (over: Partial<Finding>): Finding => ({ check: 'missing-probes', severity: 'error', target: 'apps/staging', resource: 'Deployment/orders', file: 'apps/base/orders/deployment.yaml', message: 'm', ...over });

describe('blockingFindings', () => {
  const written = ['apps/base/orders/deployment.yaml', 'apps/staging/kustomization.yaml'];
  it('keeps the unsuppressed errors on files the run wrote', () => {
    assert.equal(blockingFindings([f({})], written).length, 1);
  });
  it('never blocks on warnings, suppressed findings or files the run did not write', () => {
    assert.deepEqual(blockingFindings([
      f({ severity: 'warning' }), f({ suppressed: 'reviewed' }), f({ file: 'apps/base/web/deployment.yaml' }),
    ], written), []);
  });
  it('a finding with no file blocks when the run wrote inside one of its targets (an overlay it broke)', () => {
    const build = { check: 'kustomize-build-failed', severity: 'error' as const, target: 'apps/staging', resource: 'apps/staging', message: 'does not build' };
    assert.equal(blockingFindings([build], written).length, 1);
    assert.equal(blockingFindings([{ ...build, target: 'apps/production' }], written).length, 0);
    assert.equal(blockingFindings([{ ...build, target: 'apps/production', targets: ['apps/production', 'apps/staging'] }], written).length, 1);
  });
});

/** A repository with one service (billing) laid out per service, with Flux Kustomizations per environment. */
const plainRepo = (): Promise<string> => gitCopy(path.join(import.meta.dirname, 'fixtures', 'repos', 'per-service'));

describe('the scaffold fix, through the real validation engine', () => {
  it('repairs the error findings on the run\'s own files; findings elsewhere stay and never block', async () => {
    const root = await plainRepo();
    const spec = { service: 'orders', image: 'ghcr.io/acme/orders:1.4.2', port: 8080, secrets: ['DATABASE_URL'] };
    const { ctx, written } = await scaffoldRun(root, spec);
    // What a model or a person might leave: the probes, limits, labels and the NetworkPolicy gone.
    const dep = written.find((p) => /orders\/.*deployment\.ya?ml$/.test(p) || /orders.*deployment/.test(p));
    assert.ok(dep, `a Deployment was written (${written.join(', ')})`);
    const policy = written.find((p) => /networkpolicy/i.test(p));
    assert.ok(policy);
    const { parse, stringify } = await import('yaml');
    const d = parse((await repoReader(root).read(dep)) ?? '') as { metadata: { labels: Record<string, string> }; spec: { template: { metadata: { labels: Record<string, string> }; spec: { containers: Record<string, unknown>[] } } } };
    const c = d.spec.template.spec.containers[0] as Record<string, unknown>;
    delete c.livenessProbe; delete c.readinessProbe; delete c.resources;
    writeFileSync(path.join(root, dep), stringify(d));
    rmSync(path.join(root, policy));
    const kfile = path.join(root, path.dirname(policy), 'kustomization.yaml');
    writeFileSync(kfile, (await repoReader(root).read(path.relative(root, kfile)) ?? '').replace(/^.*networkpolicy.*\n/im, ''));
    // A pre-existing problem in a file the run did not write: the exemplar loses its limits.
    const billing = 'services/billing/base/billing-deployment.yaml';
    writeFileSync(path.join(root, billing), ((await repoReader(root).read(billing)) ?? '').replace(/^\s+limits:\n(\s+(cpu|memory): .*\n)+/m, ''));

    const before = await validateRepository({ root, changedFiles: written });
    const blocking = blockingFindings(before.findings, written);
    assert.deepEqual([...new Set(blocking.map((x) => x.check))].sort(), ['missing-network-policy', 'missing-probes', 'resource-requests-limits']);

    const fix = await createScaffoldImplementer().fix(ctx, { attempt: 1, failures: [], findings: before.findings, touched: written }, repoReader(root));
    assert.ok(fix.changeSet.operations.length > 0, 'the fix proposes changes');
    const fixed = applyOperations(root, fix.changeSet);
    assert.match(fix.changeSet.assumptions.map((a) => a.text).join('\n'), /REVIEW \(fix\): Deployment\/orders: HTTP probes added/);

    const after = await validateRepository({ root });
    assert.deepEqual(blockingFindings(after.findings, [...new Set([...written, ...fixed])]), []);
    assert.ok(after.findings.some((x) => x.file === billing && x.check === 'resource-requests-limits' && x.severity === 'error'), 'the pre-existing error is reported');
    assert.ok(after.validations.every((v) => v.status !== 'fail'), after.validations.filter((v) => v.status === 'fail').map((v) => v.message).join('\n'));
  });

  it('says what it cannot repair, so the run escalates instead of looping', async () => {
    const root = await plainRepo();
    const { ctx } = await scaffoldRun(root, { service: 'orders', image: 'ghcr.io/acme/orders:1.4.2', port: 8080 });
    const fix = await createScaffoldImplementer().fix(ctx, {
      attempt: 1, touched: [], findings: [],
      failures: [{ validator: 'kustomize', target: 'apps/staging', status: 'fail', message: 'kustomize build: boom' }],
    }, repoReader(root));
    assert.deepEqual(fix.changeSet.operations, []);
    assert.match(fix.changeSet.assumptions[0]?.text ?? '', /cannot repair 1 validation failure\(s\) deterministically; a human decides/);
  });
});
