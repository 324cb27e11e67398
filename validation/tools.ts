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
  for (const file of ['kustomize', path.join(gobin, 'kustomize')]) {
    const v = await probe(file, ['version']);
    if (v) {
      box.kustomize = { file, prefix: ['build'], version: v };
      break;
    }
  }
  if (!box.kustomize && kubectlVersion) box.kustomize = { file: 'kubectl', prefix: ['kustomize'], version: kubectlVersion };
  for (const file of ['helm', path.join(gobin, 'helm')]) {
    const v = await probe(file, ['version', '--short']);
    if (v) {
      box.helm = { file, prefix: [], version: v };
      break;
    }
  }
  return box;
}

let found: Promise<Toolbox> | undefined;
/** Memoised for the process: tools do not appear or vanish between two validations. */
export const toolbox = (): Promise<Toolbox> => (found ??= findTools());
