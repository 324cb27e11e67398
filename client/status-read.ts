// A run's `status`, read with a deadline: a query needs a worker to answer it, and a watcher or the
// inbox must not hang on a run whose workers are gone.
import { isGrpcDeadlineError, isGrpcServiceError, ServiceError, type Client } from '@temporalio/client';
import { statusQuery, type FeatureStatus, type ImplementorStatus } from '../workflows/messages';

/** Long enough for a busy worker, short enough that a missing one is reported while it matters. */
export const STATUS_DEADLINE_MS = 10_000;

export async function readStatus(client: Client, workflowId: string): Promise<ImplementorStatus | FeatureStatus> {
  try {
    return await client.withDeadline(Date.now() + STATUS_DEADLINE_MS, () => client.workflow.getHandle(workflowId).query(statusQuery));
  } catch (e) {
    if (isGrpcDeadlineError(e) || isGrpcDeadlineError((e as Error).cause)) {
      throw new Error(`no answer to the status query within ${STATUS_DEADLINE_MS / 1000} s (is a worker running?)`);
    }
    // The server may give up on a query no worker takes before our deadline does, with another code
    // than DEADLINE_EXCEEDED: say what it answered, not only the SDK's "Failed to query Workflow".
    const cause = (e as Error).cause;
    if (e instanceof ServiceError && isGrpcServiceError(cause)) {
      throw new Error(`the status query failed: ${cause.details || cause.message} (is a worker running?)`);
    }
    throw e;
  }
}
