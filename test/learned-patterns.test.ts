import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { LEARNED_PATTERNS_FILE, appendLearnedPattern, readLearnedPatterns } from '../runtime/learned-patterns';
import { readKnowledge } from '../runtime/patterns';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'ii-learned-'));
const lesson = {
  failed: "kustomize build apps/staging: accumulating resources from '../base/orderz': no such file",
  fixed: 'apps/staging/kustomization.yaml lists ../base/orders',
  guidance: 'bases live in apps/base/<service>',
  scope: 'orders service',
};

describe('learned patterns', () => {
  it('appends an entry to a new file under the repos root and reads it back', async () => {
    const root = tmp();
    const r = await appendLearnedPattern(root, lesson, new Date('2030-01-02T03:04:05Z'));
    assert.equal(r.added, true);
    const back = await readLearnedPatterns(root);
    assert.deepEqual(back, [{ id: r.id, learnedAt: '2030-01-02T03:04:05.000Z', ...lesson }]);
    const text = readFileSync(path.join(root, LEARNED_PATTERNS_FILE), 'utf8');
    assert.match(text, /^# Written by infra-implementor/);
    assert.deepEqual(parse(text), back, 'plain YAML list');
  });

  it('does not add the same lesson twice, whatever its whitespace or scope', async () => {
    const root = tmp();
    await appendLearnedPattern(root, lesson);
    const again = await appendLearnedPattern(root, { ...lesson, failed: `  ${lesson.failed.replace(/ /g, '  ')}\n`, scope: 'payments service' });
    assert.equal(again.added, false);
    await appendLearnedPattern(root, { failed: 'helm lint charts/orders: missing Chart.yaml', fixed: 'added charts/orders/Chart.yaml' });
    const back = await readLearnedPatterns(root);
    assert.equal(back.length, 2);
    assert.equal(back[1]?.guidance, undefined);
  });

  it('keeps every entry when runs append at the same time, and leaves no temp files', async () => {
    const root = tmp();
    await Promise.all(Array.from({ length: 8 }, (_, i) => appendLearnedPattern(root, { failed: `failure ${i}`, fixed: `fix ${i}` })));
    assert.equal((await readLearnedPatterns(root)).length, 8);
    assert.deepEqual(readdirSync(path.join(root, path.dirname(LEARNED_PATTERNS_FILE))), [path.basename(LEARNED_PATTERNS_FILE)]);
  });

  it('cuts very long validator output with a visible note', async () => {
    const root = tmp();
    await appendLearnedPattern(root, { failed: 'e'.repeat(10_000), fixed: 'short' });
    const [entry] = await readLearnedPatterns(root);
    assert.match(entry?.failed ?? '', /… \[cut: 8000 more characters\]$/);
  });

  it('refuses to overwrite a file that is not a list of learned patterns, naming it', async () => {
    const root = tmp();
    const file = path.join(root, LEARNED_PATTERNS_FILE);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, 'hand: written\n');
    await assert.rejects(appendLearnedPattern(root, lesson), (e: Error) => e.message.includes(file) && /not a list of learned patterns/.test(e.message));
    assert.equal(readFileSync(file, 'utf8'), 'hand: written\n');
  });

  it('is loaded as knowledge by the next run', async () => {
    const root = tmp();
    await appendLearnedPattern(root, lesson);
    const knowledge = await readKnowledge(root);
    const learned = knowledge.find((k) => k.path === LEARNED_PATTERNS_FILE);
    assert.ok(learned?.content.includes('../base/orderz'));
  });
});
