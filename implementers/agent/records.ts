// What a step of the agent already did, on the worker's disk, keyed by the step's stable key: a
// retried turn finds its reply (no paid call asked twice) and the usage of every reply it was
// served; a retried tool batch finds the calls it already made (an Edit is never applied twice).
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeAtomic } from '../../runtime/repo-fs';

export class StepRecords {
  constructor(private readonly stateDir: string) {}

  private file(key: string): string {
    const h = createHash('sha256').update(key).digest('hex');
    return path.join(this.stateDir, 'agent-steps', h.slice(0, 2), `${h}.json`);
  }

  async get<T>(key: string): Promise<T | undefined> {
    try {
      return JSON.parse(await fs.readFile(this.file(key), 'utf8')) as T;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async put(key: string, value: unknown): Promise<void> {
    await writeAtomic(this.file(key), JSON.stringify(value));
  }
}
