// An implementation no validator could judge is not a success: a run whose change only the YAML
// parser could read (a custom resource in a folder no kustomization builds) ends `unvalidated`,
// with its reason, and the CLI maps it to its own exit code.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { reportExitCode } from '../client/cli';
import { ImplementorInput, type ValidationResult } from '../core/schemas';
import { IMPLEMENTOR_WORKFLOW } from '../workflows/messages';
import { scriptedImplementer, write } from './helpers/implementers';
import { EXAMPLES, gitCopy } from './helpers/repo';
import { startTestServer, type TestServer } from './helpers/temporal';

describe('a run nothing could validate', () => {
  let server: TestServer;
  before(async () => { server = await startTestServer(); });
  after(async () => { await server?.stop(); });

  it('ends unvalidated with the reason, not succeeded; implement --wait would exit 3', async () => {
    const repo = await gitCopy(EXAMPLES);
    const widget = 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: orders-widget\nspec:\n  size: 3\n';
    const impl = scriptedImplementer({ phases: { base: write('custom/widget.yaml', widget) } });
    const { worker, taskQueue } = await server.worker({ implementers: { scripted: () => impl } });
    const input = ImplementorInput.parse({ featureDescription: 'a widget', scope: 'widget', infraRoot: path.join(repo, 'infra'), implementer: 'scripted' });
    const handle = await server.env.client.workflow.start(IMPLEMENTOR_WORKFLOW, { taskQueue, workflowId: `unvalidated-${Date.now()}`, args: [input] });
    const report = await worker.runUntil(handle.result());
    assert.equal(report.status, 'unvalidated', report.summary);
    // The file is in no kustomization and no schema knows its kind: only the YAML parser read it.
    assert.equal(report.summary, 'Implemented, but nothing could validate it: no build or schema check applies to the files it changed.');
    assert.deepEqual(report.validations.filter((v: ValidationResult) => v.status !== 'skipped').map((v: ValidationResult) => `${v.validator} ${v.status}`), ['yaml pass']);
    assert.equal(reportExitCode(report), 3);
    assert.equal(reportExitCode({ ...report, status: 'succeeded' }), 0);
  });
});
