// The Temporal Web UI tells the story: in a real browser, "everything waiting for a human" is one
// filter on AwaitingHuman, and the stuck run shows its memo and search attributes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { ImplementorClient } from '../client/client';
import { ImplementorInput } from '../core/schemas';
import { artifactPath, freePort, launchChromium, type Browser } from './helpers/browser';
import { scriptedImplementer, write } from './helpers/implementers';
import { EXAMPLES, gitCopy } from './helpers/repo';
import { startTestServer, type TestServer } from './helpers/temporal';

const VALID = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  a: "1"\n';
const BROKEN = 'a: [1, 2\n';

/** The workflow ids the list page shows, read from the row links once the list has loaded. */
async function listedWorkflowIds(page: Page, uiBase: string, query: string, expected: string): Promise<string[]> {
  const url = `${uiBase}/namespaces/default/workflows?query=${encodeURIComponent(query)}`;
  for (let attempt = 0; attempt < 20; attempt++) {
    await page.goto(url);
    // The filter the URL asked for is shown as a chip: the query was understood, not dropped.
    await page.getByText(/AwaitingHuman\s*=\s*(true|false)/).first().waitFor({ timeout: 15_000 });
    const row = page.locator(`a[href*="/workflows/${expected}/"]`).first();
    if (await row.waitFor({ timeout: 3_000 }).then(() => true, () => false)) {
      const hrefs = await page.locator('a[href*="/namespaces/default/workflows/"]').evaluateAll(
        (links) => links.map((a) => a.getAttribute('href') ?? ''));
      const ids = hrefs.map((h) => /\/workflows\/([^/?]+)\/[^/?]+(?:\/|$)/.exec(h)?.[1]).filter((id): id is string => Boolean(id));
      return [...new Set(ids.map(decodeURIComponent))];
    }
    await sleep(500); // visibility is eventually consistent
  }
  throw new Error(`${expected} never appeared under ${query}`);
}

describe('Temporal Web UI', () => {
  let server: TestServer;
  let browser: Browser;
  let uiBase: string;
  before(async () => {
    const uiPort = await freePort();
    uiBase = `http://127.0.0.1:${uiPort}`;
    server = await startTestServer({ uiPort });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('filtering on AwaitingHuman=true lists the escalated run and not the finished one; its memo and search attributes are visible', async () => {
    const repo = await gitCopy(EXAMPLES);
    const infraRoot = path.join(repo, 'infra');
    const fine = scriptedImplementer({ phases: { config: write('apps/base/catalog/extra.yaml', VALID) } });
    const stuck = scriptedImplementer({ phases: { config: write('apps/base/catalog/broken.yaml', BROKEN) } });
    const { worker, taskQueue } = await server.worker({ implementers: { fine: () => fine, stuck: () => stuck } });
    // The production client, so that memo, search attributes and summary are the ones users get.
    const client = new ImplementorClient(server.env.client, taskQueue);
    const feature = 'Show the UI story';

    await worker.runUntil(async () => {
      const finishedId = await client.startImplementor(ImplementorInput.parse({ featureDescription: feature, scope: 'finished scope', infraRoot, implementer: 'fine' }));
      assert.equal((await client.result(finishedId)).status, 'succeeded');

      const stuckId = await client.startImplementor(ImplementorInput.parse({
        featureDescription: feature, scope: 'stuck scope', infraRoot, implementer: 'stuck', parentId: 'feature-ui-parent', options: { maxAttempts: 1 },
      }));
      for (let i = 0; !(await client.status(stuckId)).pending; i++) {
        if (i > 300) throw new Error('the stuck run never asked a question');
        await sleep(100);
      }

      const page = await browser.context.newPage();
      const waiting = await listedWorkflowIds(page, uiBase, 'AwaitingHuman=true', stuckId);
      assert.deepEqual(waiting, [stuckId], 'only the escalated run waits for a human');
      await page.screenshot({ path: artifactPath('ui-awaiting-human.png') });

      // The same filter the other way round lists the finished run: the filter discriminates.
      const notWaiting = await listedWorkflowIds(page, uiBase, 'AwaitingHuman=false', finishedId);
      assert.ok(notWaiting.includes(finishedId));
      assert.ok(!notWaiting.includes(stuckId), 'the escalated run is not listed under AwaitingHuman=false');

      await listedWorkflowIds(page, uiBase, 'AwaitingHuman=true', stuckId);
      await page.locator(`a[href*="/workflows/${stuckId}/"]`).first().click();
      await page.getByRole('tab', { name: /Search Attributes/ }).click();
      const attributes = page.locator('main');
      await attributes.getByText('"ImplementorPhase"').waitFor();
      const attributesText = await attributes.innerText();
      assert.match(attributesText, /"AwaitingHuman":\s*true/);
      assert.match(attributesText, /"ImplementorPhase":\s*"awaiting-human"/);
      await page.screenshot({ path: artifactPath('ui-awaiting-human-search-attributes.png') });

      await page.getByRole('tab', { name: /Memo/ }).click();
      await page.locator('main').getByText('"parentId"').waitFor();
      const memoText = await page.locator('main').innerText();
      assert.match(memoText, new RegExp(`"feature":\\s*"${feature}"`));
      assert.match(memoText, /"scope":\s*"stuck scope"/);
      assert.match(memoText, /"parentId":\s*"feature-ui-parent"/);
      await page.screenshot({ path: artifactPath('ui-awaiting-human-memo.png') });
      await page.close();

      await client.answer(stuckId, { action: 'abort' });
      assert.equal((await client.result(stuckId)).status, 'aborted');
    });
  });
});
