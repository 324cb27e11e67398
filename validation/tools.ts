// The external tools the validators run, found once per process: a standalone kustomize if
// installed (the production image ships one: it starts in a quarter of kubectl's CPU), else
// kubectl's built-in one; kustomize and helm on PATH or where `go install` puts them.
import os from 'node:os';
import path from 'node:path';
import { launch } from '../runtime/launcher';

export interface Tool {
  file: string;
  /** Arguments that come before the target, e.g. `kustomize` for `kubectl kustomize`. */
  prefix: string[];
  version: string;
}

export interface Toolbox {
  kustomize?: Tool;
  helm?: Tool;
  kubectl?: Tool;
  /** Why each missing tool is missing, for `skipped` messages. */
  missing: Record<'kustomize' | 'helm' | 'kubectl', string>;
}

async function probe(file: string, args: string[]): Promise<string | undefined> {
  const r = await launch(file, args, { timeout: 15_000 }).catch(() => undefined);
  return r && r.exitCode === 0 ? String(r.stdout).trim().split('\n')[0] : undefined;
}

/** The first of `files` that answers `args`, and what it said. */
async function firstAnswering(files: string[], args: string[]): Promise<{ file: string; version: string } | undefined> {
  for (const file of files) {
    const version = await probe(file, args);
    if (version) return { file, version };
  }
  return undefined;
}

async function findTools(): Promise<Toolbox> {
  const box: Toolbox = {
    missing: {
      kustomize: 'neither kustomize nor kubectl (with built-in kustomize) is installed',
      helm: 'helm is not installed (go install helm.sh/helm/v3/cmd/helm@v3.22.0)',
      kubectl: 'kubectl is not installed',
    },
  };
  const kubectlVersion = await probe('kubectl', ['version', '--client']);
  if (kubectlVersion) box.kubectl = { file: 'kubectl', prefix: [], version: kubectlVersion };
  const gobin = process.env.GOBIN ?? path.join(process.env.GOPATH ?? path.join(os.homedir(), 'go'), 'bin');
  const kustomize = await firstAnswering(['kustomize', path.join(gobin, 'kustomize')], ['version']);
  if (kustomize) box.kustomize = { ...kustomize, prefix: ['build'] };
  else if (kubectlVersion) box.kustomize = { file: 'kubectl', prefix: ['kustomize'], version: kubectlVersion };
  const helm = await firstAnswering(['helm', path.join(gobin, 'helm')], ['version', '--short']);
  if (helm) box.helm = { ...helm, prefix: [] };
  return box;
}

let found: Promise<Toolbox> | undefined;
/** Memoised for the process: tools do not appear or vanish between two validations. */
export const toolbox = (): Promise<Toolbox> => (found ??= findTools());
