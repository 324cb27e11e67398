// `npm run build`: the production build into dist/, what the Docker image runs.
//   dist/infra-implementor.mjs (+ chunk-*.mjs)  our TypeScript compiled and bundled by esbuild: Node 20,
//                                               ESM; npm packages stay imports of node_modules (the
//                                               Temporal core bridge is native), source maps beside
//   dist/launcher-process.mjs                   the small process that starts git, kubectl, helm and sops
//                                               for the worker (runtime/launcher.ts)
//   dist/workflow-bundle.js                     the workflow code bundled once by the Temporal SDK;
//                                               a worker running from dist/ loads it (worker/worker.ts)
//                                               instead of running webpack at every start
// dist/ sits one level below the project root like client/ and worker/, so what the code finds
// relative to its own file (../package.json) resolves the same. In development the sources run
// through tsx (bin/infra-implementor.js) and nothing here is needed.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build as esbuild } from 'esbuild';
import { DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOW_BUNDLE_FILE, workflowBundleOptions } from '../worker/worker';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CLI_FILE = 'infra-implementor.mjs';

export interface BuildOptions {
  /**
   * The workflow code already bundled by `bundleWorkflowCode(workflowBundleOptions())`
   * (the benchmark holds one); bundled here when absent.
   */
  workflowCode?: string;
  /** More entry points built the same way beside the CLI (bench/crash.ts: the crash tests' worker). */
  extraEntryPoints?: Record<string, string>;
}

export interface BuildResult {
  /** The CLI entry, `node <cli> worker` runs the production worker. */
  cli: string;
  workflowBundle: string;
  /** Every file written, relative to outDir. */
  files: string[];
}

const INLINE_MAP = '//# sourceMappingURL=data:';

/**
 * The workflow bundle as the worker holds it, twice (its main thread keeps the code and the parsed
 * source map; the workflow thread runs the code and maps stack traces with the map):
 * - the inline source map keeps its positions and file names but not `sourcesContent`, the original
 *   sources' text (1.35 of its 1.86 MB), which no stack trace needs;
 * - every character beyond U+00FF is written as a `\\u` escape: V8 keeps a string of Latin-1
 *   characters at one byte a character and any other at two, and a few arrows and dashes in our
 *   messages made the whole bundle a two-byte string. The escapes sit in string literals and
 *   comments, where they mean the same characters.
 */
export function productionBundle(code: string): string {
  // Found as the SDK finds it (@temporalio/worker's extractSourceMap).
  const at = code.lastIndexOf(INLINE_MAP);
  const data = at < 0 ? -1 : code.indexOf('base64,', at);
  if (data < 0) throw new Error('the workflow bundle has no inline source map (the Temporal worker needs one)');
  const { sourcesContent: _text, ...map } = JSON.parse(Buffer.from(code.slice(data + 'base64,'.length).trim(), 'base64').toString('utf8')) as Record<string, unknown>;
  const slim = `${code.slice(0, data + 'base64,'.length)}${Buffer.from(JSON.stringify(map)).toString('base64')}\n`;
  return slim.replace(/[^\u0000-\u00ff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Build into `outDir`, emptied first. */
export async function build(outDir: string, opts: BuildOptions = {}): Promise<BuildResult> {
  const out = path.resolve(outDir);
  if (!path.relative(out, PROJECT_ROOT).startsWith('..')) throw new Error(`build: refusing to empty ${out}, which holds the project`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });

  const [cli, workflowCode] = await Promise.all([
    esbuild({
      // The launcher's process (runtime/launcher.ts forks it from the file next to its own chunk).
      entryPoints: {
        'infra-implementor': path.join(PROJECT_ROOT, 'scripts/cli-entry.ts'),
        'launcher-process': path.join(PROJECT_ROOT, 'runtime/launcher-process.ts'),
        ...opts.extraEntryPoints,
      },
      outdir: out,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      // The CLI imports the heavy commands (worker, dev, check) lazily; chunks keep that, so that
      // `--help` or `check` does not load the Temporal worker and its native core.
      splitting: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      sourcemap: 'linked',
      metafile: true,
      logLevel: 'warning',
    }),
    opts.workflowCode ?? bundleWorkflowCode({ ...workflowBundleOptions(), logger: new DefaultLogger('WARN') }).then((b) => b.code),
  ]);
  const workflowBundle = path.join(out, WORKFLOW_BUNDLE_FILE);
  writeFileSync(workflowBundle, productionBundle(workflowCode));
  const files = [...Object.keys(cli.metafile.outputs).map((f) => path.relative(out, path.resolve(f))), WORKFLOW_BUNDLE_FILE].sort();
  return { cli: path.join(out, CLI_FILE), workflowBundle, files };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = performance.now();
  const outDir = path.join(PROJECT_ROOT, 'dist');
  const { files } = await build(outDir);
  const chunks = files.filter((f) => f.endsWith('.mjs') && f !== CLI_FILE).length;
  process.stderr.write(`built ${path.relative(process.cwd(), outDir) || '.'}/ in ${Math.round(performance.now() - started)} ms: ${CLI_FILE} (+${chunks} chunks, source maps) and ${WORKFLOW_BUNDLE_FILE}\n`);
}
