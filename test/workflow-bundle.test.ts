// What the workflow bundle holds. Every module a workflow imports is instantiated again for each run
// (the SDK's reusable V8 context keeps a module cache per workflow), so a schema library pulled into
// workflow code costs memory and start-up time on every run a worker holds: 100 cached runs cost
// ~100 MB more with zod in the bundle (bench: worker peak RSS 571 → 455 MB at 100 runs). The
// workflows import only types, the SDK and a few pure helpers. The interceptors every bundle holds
// (workflows/interceptors.ts) make their spans without OpenTelemetry's packages (workflows/tracing.ts):
// Temporal's OpenTelemetry interceptors and the SDK they load cost about 0.1–0.3 MB of heap a cached
// run and 25–35 MB of the worker's peak at 100 runs (`npm run bench:memory -- --rss`).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { workflowBundleOptions } from '../worker/worker';

describe('workflow bundle', () => {
  it('holds the SDK and our pure workflow modules, and no schema, YAML or OpenTelemetry library', async () => {
    const { code } = await bundleWorkflowCode({ ...workflowBundleOptions(), logger: new DefaultLogger('WARN') });
    const packages = new Set([...code.matchAll(/\.\/node_modules\/((?:@[^/]+\/)?[^/"'\s]+)\//g)].map((m) => m[1]));
    const ours = new Set([...code.matchAll(/^\/\*\*\*\/ "\.\/((?:core|workflows|activities|runtime|validation|implementers|client|worker)\/[^"]+)"/gm)].map((m) => m[1]));
    assert.ok(packages.has('@temporalio/workflow'), 'the bundle should hold the workflow SDK');
    const allowed = /^(@temporalio\/(workflow|common)|nexus-rpc|long|ms)$/;
    assert.deepEqual([...packages].filter((p) => !allowed.test(p ?? '')), [], 'unexpected packages in the workflow bundle');
    assert.ok(ours.has('workflows/implementor.ts') && ours.has('workflows/feature.ts'), `workflow modules missing: ${[...ours].join(', ')}`);
    assert.deepEqual([...ours].filter((m) => !/^(workflows\/|core\/(feature|phases|duration|failures|questions|run-machine|telemetry|blocking-findings|usage|agent)\.ts$)/.test(m ?? '')), [], 'workflow code imports more than types from these modules');
  });
});
