// A subset of the checklist (the bench times `check` with the checks registered before issue 25
// against all of them): only the named checks run, an unknown id is refused naming it, and the
// documents the checks judge are handed out per target (the linters bench gives them to kube-score).
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runCheckCommand } from '../client/check';
import { CHECKS, UnknownCheckError, selectChecks, type RenderedDoc } from '../core/compliance';
import { validateRepository } from '../validation';

const FIXTURES = path.join(import.meta.dirname, 'fixtures', 'compliance');

describe('a subset of the checks', () => {
  it('selectChecks keeps registry order and refuses an unknown id, naming it', () => {
    assert.deepEqual(selectChecks(['host-port', 'required-labels']).map((c) => c.id), ['required-labels', 'host-port']);
    assert.throws(() => selectChecks(['host-port', 'no-such-check']), (e: Error) => e instanceof UnknownCheckError && /no-such-check/.test(e.message));
    assert.equal(selectChecks(CHECKS.map((c) => c.id)).length, CHECKS.length);
  });

  it('validateRepository runs only the checks named, and shows the documents they judge', async () => {
    const root = path.join(FIXTURES, 'host-port');
    const all = await validateRepository({ root });
    assert.ok(all.findings.some((f) => f.check === 'host-port'), 'the fixture fires host-port');
    const seen: [string, readonly RenderedDoc[]][] = [];
    const only = await validateRepository({ root, checks: ['host-port'], onRendered: (t, docs) => seen.push([t, docs]) });
    assert.deepEqual([...new Set(only.findings.map((f) => f.check))], ['host-port']);
    assert.deepEqual(only.findings, all.findings.filter((f) => f.check === 'host-port'));
    assert.ok(seen.some(([, docs]) => docs.some((d) => d.object.kind === 'Deployment')), 'the rendered Deployment is handed out');
    assert.deepEqual((await validateRepository({ root, checks: ['required-labels'] })).findings.filter((f) => f.suppressed === undefined), []);
  });

  it('check exits 2 naming an unknown check id', async () => {
    const errors: string[] = [];
    const code = await runCheckCommand(path.join(FIXTURES, 'host-port'), { format: 'json', checks: ['nope'], write: () => undefined, writeError: (t) => errors.push(t) });
    assert.equal(code, 2);
    assert.match(errors.join(''), /unknown check id\(s\): nope/);
  });
});
