// At worker start: workspaces left on this worker's disk by runs that have closed (a worker that
// died before a run's clean-up, a run terminated from the UI) are removed. A run still open keeps
// its workspace, whichever worker holds it now.
import { Client, type Connection, WorkflowNotFoundError } from '@temporalio/client';
import { sweepWorkspaces } from '../runtime/remote';

export async function sweepStaleWorkspaces(connection: Connection, namespace: string, stateDir: string): Promise<string[]> {
  const client = new Client({ connection, namespace });
  const isOpen = async (workflowId: string) => {
    try {
      return (await client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
    } catch (e) {
      if (e instanceof WorkflowNotFoundError) return false;
      throw e;
    }
  };
  return sweepWorkspaces(stateDir, isOpen);
}
