// HTTPS Helm repositories that need a login: `helm pull --repo URL` reads no credentials, so where
// Helm's own repositories file (HELM_REPOSITORY_CONFIG, else Helm's default under the user's config
// folder) has an entry for the repository's URL, the chart is pulled through that entry as
// `helm repo add` left it: `helm repo update <name>` (its index into our cache) then
// `helm pull <name>/<chart>`. helm reads the username, password and certificates itself; this process
// reads only the entries' names and URLs, and no credential is ever on a command line, in a message
// or in the cache.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { arr, get, str } from '../core/yaml-docs';

/** Where helm reads its repositories from, as helm decides it on Linux. */
export function repositoryConfig(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HELM_REPOSITORY_CONFIG) return env.HELM_REPOSITORY_CONFIG;
  const home = env.HELM_CONFIG_HOME || path.join(env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'helm');
  return path.join(home, 'repositories.yaml');
}

const sameUrl = (a: string, b: string): boolean => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/** The entry of Helm's repositories file for `url`, by name, if there is one. */
export async function configuredRepository(url: string, env: NodeJS.ProcessEnv = process.env): Promise<{ name: string; config: string } | undefined> {
  const config = repositoryConfig(env);
  const text = await fs.readFile(config, 'utf8').catch(() => undefined);
  if (!text) return undefined;
  for (const entry of arr(get(parseDocument(text).toJS(), 'repositories'))) {
    const name = str(get(entry, 'name'));
    const at = str(get(entry, 'url'));
    if (name && at && sameUrl(at, url)) return { name, config };
  }
  return undefined;
}
