// Sealing Secrets before they reach the disk: a Secret an implementer wrote with values is
// encrypted with the repository's own `sops` configuration (`.sops.yaml`), document by document,
// so that Flux can decrypt it. Where sops or a matching rule is missing the op is left as it is and
// a note says why (the compliance check `plaintext-secret` still flags it). Values never appear in
// notes or errors.
import { constants, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launch } from './launcher';
import { plaintextSecretProblem, secretValuePaths } from '../core/compliance/plaintext-secret';
import type { Proposal } from '../core/implementer';
import type { ChangeSet, FileOperation } from '../core/schemas';
import { isYamlFile, parseManifests, str } from '../core/yaml-docs';

export interface SealOptions {
  /** The infra root (absolute); operation paths are relative to it. */
  root: string;
  changeSet: ChangeSet;
  signal?: AbortSignal;
  /** The sops binary to use; default: `sops` on PATH, else `$(go env GOPATH)/bin/sops`. */
  sopsPath?: string;
  /** Environment for the lookup and for sops (PATH, GOPATH, SOPS_* …); default: this process's. */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export interface SealResult {
  changeSet: ChangeSet;
  /** Paths whose content was replaced by its SOPS-encrypted form. */
  sealed: string[];
  /** Why a Secret was left in plain text (`<path>: <why>`): fit for an assumption, never holding a value. */
  notes: string[];
  /** The same, by file. */
  unsealed: { file: string; reason: string }[];
}

const SOPS_TIMEOUT_MS = 60_000;
/** Flux's recommendation: only the values are encrypted, so Kubernetes can still read the object. */
const FLUX_ENCRYPTED_REGEX = '^(data|stringData)$';
const SEPARATOR = /^---(?:[ \t].*)?\r?$/;
const REVIEW = /^\s*#\s*REVIEW:/;

/** One document of a file, with the `---` line that opens it (empty for the first). */
interface Chunk {
  separator: string;
  body: string;
}

function splitDocuments(text: string): Chunk[] {
  const chunks: Chunk[] = [{ separator: '', body: '' }];
  for (const line of text.split(/(?<=\n)/)) {
    if (SEPARATOR.test(line.replace(/\n$/, ''))) chunks.push({ separator: line, body: '' });
    else (chunks[chunks.length - 1] as Chunk).body += line;
  }
  return chunks;
}

/** A `v1` Secret with values and no `sops` block: what sealing is for. */
function needsSealing(body: string): Record<string, unknown> | undefined {
  const { docs, problems } = parseManifests('secret.yaml', body);
  const o = docs[0]?.object;
  if (problems.length || docs.length !== 1 || !o) return undefined;
  if (str(o.apiVersion) !== 'v1' || o.sops !== undefined || secretValuePaths(o).length === 0) return undefined;
  // A template whose every value is a `<placeholder>` holds nothing secret to seal yet.
  if (secretValuePaths(o).every(([, v]) => typeof v === 'string' && /^<[^>]*>$/.test(v))) return undefined;
  return o;
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(() => true, () => false);
}

/** The nearest `.sops.yaml` from the file's folder up to the git top (or the infra root outside git). */
async function findSopsConfig(root: string, rel: string): Promise<string | undefined> {
  let top = root;
  for (let dir = root; ; dir = path.dirname(dir)) {
    if (await exists(path.join(dir, '.git'))) {
      top = dir;
      break;
    }
    if (path.dirname(dir) === dir) break;
  }
  for (let dir = path.resolve(root, path.dirname(rel)); ; dir = path.dirname(dir)) {
    const file = path.join(dir, '.sops.yaml');
    if (await exists(file)) return file;
    if (dir === top || path.dirname(dir) === dir || !dir.startsWith(top)) return undefined;
  }
}

async function executable(file: string): Promise<boolean> {
  return fs.access(file, constants.X_OK).then(() => true, () => false);
}

/** `sops` on the env's PATH, else where `go install` puts it. */
export async function findSops(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const dirs = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const dir of dirs) if (await executable(path.join(dir, 'sops'))) return path.join(dir, 'sops');
  const goenv = await launch('go', ['env', 'GOBIN', 'GOPATH'], { env, extendEnv: false, timeout: 15_000 })
    .then((r) => (r.exitCode === 0 ? String(r.stdout).split('\n') : []), () => []);
  const gobin = goenv[0]?.trim() || env.GOBIN;
  const gopath = (goenv[1]?.trim() || env.GOPATH || path.join(env.HOME ?? os.homedir(), 'go')).split(path.delimiter)[0] ?? '';
  for (const dir of [gobin, path.join(gopath, 'bin')]) {
    if (dir && (await executable(path.join(dir, 'sops')))) return path.join(dir, 'sops');
  }
  return undefined;
}

/** Every string that could betray a value: the values themselves and, for `data`, their decoded form. */
function secretsOf(o: Record<string, unknown>): string[] {
  const out = new Set<string>();
  for (const [p, v] of secretValuePaths(o)) {
    const s = String(v);
    out.add(s);
    if (p.startsWith('data.')) out.add(Buffer.from(s, 'base64').toString('utf8'));
  }
  return [...out].filter((s) => s.trim().length >= 3).sort((a, b) => b.length - a.length);
}

/** sops's complaint, one line, with every value and every line of the input blanked out. */
export function sanitizeSopsError(stderr: string, input: string, values: readonly string[]): string {
  const line = stderr.split('\n').map((l) => l.trim()).filter(Boolean).slice(-1)[0] ?? 'failed without a message';
  let out = line;
  for (const v of values) out = out.split(v).join('[REDACTED]');
  for (const l of input.split('\n').map((x) => x.trim()).filter((x) => x.length >= 6)) out = out.split(l).join('[REDACTED]');
  return out.length > 300 ? `${out.slice(0, 300)}…` : out;
}

interface Sops {
  root: string;
  file: string;
  config: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  signal?: AbortSignal;
}

async function encrypt(sops: Sops, rel: string, input: string, extra: string[]): Promise<{ ok: true; out: string } | { ok: false; err: string }> {
  const dir = path.dirname(sops.config);
  const r = await launch(sops.file, [
    '--config', sops.config, 'encrypt', ...extra,
    // No file argument: sops reads stdin (opening /dev/stdin fails on the socket Node gives a child).
    '--filename-override', rel, '--input-type', 'yaml', '--output-type', 'yaml',
  ], { cwd: dir, input, env: sops.env, extendEnv: false, timeout: sops.timeoutMs, cancelSignal: sops.signal, stripFinalNewline: false });
  if (r.isCanceled) throw new Error(`sealing ${rel} was cancelled`);
  if (r.timedOut) return { ok: false, err: `sops did not finish within ${sops.timeoutMs / 1000}s` };
  return r.exitCode === 0 ? { ok: true, out: String(r.stdout) } : { ok: false, err: String(r.stderr) || String(r.stdout) };
}

/** One Secret document sealed, or why not. Values never leave this function except encrypted. */
async function sealDocument(sops: Sops, rel: string, body: string, object: Record<string, unknown>): Promise<{ text: string } | { reason: string }> {
  const reviews = body.split('\n').filter((l) => REVIEW.test(l)).map((l) => `${l.trim()}\n`);
  const input = body.split('\n').filter((l) => !REVIEW.test(l)).join('\n');
  const relToConfig = path.relative(path.dirname(sops.config), path.resolve(sops.root, rel)).split(path.sep).join('/');
  // Notes name the config as the repository knows it, not by this machine's absolute path.
  const config = path.relative(sops.root, sops.config).split(path.sep).join('/');
  let r = await encrypt(sops, relToConfig, input, []);
  let widened = false;
  // A rule without encrypted_regex encrypts apiVersion and kind too, which Kubernetes cannot read.
  if (r.ok && str(parseManifests(rel, r.out).docs[0]?.object.kind) !== 'Secret') {
    r = await encrypt(sops, relToConfig, input, ['--encrypted-regex', FLUX_ENCRYPTED_REGEX]);
    widened = true;
  }
  if (!r.ok) {
    const why = sanitizeSopsError(r.err, input, secretsOf(object));
    const missing = /no matching creation rules/i.test(why)
      ? `no creation rule in ${config} matches ${relToConfig}`
      : /could not generate data key|no (master )?keys?|failed to (get|encrypt).*(key|kms)/i.test(why) ? `sops has no usable key: ${why}` : `sops failed: ${why}`;
    return { reason: `the Secret was left in plain text, ${missing}` };
  }
  const sealed = parseManifests(rel, r.out).docs[0]?.object;
  const problem = sealed ? plaintextSecretProblem(sealed) : 'sops returned no document';
  if (problem) return { reason: `the Secret was left in plain text, the rules of ${config} do not encrypt every value (${problem})` };
  const header = widened ? [`# REVIEW: sealed with --encrypted-regex '${FLUX_ENCRYPTED_REGEX}': the matching rule of .sops.yaml sets none\n`] : [];
  return { text: [...reviews, ...header].join('') + r.out };
}

async function sealOperation(op: FileOperation, opts: SealOptions, lookup: () => Promise<string | undefined>): Promise<{ op: FileOperation; sealed: boolean; reason?: string }> {
  const unchanged = { op, sealed: false };
  if (op.action !== 'write' || op.content === undefined || !isYamlFile(op.path)) return unchanged;
  const chunks = splitDocuments(op.content);
  const targets = chunks.map((c) => needsSealing(c.body));
  if (!targets.some(Boolean)) return unchanged;
  const config = await findSopsConfig(opts.root, op.path);
  if (!config) return { ...unchanged, reason: `the Secret was left in plain text, no .sops.yaml in the repository says how to encrypt it` };
  const file = opts.sopsPath ?? (await lookup());
  if (!file || !(await executable(file))) {
    return { ...unchanged, reason: `the Secret was left in plain text, the sops binary is not installed (${opts.sopsPath ?? 'not on PATH nor in $(go env GOPATH)/bin'}; go install github.com/getsops/sops/v3/cmd/sops@v3.13.3)` };
  }
  const sops: Sops = { root: opts.root, file, config, env: opts.env ?? process.env, timeoutMs: opts.timeoutMs ?? SOPS_TIMEOUT_MS, ...(opts.signal ? { signal: opts.signal } : {}) };
  let content = '';
  for (const [i, c] of chunks.entries()) {
    const object = targets[i];
    if (!object) {
      content += c.separator + c.body;
      continue;
    }
    const r = await sealDocument(sops, op.path, c.body, object);
    if ('reason' in r) return { ...unchanged, reason: r.reason };
    content += c.separator + r.text;
  }
  return { op: { ...op, content }, sealed: true };
}

/**
 * Encrypts, with the repository's sops rules, every plain-text `v1` Secret the change set writes.
 * The result is the same change set with those contents replaced; nothing is written to disk.
 */
export async function sealSecrets(opts: SealOptions): Promise<SealResult> {
  let found: Promise<string | undefined> | undefined;
  const lookup = () => (found ??= findSops(opts.env ?? process.env));
  const operations: FileOperation[] = [];
  const sealed: string[] = [];
  const unsealed: SealResult['unsealed'] = [];
  for (const op of opts.changeSet.operations) {
    opts.signal?.throwIfAborted();
    const r = await sealOperation(op, opts, lookup);
    operations.push(r.op);
    if (r.sealed) sealed.push(op.path);
    if (r.reason) unsealed.push({ file: op.path, reason: r.reason });
  }
  const notes = unsealed.map((u) => `${u.file}: ${u.reason}`);
  return { changeSet: { ...opts.changeSet, operations }, sealed, notes, unsealed };
}

/**
 * A proposal with its Secrets sealed; each Secret left in plain text becomes an assumption and a
 * `sops-key` dependency of the report. What the activities call before a proposal is stored.
 */
export async function sealProposal(root: string, proposal: Proposal, opts: Omit<SealOptions, 'root' | 'changeSet'> = {}): Promise<Proposal> {
  const r = await sealSecrets({ ...opts, root, changeSet: proposal.changeSet });
  if (r.sealed.length === 0 && r.unsealed.length === 0) return proposal;
  const cs = r.changeSet;
  return {
    ...proposal,
    changeSet: {
      ...cs,
      assumptions: [...cs.assumptions, ...r.unsealed.map((u) => ({ file: u.file, text: u.reason }))],
      dependencies: [...cs.dependencies, ...r.unsealed.map((u) => ({ kind: 'sops-key' as const, description: `encrypt ${u.file} with sops before it is applied: ${u.reason}` }))],
    },
  };
}

/** The sops rules that can apply to files of an infra root: each `.sops.yaml` under it, and in its folders up to the git top. */
export interface SopsConfigs {
  /** Where the infra root is below the top (POSIX, '' at the top). */
  offset: string;
  /** Each config, by its path below the top. */
  files: { path: string; content: string }[];
}

export async function sopsConfigs(root: string, inside: string[]): Promise<SopsConfigs> {
  let top = root;
  for (let dir = root; ; dir = path.dirname(dir)) {
    if (await exists(path.join(dir, '.git'))) {
      top = dir;
      break;
    }
    if (path.dirname(dir) === dir) break;
  }
  const offset = path.relative(top, root).split(path.sep).join('/');
  const files: SopsConfigs['files'] = [];
  const under = (rel: string) => (offset ? `${offset}/${rel}` : rel);
  for (const rel of inside.filter((f) => path.posix.basename(f) === '.sops.yaml')) files.push({ path: under(rel), content: await fs.readFile(path.join(root, rel), 'utf8') });
  for (let dir = path.dirname(root); top !== root && dir.startsWith(top); dir = path.dirname(dir)) {
    const file = path.join(dir, '.sops.yaml');
    if (await exists(file)) files.push({ path: path.relative(top, file).split(path.sep).join('/'), content: await fs.readFile(file, 'utf8') });
    if (dir === top) break;
  }
  return { offset, files };
}

/**
 * Seal a proposal on a worker that does not hold the repository: in a scratch folder holding only
 * the repository's sops rules at their places (sops encrypts with public keys), removed afterwards.
 */
export async function sealWithConfigs(configs: SopsConfigs, proposal: Proposal, opts: Omit<SealOptions, 'root' | 'changeSet'> = {}): Promise<Proposal> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ii-seal-'));
  try {
    await fs.mkdir(path.join(dir, '.git'));
    for (const f of configs.files) {
      if (f.path.split('/').includes('..') || path.isAbsolute(f.path)) throw new Error(`a sops config path leaves the repository: ${f.path}`);
      await fs.mkdir(path.dirname(path.join(dir, f.path)), { recursive: true });
      await fs.writeFile(path.join(dir, f.path), f.content);
    }
    const root = path.join(dir, configs.offset);
    await fs.mkdir(root, { recursive: true });
    return await sealProposal(root, proposal, opts);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
