// Big changes stay out of history: a 5 MB write and a large file's "before" travel by digest,
// no history payload reaches 256 KB, and abort still restores the large file byte for byte.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImplementorInput } from '../core/schemas';
import { answerUpdate, IMPLEMENTOR_WORKFLOW, statusQuery } from '../workflows/messages';
import { scriptedImplementer, write } from './helpers/implementers';
import { EXAMPLES, git, gitCopy, gitStatus } from './helpers/repo';
import { startTestServer, type TestServer } from './helpers/temporal';

const FIVE_MB = 'x'.repeat(5 * 1024 * 1024);

describe('big payloads', () => {
  let server: TestServer;
  before(async () => { server = await startTestServer(); });
  after(async () => { await server?.stop(); });

  it('a 5 MB change is written, the largest history payload stays under 256 KB, and abort restores a large file', async () => {
    const repo = await gitCopy(EXAMPLES);
    const infra = path.join(repo, 'infra');
    const large = `${'line of an existing large file\n'.repeat(12_000)}`;
    writeFileSync(path.join(infra, 'large.txt'), large);
    await git(repo, 'add', '-A');
    await git(repo, '-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-qm', 'large file');
    const impl = scriptedImplementer({
      phases: {
        base: write('data/big.txt', FIVE_MB, 'base'),
        config: { operations: [{ path: 'large.txt', action: 'write', content: `${large}changed\n`, phase: 'config' }, { path: 'apps/broken.yaml', action: 'write', content: 'a: [1\n', phase: 'config' }], assumptions: [], dependencies: [] },
      },
    });
    const { worker, taskQueue } = await server.worker({ implementers: { scripted: () => impl } });
    const input = ImplementorInput.parse({ featureDescription: 'big', scope: 'big', infraRoot: infra, implementer: 'scripted', options: { maxAttempts: 1 } });
    const handle = await server.env.client.workflow.start(IMPLEMENTOR_WORKFLOW, { taskQueue, workflowId: `big-${Date.now()}`, args: [input] });
    const report = await worker.runUntil(async () => {
      for (let i = 0; i < 300 && !(await handle.query(statusQuery)).pending; i++) await sleep(100);
      assert.equal(readFileSync(path.join(infra, 'data/big.txt'), 'utf8'), FIVE_MB, 'the 5 MB file was written whole');
      await handle.executeUpdate(answerUpdate, { args: [{ action: 'abort' }] });
      return handle.result();
    });
    assert.equal(report.status, 'aborted');
    assert.equal(await gitStatus(repo), '', 'large.txt restored byte for byte, big.txt removed');

    const sizes: number[] = [];
    const walk = (v: unknown): void => {
      if (!v || typeof v !== 'object') return;
      const o = v as Record<string, unknown>;
      if (o.metadata && 'data' in o) sizes.push((o.data as Uint8Array | null)?.length ?? 0);
      else for (const x of Object.values(o)) walk(x);
    };
    walk(await handle.fetchHistory());
    const largest = Math.max(...sizes);
    assert.ok(sizes.length > 20, `${sizes.length} payloads`);
    assert.ok(largest < 256 * 1024, `largest history payload is ${largest} bytes`);
  });
});

describe('the content store', () => {
  it('many writers of one blob at once all succeed and leave one file, no temporary one', async () => {
    const { BlobStore } = await import('../runtime/blob-store');
    const { mkdtempSync, readdirSync } = await import('node:fs');
    const os = await import('node:os');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ii-blobs-'));
    const store = new BlobStore(dir);
    const content = 'same bytes\n'.repeat(10_000);
    const refs = await Promise.all(Array.from({ length: 16 }, () => store.put(content)));
    assert.equal(new Set(refs).size, 1);
    assert.equal(await store.get(refs[0] as string), content);
    const shard = path.join(dir, 'blobs', (refs[0] as string).slice(7, 9));
    assert.deepEqual(readdirSync(shard), [(refs[0] as string).slice(7)]);
  });
});
