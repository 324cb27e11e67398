// The repository as the agent may see it: every file through the redactor (core/redact.ts), and
// every known secret value hidden from any other text too. Built per tool batch from the files on
// disk; what each file hides is cached by its size and modification time across batches.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import {
  applySpans, NO_SOURCES, redactText, secretGeneratorSources, secretSpans, trackedValues, valueSpans, type RedactedView, type SecretSources,
} from '../../core/redact';
import { isKustomizationFile } from '../../core/repo-model';
import { listFiles, resolveInside } from '../../runtime/repo-fs';

/** Files larger than this are not read by the agent's tools (Read says so; Grep skips them). */
export const MAX_TOOL_FILE_BYTES = 1024 * 1024;

interface Scanned {
  mtimeMs: number;
  size: number;
  binary: boolean;
  values: string[];
}

// Process-wide: a worker runs many batches over the same files.
const scans = new Map<string, Scanned>();
const MAX_SCANS = 50_000;

export class FileTooLargeError extends Error {}

export class RepoView {
  private paths: string[] | undefined;
  private sources: SecretSources = NO_SOURCES;
  private readonly values = new Set<string>();
  private indexed = false;

  constructor(readonly root: string) {}

  async files(): Promise<string[]> {
    this.paths ??= await listFiles(this.root);
    return this.paths;
  }

  /** Every secret of the repository located, so that no value can come back another way. */
  async index(): Promise<void> {
    if (this.indexed) return;
    const files = await this.files();
    const envs = new Set<string>();
    const whole = new Set<string>();
    for (const f of files.filter(isKustomizationFile)) {
      const text = await this.raw(f).catch(() => undefined);
      if (text === undefined) continue;
      const s = secretGeneratorSources(f, text);
      s.files.forEach((x) => whole.add(x));
      s.envs.forEach((x) => envs.add(x));
    }
    this.sources = { files: whole, envs };
    for (const f of files) for (const v of (await this.scan(f))?.values ?? []) this.values.add(v);
    this.indexed = true;
  }

  private async scan(rel: string): Promise<Scanned | undefined> {
    const abs = path.join(this.root, rel);
    const st = await fs.lstat(abs).catch(() => undefined);
    if (!st?.isFile() || st.size > MAX_TOOL_FILE_BYTES) return undefined;
    const key = `${abs}\0${this.sources.files.has(rel) ? 'f' : this.sources.envs.has(rel) ? 'e' : ''}`;
    const hit = scans.get(key);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit;
    const text = await fs.readFile(abs, 'utf8');
    const binary = text.includes('\u0000');
    const scanned: Scanned = { mtimeMs: st.mtimeMs, size: st.size, binary, values: binary ? [] : trackedValues(text, secretSpans(rel, text, this.sources)) };
    if (scans.size >= MAX_SCANS) scans.clear();
    scans.set(key, scanned);
    return scanned;
  }

  /** A file's real content (for edits), or undefined when it does not exist; throws for a file over the cap. */
  async raw(rel: string): Promise<string | undefined> {
    const abs = await resolveInside(this.root, rel);
    const st = await fs.lstat(abs).catch(() => undefined);
    if (!st?.isFile()) return undefined;
    if (st.size > MAX_TOOL_FILE_BYTES) throw new FileTooLargeError(`${rel} is ${st.size} bytes, over the ${MAX_TOOL_FILE_BYTES}-byte limit of the tools: use Grep to find what you need in it`);
    return fs.readFile(abs, 'utf8');
  }

  /** A file as the model may see it: its own secrets and every known value hidden. */
  async view(rel: string): Promise<RedactedView | undefined> {
    await this.index();
    const raw = await this.raw(rel);
    if (raw === undefined) return undefined;
    return this.redact(rel, raw);
  }

  /** A content (on disk or about to be) as the model may see it. */
  redact(rel: string, raw: string): RedactedView {
    return applySpans(raw, [...secretSpans(rel, raw, this.sources), ...valueSpans(raw, this.values)]);
  }

  /** Any other text (validator output, guidance, knowledge) with known values and secret shapes hidden. */
  async text(s: string): Promise<string> {
    await this.index();
    return redactText(s, this.values);
  }

  /**
   * After a write of `file`: the file list changed, and its values join the known ones. Only a
   * kustomization (whose secretGenerator may name other files) makes the whole index stale.
   */
  async changed(file: string): Promise<void> {
    this.paths = undefined;
    if (!this.indexed || isKustomizationFile(file)) {
      this.indexed = false;
      return;
    }
    for (const v of (await this.scan(file))?.values ?? []) this.values.add(v);
  }
}
