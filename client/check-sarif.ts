// SARIF 2.1.0 for code-scanning UIs: one rule per compliance check (with its help text) and per
// validator, one result per finding or non-passing validation, located at file:line:column when known.
import { CHECKS } from '../core/compliance';
import { VALIDATORS } from '../core/schemas';
import type { CheckReport } from './check-text';

const VALIDATOR_HELP: Record<(typeof VALIDATORS)[number], string> = {
  yaml: 'Every YAML file parses: syntax, indentation, duplicate keys.',
  schema: 'Every rendered document is valid against the Kubernetes and Flux schemas, unknown fields included.',
  kustomize: 'Every kustomization root builds with kustomize.',
  helm: 'Every chart passes helm lint and renders with helm template, with each values file.',
  flux: 'Each Flux Kustomization path exists and builds; each source a Flux object names is defined.',
  kubectl: 'A server-side dry run accepts the rendering (only when a cluster is reachable).',
};

interface Rule {
  id: string;
  name: string;
  shortDescription: { text: string };
  help: { text: string };
  defaultConfiguration: { level: 'error' | 'warning' | 'note' };
}

function rules(): Rule[] {
  const checks = CHECKS.map((c) => ({
    id: c.id, name: c.id, shortDescription: { text: c.help.split('. ')[0] ?? c.help }, help: { text: c.help },
    defaultConfiguration: { level: c.severity },
  }));
  const validators = VALIDATORS.map((v) => ({
    id: `validation/${v}`, name: `validation-${v}`, shortDescription: { text: VALIDATOR_HELP[v] }, help: { text: VALIDATOR_HELP[v] },
    defaultConfiguration: { level: 'error' as const },
  }));
  return [...checks, ...validators];
}

function location(file: string | undefined, line: number | undefined, column: number | undefined, target: string) {
  const region = line ? { region: { startLine: line, ...(column ? { startColumn: column } : {}) } } : {};
  return [{ physicalLocation: { artifactLocation: { uri: file ?? target, uriBaseId: 'SRCROOT' }, ...region } }];
}

export function renderSarif(r: CheckReport, version: string): object {
  const all = rules();
  const index = new Map(all.map((rule, i) => [rule.id, i]));
  const ruleIndex = (id: string) => (index.has(id) ? { ruleIndex: index.get(id) } : {});
  const findings = r.findings.map((f) => ({
    ruleId: f.check, ...ruleIndex(f.check), level: f.severity,
    message: { text: `${f.resource}: ${f.message} (${(f.targets ?? [f.target]).length > 1 ? `targets ${(f.targets ?? []).join(', ')}` : `target ${f.target}`})` },
    locations: location(f.file, f.line, f.column, f.target),
    ...(f.suppressed !== undefined ? { suppressions: [{ kind: 'inSource', justification: f.suppressed }] } : {}),
  }));
  const validations = r.validations.filter((v) => v.status !== 'pass').map((v) => ({
    ruleId: `validation/${v.validator}`, ...ruleIndex(`validation/${v.validator}`),
    // SARIF: a result that is not a failure has level none; `skipped` is "not applicable here".
    level: v.status === 'fail' ? 'error' : 'none', kind: v.status === 'fail' ? 'fail' : 'notApplicable',
    message: { text: v.message }, locations: location(v.file, v.line, v.column, v.target),
  }));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: 'infra-implementor', version, rules: all } },
      originalUriBaseIds: { SRCROOT: { description: { text: 'The repository folder given to check' } } },
      results: [...validations, ...findings],
    }],
  };
}
