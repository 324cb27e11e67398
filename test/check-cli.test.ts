// `check` as users run it: a real process (tsx) on fixture repositories, its three formats, its exit
// codes, SARIF validated against the SARIF 2.1.0 schema, and missing tools reported as skipped.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { execa } from 'execa';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { z } from 'zod';
import { Finding, ValidationResult } from '../core/schemas';
import { runCheckCommand } from '../client/check';

const ROOT = path.join(import.meta.dirname, '..');
const REPO = path.join(import.meta.dirname, 'fixtures', 'validation', 'repo');
const CLEAN = path.join(import.meta.dirname, 'fixtures', 'compliance', 'kustomize-build-failed', 'dont-fire-builds');

/**
 * The SARIF 2.1.0 schema as @microsoft/jest-sarif ships it (draft-04). Its `language` pattern is not
 * valid as a unicode RegExp, hence unicodeRegExp: false.
 */
function sarifValidator() {
  const schemaPath = createRequire(import.meta.url).resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv);
  return ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')) as object);
}

const check = (args: string[], env?: NodeJS.ProcessEnv) =>
  execa(process.execPath, ['--import', 'tsx', 'client/check-main.ts', ...args], { cwd: ROOT, reject: false, ...(env ? { env, extendEnv: false } : {}) });

describe('infra-implementor check', () => {
  it('text: groups by file at line:column with the targets, shows suppression reasons and ends with a summary; exit 1 on errors', async () => {
    const r = await check([REPO]);
    assert.equal(r.exitCode, 1);
    const out = String(r.stdout);
    assert.match(out, /^apps\/production\/secrets\.yaml\n {2}1:1 {2}error {2}plaintext-secret {2}Secret\/db-plain: .* \(in apps\/production\)$/m);
    // A base rendered by two overlays: one finding, at the field, naming both targets.
    assert.match(out, /^ {2}25:9 {2}suppressed {2}image-latest-or-untagged {2}Deployment\/api: .*\(in 2 targets: apps\/production, apps\/staging\) \(suppressed: pinned by Flux image automation\)$/m);
    assert.match(out, /^apps\/broken\n {2}FAIL {2}kustomize: kustomize build: /m);
    assert.match(out.trimEnd().split('\n').pop() ?? '', /^\d+ validations passed, \d+ failed, \d+ skipped; \d+ error\(s\), \d+ warning\(s\), 1 suppressed(; not checked: .*)?$/);
  });

  it('json: exactly the contract object {validations, findings}', async () => {
    const r = await check([REPO, '--format', 'json']);
    assert.equal(r.exitCode, 1);
    const parsed = JSON.parse(String(r.stdout)) as Record<string, unknown>;
    assert.deepEqual(Object.keys(parsed), ['validations', 'findings']);
    const report = z.object({ validations: z.array(ValidationResult.strict()), findings: z.array(Finding.strict()) }).strict().parse(parsed);
    assert.ok(report.findings.some((f) => f.check === 'gitops-path-missing' && f.severity === 'error'));
    assert.ok(report.validations.some((v) => v.validator === 'helm' && v.status === 'fail'));
  });

  it('sarif: valid against the SARIF 2.1.0 schema, with a rule and help text per check', async () => {
    const r = await check([REPO, '--format', 'sarif']);
    assert.equal(r.exitCode, 1);
    const sarif = JSON.parse(String(r.stdout)) as { runs: { tool: { driver: { rules: { id: string; help: { text: string } }[] } }; results: unknown[] }[] };
    const validate = sarifValidator();
    assert.ok(validate(sarif), JSON.stringify(validate.errors?.slice(0, 5)));
    const rules = sarif.runs[0]?.tool.driver.rules ?? [];
    for (const id of ['required-labels', 'plaintext-secret', 'kustomize-build-failed', 'validation/helm']) {
      assert.ok((rules.find((x) => x.id === id)?.help.text.length ?? 0) > 20, `rule ${id} with help`);
    }
    assert.ok((sarif.runs[0]?.results.length ?? 0) > 5);
    // Regions name the column of the offending field where it is known.
    const regions = JSON.stringify(sarif.runs[0]?.results ?? []);
    assert.match(regions, /"region":\{"startLine":\d+,"startColumn":\d+\}/);
  });

  it('the schema test can fail: a SARIF log without its version is rejected', async () => {
    const r = await check([REPO, '--format', 'sarif']);
    const sarif = JSON.parse(String(r.stdout)) as Record<string, unknown>;
    delete sarif.version;
    assert.equal(sarifValidator()(sarif), false);
  });

  it('exits 0 on a clean repository', async () => {
    const r = await check([CLEAN]);
    assert.equal(r.exitCode, 0, String(r.stdout));
    assert.match(String(r.stdout), /0 failed, 1 skipped; 0 error\(s\), 0 warning\(s\), 0 suppressed/);
  });

  it('exits 2 on a folder that does not exist and on an unknown format', async () => {
    const missing = await check([path.join(os.tmpdir(), 'no-such-infra-repo')]);
    assert.equal(missing.exitCode, 2);
    assert.match(String(missing.stderr), /is not a folder/);
    const lines: string[] = [];
    const code = await runCheckCommand(CLEAN, { format: 'yaml' as 'text', write: (t) => lines.push(t), writeError: (t) => lines.push(t) });
    assert.equal(code, 2);
    assert.match(lines.join(''), /--format must be one of text, json, sarif/);
    const badVersion = await check([CLEAN, '--kube-version', 'latest']);
    assert.equal(badVersion.exitCode, 2);
    assert.match(String(badVersion.stderr), /--kube-version must be a Kubernetes version such as 1\.34\.0 \(got "latest"\)/);
    const badFlux = await check([CLEAN, '--flux-version', 'latest']);
    assert.equal(badFlux.exitCode, 2);
    assert.equal(String(badFlux.stderr).trim(), 'check: --flux-version must be a Flux version such as 2.9 (got "latest")');
  });

  it('reports kustomize and helm as skipped, never passed, when the tools are missing', async () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'check-no-tools-'));
    try {
      // PATH holds node only (linked into an empty folder); HOME and GOPATH point where no helm was installed.
      mkdirSync(path.join(home, 'bin'));
      symlinkSync(process.execPath, path.join(home, 'bin', 'node'));
      const r = await check([REPO, '--format', 'json'], { PATH: path.join(home, 'bin'), HOME: home, GOPATH: home });
      const report = JSON.parse(String(r.stdout)) as { validations: ValidationResult[] };
      const tools = report.validations.filter((v) => v.validator === 'kustomize' || v.validator === 'helm' || v.validator === 'kubectl');
      assert.ok(tools.length >= 5);
      for (const v of tools) assert.equal(v.status, 'skipped', `${v.validator} ${v.target}: ${v.message}`);
      assert.match(tools.find((v) => v.validator === 'helm')?.message ?? '', /helm is not installed/);
      assert.match(tools.find((v) => v.validator === 'kustomize')?.message ?? '', /neither kustomize nor kubectl/);
      assert.equal(r.exitCode, 2, 'a required tool is missing: not a result to trust');
      assert.match(String(r.stderr), /^check: neither kustomize nor kubectl \(with built-in kustomize\) is installed: \d+ target\(s\) could not be built; helm is not installed .*: \d+ target\(s\) could not be built$/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('says what its skips hide; --strict makes them fail; nothing judged at all exits 3', async () => {
    const homeOps = path.join(import.meta.dirname, 'fixtures', 'real', 'home-ops');
    // Offline from an empty cache: the releases' charts are not fetched, on any machine.
    const offline = { ...process.env, INFRA_IMPLEMENTOR_CACHE_DIR: mkdtempSync(path.join(os.tmpdir(), 'check-cache-')) };
    const plain = await check([homeOps, '--offline'], offline);
    assert.equal(plain.exitCode, 0);
    assert.match(String(plain.stdout).trimEnd().split('\n').pop() ?? '', /; not checked: 5 HelmRelease\(s\) whose charts were not rendered \(their workloads are not judged\)$/);
    const strict = await check([homeOps, '--strict', '--offline'], offline);
    assert.equal(strict.exitCode, 1);
    assert.match(String(strict.stderr), /^check: --strict: 5 target\(s\) skipped, e\.g\. HelmRelease \S+: chart .*$/);
    const crdOnly = mkdtempSync(path.join(os.tmpdir(), 'check-crd-only-'));
    try {
      mkdirSync(path.join(crdOnly, 'custom'));
      writeFileSync(path.join(crdOnly, 'custom', 'widget.yaml'), 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: 3\n');
      const none = await check([crdOnly]);
      assert.equal(none.exitCode, 3);
      assert.equal(String(none.stderr), 'check: nothing validated the repository: 1 check(s) skipped, e.g. no schema for: example.com/v1 Widget (1)');
    } finally {
      rmSync(crdOnly, { recursive: true, force: true });
    }
  });
});
