// The production build (`npm run build`, scripts/build.ts) is what the image runs: built here for
// real into a folder laid out like the image's /app (package.json, node_modules, dist/, no sources),
// its CLI must behave as the sources do under tsx, import nothing the image leaves out, and its
// worker must run workflows from the prebuilt bundle next to it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DockerfileParser } from 'dockerfile-ast';
import { execa } from 'execa';
import { CLI_FILE, productionBundle } from '../scripts/build';
import { installRuntime } from '../worker/runtime';
import { startDevServer } from '../worker/temporal-server';
import { WORKFLOWS_PATH, WORKFLOW_BUNDLE_FILE } from '../worker/worker';
import { buildApp, type BuiltApp } from './helpers/build';
import { freePort } from './helpers/net';
import { EXAMPLES, PROJECT_ROOT, gitCopy } from './helpers/repo';

const SOURCE_CLI = path.join(PROJECT_ROOT, 'bin/infra-implementor.js');
const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
  version: string; scripts: Record<string, string>; dependencies: Record<string, string>;
};

/** `node <cli> …args` with the project root as working directory; never rejects. */
const run = (cli: string, args: string[], env: Record<string, string> = {}) =>
  execa(process.execPath, [cli, ...args], { cwd: PROJECT_ROOT, env, reject: false });

describe('production build', () => {
  let app: BuiltApp;
  before(async () => {
    app = await buildApp();
  });

  it('writes the CLI with its chunks and source maps, and the workflow bundle, into dist/ alone', () => {
    assert.deepEqual(readdirSync(app.root).sort(), ['dist', 'node_modules', 'package.json'], 'nothing else beside the build');
    assert.deepEqual(readdirSync(app.dist).sort(), app.files);
    assert.ok(app.files.includes(CLI_FILE) && app.files.includes(`${CLI_FILE}.map`));
    assert.equal(app.workflowBundle, path.join(app.dist, WORKFLOW_BUNDLE_FILE));
    assert.match(readFileSync(app.workflowBundle, 'utf8'), /__TEMPORAL__/, 'a Temporal workflow bundle');
    // Latin-1 only, so that V8 holds it at one byte a character, and an inline source map with the
    // positions but not the sources' text (scripts/build.ts: productionBundle).
    const bundle = readFileSync(app.workflowBundle, 'utf8');
    assert.doesNotMatch(bundle, /[^\u0000-\u00ff]/);
    const map = JSON.parse(Buffer.from(bundle.slice(bundle.lastIndexOf('base64,') + 7), 'base64').toString('utf8')) as Record<string, unknown>;
    assert.ok(typeof map.mappings === 'string' && (map.sources as string[]).some((s) => s.endsWith('workflows/implementor.ts')), 'positions in our sources');
    assert.equal(map.sourcesContent, undefined);
    assert.match(readFileSync(app.cli, 'utf8'), new RegExp(`//# sourceMappingURL=${CLI_FILE.replace('.', '\\.')}\\.map\\s*$`));
  });

  it('escapes what is beyond Latin-1 in the workflow bundle without changing what the code says', () => {
    const map = { version: 3, sources: ['a.ts'], sourcesContent: ['const a = "→";'], names: [], mappings: 'AAAA' };
    const code = `return [\`a → b — c… \${1}\`, "é⇄😀", /→+/.test("→→"), /* ⇄ */ '\\u2192'];\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}`;
    const escaped = productionBundle(code);
    assert.doesNotMatch(escaped, /[^\u0000-\u00ff]/);
    assert.match(escaped, /é/, 'Latin-1 stays as it is');
    assert.deepEqual(new Function(escaped)(), new Function(code)());
    const { sourcesContent: _text, ...positions } = map;
    assert.deepEqual(JSON.parse(Buffer.from(escaped.slice(escaped.lastIndexOf('base64,') + 7), 'base64').toString('utf8')), positions);
    assert.throws(() => productionBundle('return 1;'), /the workflow bundle has no inline source map/);
  });

  it('bundles our code only: every import is a Node built-in, a chunk of the build or a production dependency', () => {
    const builtins = new Set(builtinModules);
    const bad: string[] = [];
    let seen = 0;
    for (const file of app.files.filter((f) => f.endsWith('.mjs'))) {
      const code = readFileSync(path.join(app.dist, file), 'utf8');
      // esbuild writes static imports at the start of a line, and dynamic ones as import("…").
      const specs = [...code.matchAll(/^import\s+(?:[\w*${}\s,]+?\s+from\s*)?"([^"]+)";$/gm), ...code.matchAll(/\bimport\("([^"]+)"\)/g)].map((m) => m[1]);
      seen += specs.length;
      for (const spec of specs) {
        if (!spec) continue;
        if (spec.startsWith('node:') || builtins.has(spec)) continue;
        if (spec.startsWith('./')) {
          if (!existsSync(path.join(app.dist, spec))) bad.push(`${file}: ${spec} is not in the build`);
          continue;
        }
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!(name in pkg.dependencies)) bad.push(`${file}: ${spec} is not a production dependency (the image installs those only)`);
      }
    }
    assert.ok(seen > 20, `the imports were read (${seen})`);
    assert.deepEqual(bad, []);
    assert.ok(app.files.includes('launcher-process.mjs'), 'the launcher\'s process is built beside the CLI');
  });

  it('--help exits 0 and lists the same commands as the sources under tsx', async () => {
    const [built, source] = await Promise.all([run(app.cli, ['--help']), run(SOURCE_CLI, ['--help'])]);
    assert.equal(built.exitCode, 0, String(built.stderr));
    assert.equal(source.exitCode, 0, String(source.stderr));
    assert.equal(String(built.stdout), String(source.stdout));
    for (const command of ['check', 'implement', 'feature', 'worker', 'dev']) assert.match(String(built.stdout), new RegExp(`^\\s+${command}\\b`, 'm'));
  });

  it('check reports exactly what the sources report, exit code included', async () => {
    const clean = path.join(EXAMPLES, 'infra');
    const failing = path.join(PROJECT_ROOT, 'test/fixtures/validation/repo');
    const codes: number[] = [];
    for (const dir of [clean, failing]) {
      const [built, source] = await Promise.all([run(app.cli, ['check', dir, '--format', 'json']), run(SOURCE_CLI, ['check', dir, '--format', 'json'])]);
      assert.equal(built.exitCode, source.exitCode, `${dir}: ${String(built.stderr)}`);
      // kubectl ran through the built launcher process: its fallback would say so.
      assert.doesNotMatch(String(built.stderr), /commands run in the worker process/);
      assert.deepEqual(JSON.parse(String(built.stdout)), JSON.parse(String(source.stdout)), dir);
      codes.push(built.exitCode ?? -1);
    }
    assert.deepEqual(codes, [0, 1], 'a clean repository and one with failures');
    // SARIF names the tool's version, read from ../package.json relative to the running module.
    const sarif = await run(app.cli, ['check', clean, '--format', 'sarif']);
    assert.equal(sarif.exitCode, 0, String(sarif.stderr));
    assert.equal((JSON.parse(String(sarif.stdout)) as { runs: { tool: { driver: { version: string } } }[] }).runs[0]?.tool.driver.version, pkg.version);
  });

  it('is what the Dockerfile builds and runs', () => {
    const dockerfile = DockerfileParser.parse(readFileSync(path.join(PROJECT_ROOT, 'Dockerfile'), 'utf8'));
    const froms = dockerfile.getFROMs();
    const stageOf = (line: number) => froms.filter((f) => f.getRange().start.line <= line).at(-1);
    const final = froms.at(-1)!;
    const inFinal = dockerfile.getInstructions().filter((i) => stageOf(i.getRange().start.line) === final);
    const entrypoint = inFinal.find((i) => i.getKeyword() === 'ENTRYPOINT')?.getArgumentsContent();
    assert.deepEqual(JSON.parse(entrypoint ?? 'null'), ['node', `dist/${CLI_FILE}`]);
    const copy = dockerfile.getCOPYs().find((c) => stageOf(c.getRange().start.line) === final && c.getArguments()[0]?.getValue() === '/app/dist');
    const buildStage = copy?.getFromFlag()?.getValue();
    assert.ok(buildStage, 'the final stage copies /app/dist from a build stage');
    const runs = dockerfile.getInstructions()
      .filter((i) => i.getKeyword() === 'RUN' && stageOf(i.getRange().start.line)?.getBuildStage() === buildStage)
      .map((i) => i.getArgumentsContent() ?? '');
    assert.ok(runs.includes('npm run build'), `the ${buildStage} stage runs npm run build`);
    assert.equal(pkg.scripts.build, 'node --import tsx scripts/build.ts', 'the script this test builds with');
  });

  describe('worker', () => {
    let env: TestWorkflowEnvironment;
    before(async () => {
      installRuntime('WARN');
      env = await startDevServer();
    });
    after(async () => {
      await env?.teardown();
    });

    it('runs a workflow from the prebuilt bundle, the workflow sources being absent, and stops on SIGTERM', async () => {
      // From dist/, WORKFLOWS_PATH would be <root>/workflows/index.ts: not there, so only the bundle can serve.
      assert.ok(existsSync(WORKFLOWS_PATH));
      assert.equal(existsSync(path.join(app.root, 'workflows')), false);
      const healthPort = await freePort();
      const temporal = { TEMPORAL_ADDRESS: env.connection.options.address, TEMPORAL_TASK_QUEUE: `build-${Date.now()}` };
      const worker = execa(process.execPath, [app.cli, 'worker'], {
        cwd: app.root,
        env: {
          ...temporal,
          INFRA_IMPLEMENTOR_STATE_DIR: mkdtempSync(path.join(os.tmpdir(), 'ii-state-')),
          INFRA_IMPLEMENTOR_HEALTH_PORT: String(healthPort),
        },
        reject: false,
      });
      let log = '';
      worker.stderr?.on('data', (d: Buffer) => { log += d.toString(); });
      try {
        let ready = 0;
        for (let i = 0; i < 300 && ready !== 200 && worker.exitCode === null; i++) {
          ready = await fetch(`http://127.0.0.1:${healthPort}/readyz`).then((r) => r.status, () => 0);
          if (ready !== 200) await sleep(100);
        }
        assert.equal(ready, 200, `the worker polls (it said: ${log})`);
        const repo = await gitCopy(EXAMPLES);
        const implement = await run(app.cli, [
          'implement', '--feature', 'Add orders', '--scope', 'orders', '--infra-root', path.join(repo, 'infra'),
          '--spec', path.join(EXAMPLES, 'orders.spec.yaml'), '--wait', '--json',
        ], temporal);
        assert.equal(implement.exitCode, 0, `${String(implement.stderr)}\nworker: ${log}`);
        const report = JSON.parse(String(implement.stdout)) as { status: string; filesCreated: string[] };
        assert.equal(report.status, 'succeeded');
        assert.ok(report.filesCreated.length > 0);
        for (const file of report.filesCreated) assert.ok(existsSync(path.join(repo, 'infra', file)), `${file} written`);
      } finally {
        worker.kill('SIGTERM');
      }
      const exit = await worker;
      assert.equal(exit.exitCode, 0, `a clean stop on SIGTERM (${log})`);
    });
  });
});
