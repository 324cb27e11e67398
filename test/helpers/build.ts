// The production build (scripts/build.ts) in a fresh temporary folder laid out as the Docker image
// lays out /app: package.json, node_modules (a link to the project's) and dist/. No sources sit
// beside it, so whatever runs from there runs on the build alone.
import { copyFileSync, mkdtempSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build, type BuildOptions, type BuildResult } from '../../scripts/build';
import { PROJECT_ROOT } from './repo';

export interface BuiltApp extends BuildResult {
  /** The folder holding package.json, node_modules and dist/. */
  root: string;
  dist: string;
}

export async function buildApp(opts: BuildOptions = {}): Promise<BuiltApp> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'ii-build-'));
  symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  copyFileSync(path.join(PROJECT_ROOT, 'package.json'), path.join(root, 'package.json'));
  const dist = path.join(root, 'dist');
  return { root, dist, ...(await build(dist, opts)) };
}
