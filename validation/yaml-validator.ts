// `yaml`: every YAML file parses, every document of it, duplicate keys included, reported at
// file:line:column. Helm templates are Go templates, not YAML, and are left to helm; an Ansible role's
// templates/ are Jinja, rendered by Ansible, and one that does not parse as it stands is skipped.
import { isYamlFile, parseManifests } from '../core/yaml-docs';
import type { ValidationResult } from '../core/schemas';
import type { RepoSnapshot } from './snapshot';

/** `charts` are the chart folders: files under their templates/ are Go templates. */
export function validateYaml(snap: RepoSnapshot, files: readonly string[], charts: readonly string[] = []): ValidationResult[] {
  const isTemplate = (f: string): boolean => charts.some((c) => f.startsWith(c === '.' ? 'templates/' : `${c}/templates/`));
  // Ansible roles: `…/roles/<role>/` folders with a tasks/ folder.
  const roles = new Set(snap.files.flatMap((f) => /^(.*\/)?roles\/[^/]+\/tasks\//.exec(f)?.[0].replace(/tasks\/$/, '') ?? []));
  const role = (f: string): string | undefined => [...roles].find((r) => f.startsWith(`${r}templates/`));
  const out: ValidationResult[] = [];
  for (const file of files.filter((f) => isYamlFile(f) && !isTemplate(f))) {
    const text = snap.text(file);
    if (text === undefined) continue;
    const { docs, problems } = parseManifests(file, text);
    const first = problems[0];
    if (!first) {
      out.push({ validator: 'yaml', target: file, status: 'pass', message: `${docs.length} document(s) parse` });
      continue;
    }
    const jinja = role(file);
    if (jinja) {
      out.push({ validator: 'yaml', target: file, status: 'skipped', message: `${file}: a Jinja template of the Ansible role ${jinja.replace(/\/$/, '')}, YAML only once Ansible renders it: not checked` });
      continue;
    }
    const more = problems.length > 1 ? ` (+${problems.length - 1} more)` : '';
    out.push({
      validator: 'yaml', target: file, status: 'fail', file, line: first.line, column: first.column,
      message: `${file}:${first.line}:${first.column}: ${first.message}${more}`,
    });
  }
  return out;
}
