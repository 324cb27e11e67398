// Recorded workflow histories for replay tests. `npm run record-histories` re-runs the scenarios
// with RECORD_HISTORIES=1, and each scenario saves its history here under a stable name.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { PROJECT_ROOT } from './repo';

export const HISTORIES_DIR = path.join(PROJECT_ROOT, 'test/histories');

/**
 * A recording's file is named after the run's workflow id (child ids derive from it), plus `@vN`
 * when the code before version marker N recorded it (kept so that old runs stay replayable).
 */
export const recordedWorkflowId = (file: string): string => path.basename(file).replace(/(@[^.]+)?\.json$/, '');
export const isOlderRecording = (file: string): boolean => /@[^.]+\.json$/.test(file);

export async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await handle.fetchHistory();
  mkdirSync(HISTORIES_DIR, { recursive: true });
  writeFileSync(path.join(HISTORIES_DIR, `${name}.json`), `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
}
